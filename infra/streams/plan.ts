// Which streams and consumers a region declares, and in which role. Pure.
import type { ConsumerSpec, StreamRole, StreamSpec } from "../../streams";
import type { StackConfig } from "../config/types";

export interface PlannedConsumer {
  /** Durable name (the catalog key). */
  readonly name: string;
  readonly spec: ConsumerSpec;
}

export interface PlannedStream {
  /** Stream name, the same in both regions. */
  readonly name: string;
  /** "primary" in the active region (or the home region), "mirror" in the standby region. */
  readonly role: StreamRole;
  /** The other region's JetStream domain; set for replicated streams only. */
  readonly peerDomain?: string;
  /** True for streams mirrored between the regions; false for home-region streams. */
  readonly replicated: boolean;
  /** Canonical stream spec, identical in both regions. */
  readonly spec: StreamSpec;
  /** The stream's durable consumers, sorted by name. */
  readonly consumers: readonly PlannedConsumer[];
}

/** The parts of the stack config planning depends on. */
export type PlanInput = Pick<StackConfig, "region" | "activeRegion" | "peer" | "catalog">;

/**
 * The streams this region declares, sorted by name. A replicated stream is the primary in
 * `activeRegion` and a mirror of it elsewhere; a home-region stream exists only in its home region,
 * always as primary and without a peer. Consumers exist wherever their stream exists.
 */
export function planRegionStreams(config: PlanInput): PlannedStream[] {
  const peerDomain = config.peer.domain;
  const planned: PlannedStream[] = [];
  for (const { spec, replication } of config.catalog.streams) {
    const consumers = config.catalog.consumers
      .filter((consumer) => consumer.stream === spec.name)
      .map((consumer) => ({ name: consumer.spec.name, spec: consumer.spec }))
      .sort((a, b) => compare(a.name, b.name));
    if (replication.kind === "home") {
      if (replication.homeRegion !== config.region) continue;
      planned.push({ name: spec.name, role: "primary", replicated: false, spec, consumers });
    } else {
      const role = config.activeRegion === config.region ? "primary" : "mirror";
      planned.push({ name: spec.name, role, peerDomain, replicated: true, spec, consumers });
    }
  }
  return planned.sort((a, b) => compare(a.name, b.name));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
