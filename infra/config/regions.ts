// The two regions nats-dr runs in, named by the project (`nats-dr:regionPair`, Pulumi.yaml). Each
// region is one Pulumi stack and one JetStream domain.
//
// The AWS region names come from @pulumi/aws's own enum module, which loads on its own in a few
// milliseconds (the whole package is loaded lazily, infra/packages.ts, for the failover's start).
import { Region as AwsRegions } from "@pulumi/aws/types/enums";
import { z } from "zod";

/** A region name of the configured pair, e.g. "us-east-1". */
export type Region = string;

/** The project's two regions, in the order the project lists them. */
export type RegionPair = readonly [Region, Region];

/** The pair Pulumi.yaml declares by default: existing stacks run in these two. */
export const DEFAULT_REGION_PAIR = ["us-east-1", "eu-central-1"] as const satisfies RegionPair;

/** A region of the default pair (tests and tools that always run it type their records with it). */
export type DefaultRegion = (typeof DEFAULT_REGION_PAIR)[number];

/** Every region name AWS has, as @pulumi/aws knows them. */
export const awsRegionNames: readonly string[] = Object.values(AwsRegions);

export function isRegionOf(pair: RegionPair, value: unknown): value is Region {
  return typeof value === "string" && (pair as readonly string[]).includes(value);
}

/** The other region of the pair. */
export function peerOf<R extends Region>(pair: readonly [R, R], region: R): R {
  return region === pair[0] ? pair[1] : pair[0];
}

/** `"us-east-1" or "eu-central-1"`, for error messages. */
export function regionChoices(pair: RegionPair): string {
  return pair.map((name) => `"${name}"`).join(" or ");
}

/** What to say of a region value outside the pair: the pair, where it is declared, and the choices. */
export function notInPair(pair: RegionPair, value: unknown): string {
  return `${JSON.stringify(value)} is not one of the project regions (nats-dr:regionPair in Pulumi.yaml: ${pair.join(", ")}); set it to ${regionChoices(pair)}`;
}

/** AWS regions that start like `name` ("us-west-9": us-west-1, us-west-2), for the fix of a typo. */
function closestAwsRegions(name: string): string {
  const [area, direction] = name.split("-");
  const startingWith = (prefix: string) => awsRegionNames.filter((known) => known.startsWith(prefix));
  const same = startingWith(`${area}-${direction}-`);
  const near = (same.length > 0 ? same : startingWith(`${area}-`)).slice(0, 6);
  return near.length > 0 ? `, e.g. ${near.map((known) => `"${known}"`).join(", ")}` : ' such as "us-west-2"';
}

/**
 * `nats-dr:regionPair`: exactly two different AWS region names. Project config (Pulumi.yaml), so
 * both stacks read the same pair; the default keeps the stacks written before it existed as they were.
 */
export function regionPairSchema() {
  return z
    .array(z.string({ error: () => 'each region is a string such as "us-west-2"' }), {
      error: () => 'is a list of two AWS region names, e.g. ["us-west-2", "eu-west-1"]',
    })
    .default([...DEFAULT_REGION_PAIR])
    .superRefine((names, context) => {
      if (names.length !== 2) {
        context.addIssue({
          code: "custom",
          message:
            `lists ${names.length} region${names.length === 1 ? "" : "s"} (${names.join(", ") || "none"}); ` +
            'nats-dr runs in exactly two, e.g. ["us-west-2", "eu-west-1"] (a third region is not supported: docs/failover.md)',
        });
      }
      names.forEach((name, index) => {
        if (!awsRegionNames.includes(name))
          context.addIssue({
            code: "custom",
            path: [index],
            message: `"${name}" is not an AWS region; use a region name as AWS writes it${closestAwsRegions(name)}`,
          });
      });
      if (names.length === 2 && names[0] === names[1])
        context.addIssue({
          code: "custom",
          path: [1],
          message: `"${names[1]}" is listed twice; the two regions must differ`,
        });
    })
    .transform((names): RegionPair => [names[0] ?? "", names[1] ?? ""]);
}

/** One value per region of the pair, keyed by region name. */
export type PerRegion<T, R extends Region = Region> = Readonly<Record<R, T>>;

/** A record with one value per region of `pair`. */
export function perRegion<T, R extends Region = Region>(
  pair: readonly [R, R],
  make: (region: R, index: number) => T,
): PerRegion<T, R> {
  return Object.fromEntries(pair.map((region, index) => [region, make(region, index)])) as Record<R, T>;
}

/**
 * The value of `region` in a per-region record. Every such record is built from the pair, so a
 * missing region is a bug in nats-dr, not a user error: it names both sides to find it.
 */
export function inRegion<T, R extends Region>(record: PerRegion<T, R>, region: R): T {
  const value = record[region];
  if (value === undefined)
    throw new Error(`no value for region ${region} (the record has ${Object.keys(record).join(", ") || "none"})`);
  return value;
}
