// The drill's two stacks: per region, the stack config a user would write (built as raw
// `nats-dr:*` values and parsed by the real parseStackConfig), planned by planRegionStreams, and
// turned into the resources RegionStreams declares, with the same inputs. Flipping activeRegion
// is re-planning and running the stacks in the order docs/failover.md gives.
import { defaultConsumers, defaultStreams } from "../infra/catalog/defaults";
import type { ConsumerEntryInput, StreamEntryInput } from "../infra/catalog/entries";
import { parseStackConfig } from "../infra/config/parse";
import { regionNames, type Region } from "../infra/config/regions";
import type { StackConfig } from "../infra/config/types";
import { planRegionStreams, type PlannedStream } from "../infra/streams/plan";
import type { CredentialsSpec } from "../streams";
import { consumerProvider } from "../streams/consumerProvider";
import { streamProvider } from "../streams/streamProvider";
import type { DesiredResource } from "./engine";

export interface DrillStackSettings {
  /** Client URLs of each region's servers. */
  readonly servers: Readonly<Record<Region, readonly string[]>>;
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
): { streams: Record<string, StreamEntryInput>; consumers: Record<string, ConsumerEntryInput> } {
  const names = streams === "all" ? catalogStreamNames() : [...streams];
  const unknown = names.filter((name) => !(name in defaultStreams));
  if (unknown.length > 0) {
    throw new Error(
      `--streams: ${unknown.map((name) => `"${name}"`).join(", ")} is not in the catalog; choose from ${catalogStreamNames().join(", ")} or "all".`,
    );
  }
  const selected = Object.fromEntries(names.map((name) => [name, { ...defaultStreams[name]!, maxBytes }]));
  const consumers = Object.fromEntries(
    Object.entries(defaultConsumers).filter(([, entry]) => entry.stream !== undefined && names.includes(entry.stream)),
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
    region,
    activeRegion,
    regions: Object.fromEntries(regionNames.map((name) => [name, { servers: [...settings.servers[name]] }])),
    connection: { ...settings.connection },
    failover: { ...settings.failover },
    catalog: { mode: "replace", ...selectCatalog(settings.streams, settings.streamMaxBytes) },
    // Route53 is not part of a local drill; the schema requires the keys, so they name nothing real.
    dns: { hostedZoneId: "ZDRILLLOCAL", hostname: "nats.drill.invalid" },
  };
}

/** parseStackConfig, or an error listing every problem (a drill bug or a bad option). */
export function drillStackConfig(region: Region, activeRegion: Region, settings: DrillStackSettings): StackConfig {
  const parsed = parseStackConfig(drillRawConfig(region, activeRegion, settings));
  if ("problems" in parsed)
    throw new Error(`the drill's stack config for ${region} is invalid:\n${parsed.problems.join("\n")}`);
  return parsed.config;
}

/**
 * The resources RegionStreams("jetstream", ...) registers for this config, with the same names
 * and inputs (credentials are given here: the drill's users are not Pulumi secrets).
 */
export function desiredResources(config: StackConfig, credentials: CredentialsSpec): DesiredResource[] {
  const name = "jetstream";
  const domain = config.regions[config.region].domain;
  const resources: DesiredResource[] = [];
  for (const planned of planRegionStreams(config)) {
    const streamName = `${name}-stream-${planned.name}`;
    resources.push({
      name: streamName,
      provider: streamProvider,
      dependsOn: [],
      inputs: {
        connection: config.connection,
        credentials,
        domain,
        spec: planned.spec,
        role: planned.role,
        ...(planned.peerDomain === undefined ? {} : { peerDomain: planned.peerDomain }),
        failover: config.failover,
        allowDeleteWithMessages: config.allowDeleteWithMessages,
      },
    });
    for (const consumer of planned.consumers) {
      resources.push({
        name: `${name}-consumer-${consumer.name}`,
        provider: consumerProvider,
        dependsOn: [streamName],
        inputs: { connection: config.connection, credentials, domain, stream: planned.name, spec: consumer.spec },
      });
    }
  }
  return resources;
}

/** The replicated streams and their consumers the load uses (not the interest check's), from either region's plan. */
export function replicatedStreams(config: StackConfig): PlannedStream[] {
  return planRegionStreams(config).filter((planned) => planned.replicated && planned.name !== interestCheck.stream);
}
