// What `npm run status` asks the servers: per server, whether it accepts a connection (and what
// it says about itself) and its monitoring /healthz; per region, every stream's role, counts,
// mirror lag and consumers. Works against the drill's regions and real ones.
import fs from "node:fs";
import { connect, credsAuthenticator, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";
import { regionReport, type StreamReport } from "../evidence";
import { mirrorFindings, type MirrorFinding } from "./mirrors";

export interface RegionTarget {
  readonly region: string;
  readonly domain: string;
  /** Client URLs, nats://host:4222. */
  readonly servers: readonly string[];
  /** Monitoring URLs, http://host:8222; optional. */
  readonly monitors: readonly string[];
}

export interface StatusCredentials {
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  /** Contents of a .creds file. */
  readonly creds?: string;
}

export interface ServerHealth {
  readonly url: string;
  readonly ok: boolean;
  readonly name?: string;
  readonly version?: string;
  readonly cluster?: string;
  readonly jetstream?: boolean;
  readonly rttMs?: number;
  readonly error?: string;
}

export interface MonitorHealth {
  readonly url: string;
  readonly ok: boolean;
  readonly httpStatus?: number;
  readonly detail: string;
  /** The server's JetStream file store from /jsz, when it answered. */
  readonly store?: FileStoreUse;
}

/**
 * A server's file store: JetStream reserves each stream's maxBytes when it places the stream, so a
 * new stream fails once `reservedBytes` would pass `limitBytes`, long before `usedBytes` does.
 */
export interface FileStoreUse {
  readonly usedBytes: number;
  readonly reservedBytes: number;
  readonly limitBytes: number;
}

export interface RegionStatus {
  readonly region: string;
  readonly domain: string;
  readonly servers: readonly ServerHealth[];
  readonly monitors: readonly MonitorHealth[];
  readonly streams: readonly StreamReport[];
  /** Why the streams could not be listed (no server answered, no JetStream API). */
  readonly error?: string;
  /** Mirrors that do not copy the stream they were created from (see mirrorFindings). */
  readonly findings?: readonly MirrorFinding[];
}

function authOptions(credentials: StatusCredentials): Partial<ConnectionOptions> {
  if (credentials.creds !== undefined)
    return { authenticator: credsAuthenticator(new TextEncoder().encode(credentials.creds)) };
  if (credentials.token !== undefined) return { token: credentials.token };
  if (credentials.user !== undefined) return { user: credentials.user, pass: credentials.password ?? "" };
  return {};
}

/** The credentials given by flags or environment, a .creds file read. */
export function resolveCredentials(options: {
  readonly credentials: StatusCredentials;
  readonly credsFile?: string;
}): StatusCredentials {
  return options.credsFile ? { creds: fs.readFileSync(options.credsFile, "utf8") } : options.credentials;
}

/** One connection to a region's servers (any of them), without reconnects: a command's life is short. */
export function connectTarget(
  target: Pick<RegionTarget, "servers">,
  credentials: StatusCredentials,
  timeoutMs: number,
  name: string,
): Promise<NatsConnection> {
  return connect({
    servers: [...target.servers],
    ...authOptions(credentials),
    reconnect: false,
    timeout: timeoutMs,
    name,
  });
}

function message(error: unknown): string {
  return String((error as Error)?.message ?? error);
}

/** Connects to one server only (no reconnect, no other cluster members) and reads its INFO. */
export async function serverHealth(
  url: string,
  credentials: StatusCredentials,
  timeoutMs: number,
): Promise<ServerHealth> {
  try {
    const nc = await connect({
      servers: [url],
      ...authOptions(credentials),
      reconnect: false,
      timeout: timeoutMs,
      ignoreClusterUpdates: true,
      name: "nats-dr status",
    });
    try {
      const info = nc.info;
      const rttMs = await nc.rtt();
      return {
        url,
        ok: true,
        ...(info?.server_name ? { name: info.server_name } : {}),
        ...(info?.version ? { version: info.version } : {}),
        ...(info?.cluster ? { cluster: info.cluster } : {}),
        jetstream: info?.jetstream ?? false,
        rttMs: Math.round(rttMs * 10) / 10,
      };
    } finally {
      await nc.close();
    }
  } catch (error) {
    return { url, ok: false, error: message(error) };
  }
}

/** GET <monitor>/jsz: the file store's use; undefined when the server has no JetStream or no answer. */
export async function fileStoreUse(url: string, timeoutMs: number): Promise<FileStoreUse | undefined> {
  try {
    const response = await fetch(`${url.replace(/\/+$/, "")}/jsz`, { signal: AbortSignal.timeout(timeoutMs) });
    if (response.status !== 200) return undefined;
    const body = (await response.json()) as {
      storage?: number;
      reserved_storage?: number;
      config?: { max_storage?: number };
    };
    if (body.config?.max_storage === undefined) return undefined;
    return {
      usedBytes: body.storage ?? 0,
      reservedBytes: body.reserved_storage ?? 0,
      limitBytes: body.config.max_storage,
    };
  } catch {
    return undefined;
  }
}

/** GET <monitor>/healthz: 200 means the server and (when enabled) JetStream are healthy. */
export async function monitorHealth(url: string, timeoutMs: number): Promise<MonitorHealth> {
  const target = `${url.replace(/\/+$/, "")}/healthz`;
  try {
    const [response, store] = await Promise.all([
      fetch(target, { signal: AbortSignal.timeout(timeoutMs) }),
      fileStoreUse(url, timeoutMs),
    ]);
    const body = (await response.json().catch(() => ({}))) as { status?: string; error?: string };
    return {
      url,
      ok: response.status === 200,
      httpStatus: response.status,
      detail: body.error ?? body.status ?? "",
      ...(store ? { store } : {}),
    };
  } catch (error) {
    return { url, ok: false, detail: message(error) };
  }
}

export async function regionStatus(
  target: RegionTarget,
  credentials: StatusCredentials,
  timeoutMs: number,
): Promise<RegionStatus> {
  const [servers, monitors] = await Promise.all([
    Promise.all(target.servers.map((url) => serverHealth(url, credentials, timeoutMs))),
    Promise.all(target.monitors.map((url) => monitorHealth(url, timeoutMs))),
  ]);
  const base = { region: target.region, domain: target.domain, servers, monitors };
  try {
    const nc = await connectTarget(target, credentials, timeoutMs, "nats-dr status");
    try {
      return { ...base, streams: await regionReport(nc, target.domain, timeoutMs) };
    } finally {
      await nc.close();
    }
  } catch (error) {
    return { ...base, streams: [], error: message(error) };
  }
}

export async function collectStatus(
  targets: readonly RegionTarget[],
  credentials: StatusCredentials,
  timeoutMs = 3000,
): Promise<RegionStatus[]> {
  const regions = await Promise.all(targets.map((target) => regionStatus(target, credentials, timeoutMs)));
  const findings = mirrorFindings(regions);
  return regions.map((region) => {
    const own = findings.filter((finding) => finding.region === region.region);
    return own.length > 0 ? { ...region, findings: own } : region;
  });
}

/** Healthy: every server answered, every monitor said 200, every region listed its streams, no broken mirror. */
export function isHealthy(status: readonly RegionStatus[]): boolean {
  return status.every(
    (region) =>
      region.error === undefined &&
      (region.findings ?? []).length === 0 &&
      region.servers.every((server) => server.ok) &&
      region.monitors.every((monitor) => monitor.ok),
  );
}
