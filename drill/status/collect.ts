// What `npm run status` asks the servers: per server, whether it accepts a connection (and what
// it says about itself) and its monitoring /healthz; per region, every stream's role, counts,
// mirror lag and consumers. Works against the drill's regions and real ones.
import { connect, credsAuthenticator, type ConnectionOptions } from "@nats-io/transport-node";
import { regionReport, type StreamReport } from "../evidence";

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
}

export interface RegionStatus {
  readonly region: string;
  readonly domain: string;
  readonly servers: readonly ServerHealth[];
  readonly monitors: readonly MonitorHealth[];
  readonly streams: readonly StreamReport[];
  /** Why the streams could not be listed (no server answered, no JetStream API). */
  readonly error?: string;
}

function authOptions(credentials: StatusCredentials): Partial<ConnectionOptions> {
  if (credentials.creds !== undefined)
    return { authenticator: credsAuthenticator(new TextEncoder().encode(credentials.creds)) };
  if (credentials.token !== undefined) return { token: credentials.token };
  if (credentials.user !== undefined) return { user: credentials.user, pass: credentials.password ?? "" };
  return {};
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

/** GET <monitor>/healthz: 200 means the server and (when enabled) JetStream are healthy. */
export async function monitorHealth(url: string, timeoutMs: number): Promise<MonitorHealth> {
  const target = `${url.replace(/\/+$/, "")}/healthz`;
  try {
    const response = await fetch(target, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.json().catch(() => ({}))) as { status?: string; error?: string };
    return { url, ok: response.status === 200, httpStatus: response.status, detail: body.error ?? body.status ?? "" };
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
    const nc = await connect({
      servers: [...target.servers],
      ...authOptions(credentials),
      reconnect: false,
      timeout: timeoutMs,
      name: "nats-dr status",
    });
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
  return Promise.all(targets.map((target) => regionStatus(target, credentials, timeoutMs)));
}

/** Healthy: every server answered, every monitor said 200, every region listed its streams. */
export function isHealthy(status: readonly RegionStatus[]): boolean {
  return status.every(
    (region) =>
      region.error === undefined &&
      region.servers.every((server) => server.ok) &&
      region.monitors.every((monitor) => monitor.ok),
  );
}
