// The drill's two stacks: per region, the stack config a user would write (`nats-dr:*` values,
// also parsed here by the real parseStackConfig for the load's plan), set on a real Pulumi stack
// of this program. Flipping activeRegion is setting it and running `pulumi up` of the stacks in
// the order docs/failover.md gives.
import type { ConfigMap } from "@pulumi/pulumi/automation";
import { defaultCatalogFor, defaultStreams } from "../infra/catalog/defaults";
import type { ConsumerEntryInput, StreamEntryInput } from "../infra/catalog/entries";
import { parseStackConfig } from "../infra/config/parse";
import { DEFAULT_REGION_PAIR, inRegion, type PerRegion, type Region, type RegionPair } from "../infra/config/regions";
import type { StackConfig } from "../infra/config/types";
import { planRegionStreams, type PlannedStream } from "../infra/streams/plan";
import { stackConfigMap } from "./pulumi/workspace";

export interface DrillStackSettings {
  /** The project's two regions (`nats-dr:regionPair` of both stacks). */
  readonly pair: RegionPair;
  /** Client URLs of each region's servers. */
  readonly servers: PerRegion<readonly string[]>;
  /** Catalog streams to declare (names from the default catalog), or "all". */
  readonly streams: readonly string[] | "all";
  /**
   * maxBytes of every declared stream: the catalog's limits (10Gi-50Gi) are reserved up front
   * by JetStream, more than a laptop's servers offer. Canonical size, e.g. "256Mi".
   */
  readonly streamMaxBytes: string;
  /** `nats-dr:failover` as a user writes it; unset keys take the product's defaults. */
  readonly failover: Readonly<Record<string, unknown>>;
  /** `nats-dr:connection` as a user writes it; unset keys take the product's defaults. */
  readonly connection: Readonly<Record<string, unknown>>;
}

/**
 * The drill's own interest-retention stream (issue 13), declared next to the chosen catalog
 * streams. Its durable consumer is never read, so it holds every message published to it until a
 * restart or a failover drops some: drill/scenarios/interest.ts publishes and counts them. The
 * load leaves it alone.
 */
export const interestCheck = {
  stream: "drill-interest",
  subject: "drill.interest.held",
  consumer: "drill-interest-held",
} as const;

function interestCheckEntries(maxBytes: string): {
  stream: StreamEntryInput;
  consumer: ConsumerEntryInput;
} {
  return {
    stream: {
      description: "Drill: interest retention, held for a consumer nobody reads",
      subjects: ["drill.interest.*"],
      retention: "interest",
      storage: "file",
      replicas: 3,
      maxAge: "1d",
      maxBytes,
    },
    consumer: {
      stream: interestCheck.stream,
      deliver: "pull",
      ackPolicy: "explicit",
      description: "Drill: never read, so every message of the interest stream waits for it",
    },
  };
}

/** Names of the default catalog's streams, in catalog order. */
export function catalogStreamNames(): string[] {
  return Object.keys(defaultStreams);
}

/** Which catalog entries the drill declares; throws with the valid names on an unknown one. */
export function selectCatalog(
  streams: readonly string[] | "all",
  maxBytes: string,
  pair: RegionPair = DEFAULT_REGION_PAIR,
): { streams: Record<string, StreamEntryInput>; consumers: Record<string, ConsumerEntryInput> } {
  const names = streams === "all" ? catalogStreamNames() : [...streams];
  const unknown = names.filter((name) => !(name in defaultStreams));
  if (unknown.length > 0) {
    throw new Error(
      `--streams: ${unknown.map((name) => `"${name}"`).join(", ")} is not in the catalog; choose from ${catalogStreamNames().join(", ")} or "all".`,
    );
  }
  const defaults = defaultCatalogFor(pair);
  const selected = Object.fromEntries(names.map((name) => [name, { ...defaults.streams?.[name], maxBytes }]));
  const consumers = Object.fromEntries(
    Object.entries(defaults.consumers ?? {}).filter(
      ([, entry]) => entry.stream !== undefined && names.includes(entry.stream),
    ),
  );
  const interest = interestCheckEntries(maxBytes);
  return {
    streams: { ...selected, [interestCheck.stream]: interest.stream },
    consumers: { ...consumers, [interestCheck.consumer]: interest.consumer },
  };
}

/** The raw `nats-dr:*` values of one region's stack, as Pulumi would hand them to the program. */
export function drillRawConfig(
  region: Region,
  activeRegion: Region,
  settings: DrillStackSettings,
): Record<string, unknown> {
  return {
    regionPair: [...settings.pair],
    region,
    activeRegion,
    regions: Object.fromEntries(
      settings.pair.map((name) => [name, { servers: [...inRegion(settings.servers, name)] }]),
    ),
    connection: { ...settings.connection },
    failover: { ...settings.failover },
    catalog: { mode: "replace", ...selectCatalog(settings.streams, settings.streamMaxBytes, settings.pair) },
    // No AWS here (no Route53, no bucket; no nats-dr:dns, backups off): the engine would need the
    // AWS provider plugin, which a laptop or CI machine cannot be assumed to have.
    backup: { enabled: false },
  };
}

/** The NATS user the provider authenticates as. */
export interface DrillCredentials {
  readonly user: string;
  readonly password: string;
}

/**
 * The whole `nats-dr:*` config of one region's stack, for setAllConfig. The password is a secret;
 * the user name is not: Pulumi masks every occurrence of a secret config value in what it prints,
 * and the drill's user "app" would turn "happened" into "h[secret]ened" in every error message.
 * The program reads both with getSecret, so both are secrets in the state all the same.
 */
export function drillConfigMap(
  region: Region,
  activeRegion: Region,
  settings: DrillStackSettings,
  credentials: DrillCredentials,
): ConfigMap {
  // The pair is the project's (Pulumi.yaml of the drill's project, layOutProject), not a stack setting.
  const { regionPair: _projectLevel, ...values } = drillRawConfig(region, activeRegion, settings);
  return stackConfigMap(
    {
      ...values,
      natsUser: credentials.user,
      natsPassword: credentials.password,
    },
    ["natsPassword"],
  );
}

/** parseStackConfig, or an error listing every problem (a drill bug or a bad option). */
export function drillStackConfig(region: Region, activeRegion: Region, settings: DrillStackSettings): StackConfig {
  const parsed = parseStackConfig(drillRawConfig(region, activeRegion, settings));
  if ("problems" in parsed)
    throw new Error(`the drill's stack config for ${region} is invalid:\n${parsed.problems.join("\n")}`);
  return parsed.config;
}

/** The replicated streams and their consumers the load uses (not the interest check's), from either region's plan. */
export function replicatedStreams(config: StackConfig): PlannedStream[] {
  return planRegionStreams(config).filter((planned) => planned.replicated && planned.name !== interestCheck.stream);
}
