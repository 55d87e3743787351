import { planRegion, startRegion, type RunningRegion } from "./region";
import type { ServerHandle } from "./server";

/** Options of {@link startStandalone}. */
export interface StandaloneOptions {
  /** Server name. @default "standalone" */
  readonly name?: string;
  /** JetStream domain. @default none */
  readonly domain?: string;
  /** Accounts SYS and APP with users (connect with connectApp); false: no auth. @default true */
  readonly auth?: boolean;
}

/** One nats-server with JetStream. */
export interface Standalone {
  readonly server: ServerHandle;
  readonly domain: string | undefined;
  readonly clientUrl: string;
  /** Stops the server and removes its temp dir. */
  stop(): Promise<void>;
}

/** Starts one JetStream server on free loopback ports. */
export async function startStandalone(options: StandaloneOptions = {}): Promise<Standalone> {
  const region = await startRegion(
    await planRegion({
      domain: options.domain,
      namePrefix: options.name ?? "standalone",
      size: 1,
      ...(options.auth === undefined ? {} : { auth: options.auth }),
    }),
  );
  const server = region.servers[0]!;
  return { server, domain: options.domain, clientUrl: server.clientUrl, stop: () => region.stop() };
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** Number of servers. @default 3 */
  readonly size?: number;
  /** JetStream domain. @default none */
  readonly domain?: string;
  /** Cluster name; servers are named `<clusterName>-<n>`. @default "cluster" */
  readonly clusterName?: string;
}

/** A JetStream cluster whose meta leader reported all peers current. */
export interface Cluster extends RunningRegion {
  readonly clusterName: string;
}

/** Starts a JetStream cluster and waits for its meta leader and all peers. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const size = options.size ?? 3;
  if (size < 2) {
    throw new Error(`startCluster needs size >= 2 (got ${size}); use startStandalone for one server.`);
  }
  const clusterName = options.clusterName ?? "cluster";
  const region = await startRegion(
    await planRegion({ domain: options.domain, namePrefix: clusterName, clusterName, size }),
  );
  return { ...region, clusterName };
}
