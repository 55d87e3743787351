// The two regions nats-dr runs in. Each region is one Pulumi stack and one JetStream domain.

export const Regions = { usEast1: "us-east-1", euCentral1: "eu-central-1" } as const;
export type Region = (typeof Regions)[keyof typeof Regions];

/** Every region, in a stable order. */
export const regionNames: readonly Region[] = [Regions.usEast1, Regions.euCentral1];

export function isRegion(value: unknown): value is Region {
  return typeof value === "string" && (regionNames as readonly string[]).includes(value);
}

/** The other region of the pair. */
export function peerRegion(region: Region): Region {
  return region === Regions.usEast1 ? Regions.euCentral1 : Regions.usEast1;
}

/** `"us-east-1" or "eu-central-1"`, for error messages. */
export function regionChoices(): string {
  return regionNames.map((name) => `"${name}"`).join(" or ");
}
