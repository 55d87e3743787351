// Everything one region's stack declares. Today: the JetStream streams and consumers. The
// Kubernetes and AWS components of the region join here.
import type { StackConfig } from "./config";
import { RegionStreams, planRegionStreams } from "./streams";
import type { RegionStreamsArgs } from "./streams";

/** The RegionStreams inputs for a stack config: the plan plus this region's connection. Pure. */
export function regionStreamsArgs(config: StackConfig): RegionStreamsArgs {
  return {
    streams: planRegionStreams(config),
    connection: config.connection,
    credentials: config.credentials,
    domain: config.regions[config.region].domain,
    failover: config.failover,
    allowDeleteWithMessages: config.allowDeleteWithMessages,
  };
}

export interface DeclaredRegion {
  readonly jetstream: RegionStreams;
}

/** Declares the region's resources. `name` prefixes every resource name. */
export function declareRegion(config: StackConfig, name = "jetstream"): DeclaredRegion {
  return { jetstream: new RegionStreams(name, regionStreamsArgs(config)) };
}
