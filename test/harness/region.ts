import { renderServerConfig } from "./config";
import { waitForMetaCluster } from "../../drill/local/meta";
import { freePort } from "./ports";
import { startServer, type ServerHandle } from "./server";
import type { WaitOptions } from "./wait";

// Moved to drill/local/meta.ts (the drill starts clusters too); re-exported for the tests.
export { waitForMetaCluster };

/** The servers of one JetStream domain (one region). */
export interface Region {
  readonly domain: string;
  readonly servers: ServerHandle[];
  /** Client URLs of all servers, in the order of `servers`. */
  readonly clientUrls: string[];
}

/** What to start for one region. */
export interface RegionSpec {
  /** JetStream domain; undefined for none. */
  readonly domain: string | undefined;
  /** Server names are `<namePrefix>-<n>` (n from 1). */
  readonly namePrefix: string;
  /** Number of servers; more than 1 makes a JetStream cluster. */
  readonly size: number;
  /** Cluster name when size > 1. @default namePrefix */
  readonly clusterName?: string;
  /** Accounts and users (see config.ts). @default true */
  readonly auth?: boolean;
  /** Give every server a leafnode listener. @default false */
  readonly acceptLeafnodes?: boolean;
  /** Leafnode URLs every server dials. @default none */
  readonly leafnodeRemoteUrls?: readonly string[];
}

/** Ports chosen for one server of a region. */
export interface MemberPlan {
  readonly name: string;
  readonly clientPort: number;
  readonly monitorPort: number;
  readonly clusterPort: number | undefined;
  readonly leafnodePort: number | undefined;
}

/** A region with ports chosen but nothing started, so other parts can be wired to the ports. */
export interface RegionPlan {
  readonly spec: RegionSpec;
  readonly members: readonly MemberPlan[];
}

/** A started region that owns its servers. */
export interface RunningRegion extends Region {
  /** Stops the servers and removes their temp dirs. */
  stop(): Promise<void>;
}

/** Chooses free ports for every server of the region. */
export async function planRegion(spec: RegionSpec): Promise<RegionPlan> {
  if (!Number.isInteger(spec.size) || spec.size < 1) {
    throw new Error(`Region size must be a whole number of servers >= 1; got ${spec.size}.`);
  }
  const clustered = spec.size > 1;
  const members: MemberPlan[] = [];
  for (let n = 1; n <= spec.size; n++) {
    members.push({
      name: `${spec.namePrefix}-${n}`,
      clientPort: await freePort(),
      monitorPort: await freePort(),
      clusterPort: clustered ? await freePort() : undefined,
      leafnodePort: spec.acceptLeafnodes === true ? await freePort() : undefined,
    });
  }
  return { spec, members };
}

/**
 * Starts every server of the plan at once and, for a cluster, waits until JetStream has a
 * meta leader that reports all peers current. On failure, whatever started is stopped.
 */
export async function startRegion(plan: RegionPlan, options: WaitOptions = {}): Promise<RunningRegion> {
  const { spec, members } = plan;
  const routePorts = members.flatMap((m) => (m.clusterPort === undefined ? [] : [m.clusterPort]));
  const results = await Promise.allSettled(
    members.map((member) =>
      startServer({
        name: member.name,
        configText: ({ storeDir }) =>
          renderServerConfig({
            serverName: member.name,
            clientPort: member.clientPort,
            monitorPort: member.monitorPort,
            storeDir,
            ...(spec.domain === undefined ? {} : { domain: spec.domain }),
            ...(spec.auth === undefined ? {} : { auth: spec.auth }),
            ...(member.clusterPort === undefined
              ? {}
              : { cluster: { name: spec.clusterName ?? spec.namePrefix, port: member.clusterPort, routePorts } }),
            ...(member.leafnodePort === undefined ? {} : { leafnodeListenPort: member.leafnodePort }),
            ...(spec.leafnodeRemoteUrls === undefined ? {} : { leafnodeRemoteUrls: spec.leafnodeRemoteUrls }),
          }),
        ...(options.timeoutMs === undefined ? {} : { readyTimeoutMs: options.timeoutMs }),
      }),
    ),
  );
  const servers = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.dispose()));
  };
  const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failure !== undefined) {
    await stop();
    throw failure.reason;
  }
  try {
    if (servers.length > 1) {
      await waitForMetaCluster(servers, options);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    domain: spec.domain ?? "",
    servers,
    clientUrls: servers.map((s) => s.clientUrl),
    stop,
  };
}
