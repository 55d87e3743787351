/**
 * Typed reads of the nats-server monitoring endpoints the harness relies on. The shapes are
 * the parts of nats-server 2.14's JSON that we use (the server sends more fields).
 */

/** `/healthz`: 200 with `{status:"ok"}`, 503 with `{status:"unavailable", error}` otherwise. */
export interface Healthz {
  /** HTTP status code. */
  readonly httpStatus: number;
  readonly status: string;
  readonly error?: string;
}

/** One peer in `meta_cluster.replicas` (listed only by the meta leader). */
export interface MetaPeer {
  readonly name: string;
  readonly current: boolean;
  /** Nanoseconds since the leader last heard from the peer. */
  readonly active: number;
  readonly offline?: boolean;
  readonly peer: string;
}

/** `/jsz` `meta_cluster`; present only when JetStream runs clustered. */
export interface MetaCluster {
  readonly name?: string;
  /** Server name of the meta leader; missing until one is elected. */
  readonly leader?: string;
  /** This server's peer id. */
  readonly peer?: string;
  /** The other peers, reported by the leader only. */
  readonly replicas?: readonly MetaPeer[];
  /** Expected cluster size (from the routes), reported before the peers have met. */
  readonly cluster_size: number;
}

/** `/jsz` (account details not requested). */
export interface Jsz {
  readonly server_id: string;
  readonly config?: {
    readonly domain?: string;
    /** The configured store_dir with "/jetstream" appended. */
    readonly store_dir: string;
    readonly max_memory: number;
    readonly max_storage: number;
  };
  readonly streams: number;
  readonly consumers: number;
  readonly messages: number;
  readonly meta_cluster?: MetaCluster;
}

/** One leafnode connection in `/leafz`. */
export interface LeafConnection {
  /** Server name of the other side. */
  readonly name: string;
  /** True on the side that dialled (the remote / spoke). */
  readonly is_spoke: boolean;
  readonly account: string;
  readonly ip: string;
  readonly port: number;
}

/** `/leafz`. */
export interface Leafz {
  readonly server_id: string;
  readonly leafnodes: number;
  readonly leafs: readonly LeafConnection[];
}

const REQUEST_TIMEOUT_MS = 2_000;

/** GETs `http://127.0.0.1:<monitorPort><pathAndQuery>` and parses the JSON body. */
export async function getMonitorJson<T>(monitorPort: number, pathAndQuery: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${monitorPort}${pathAndQuery}`, {
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (!res.ok) {
    throw new Error(`GET ${pathAndQuery} on monitor port ${monitorPort} answered ${res.status}: ${await res.text()}`);
  }
  return (await res.json()) as T;
}

/** `/healthz` (optionally with a query such as `js-enabled-only=true`); never throws on 503. */
export async function healthz(monitorPort: number, query = ""): Promise<Healthz> {
  const res = await fetch(`http://127.0.0.1:${monitorPort}/healthz${query === "" ? "" : `?${query}`}`, {
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const body = (await res.json()) as { status?: string; error?: string };
  return {
    httpStatus: res.status,
    status: body.status ?? "",
    ...(body.error === undefined ? {} : { error: body.error }),
  };
}

/** `/jsz`. */
export function jsz(monitorPort: number): Promise<Jsz> {
  return getMonitorJson<Jsz>(monitorPort, "/jsz");
}

/** `/leafz`. */
export function leafz(monitorPort: number): Promise<Leafz> {
  return getMonitorJson<Leafz>(monitorPort, "/leafz");
}
