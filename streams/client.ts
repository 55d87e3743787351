// Connections and error classification for the provider.
//
// Packages are `require`d inside functions, when a provider first connects: the program imports
// this folder to plan and declare resources, and most of it never opens a connection.
import type { JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { giveBack, lendSession } from "./sessionPool";
import type { ConnectionSpec, CredentialsSpec } from "./spec";

export interface Session {
  readonly nc: NatsConnection;
  /** The JetStream domain `jsm` manages. */
  readonly domain: string;
  /** JetStream manager of this stream's own domain. */
  readonly jsm: JetStreamManager;
  /** JetStream manager of another domain, reached across the leafnode. */
  managerFor(domain: string, timeoutMs: number): Promise<JetStreamManager>;
  /**
   * Keeps the connection open for `work` that runs on after the caller is done (it must settle by
   * itself, in bounded time): close() then returns at once and closes when that work has settled.
   */
  linger(work: Promise<unknown>): void;
  /** Settles when the work given to linger() has settled. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * JetStream error codes we act on that nats.js does not name (its JetStreamApiCodes has the
 * not-found ones, used by isNotFound). The API's err_code, never the message text.
 */
export const ApiErrorCodes = {
  mirrorConfigCannotBeUpdated: 10055,
  /**
   * "JetStream system temporarily unavailable": the region's JetStream answered, but the group
   * that owns the request has no leader yet (a server was lost or restarts; an election runs).
   */
  temporarilyUnavailable: 10008,
  /** "stream name already in use with a different configuration". */
  streamNameInUse: 10058,
  /** The server's catch-all for a stream it failed to create; the description says why. */
  streamCreateFailed: 10049,
  /**
   * "consumer name already in use": also the answer to moving an active push consumer to another
   * deliver subject while its current one still has interest (nats-server 2.14.9).
   */
  consumerNameInUse: 10013,
} as const;

/** The JetStream API's err_code of an error nats.js raised for an API answer, else undefined. */
export function apiErrorCode(error: unknown): number | undefined {
  const { JetStreamApiError } = require("@nats-io/jetstream") as typeof import("@nats-io/jetstream");
  return error instanceof JetStreamApiError ? error.apiError().err_code : undefined;
}

/** True when the API said the stream or consumer does not exist. */
export function isNotFound(error: unknown): boolean {
  const { JetStreamApiCodes } = require("@nats-io/jetstream") as typeof import("@nats-io/jetstream");
  const code = apiErrorCode(error);
  return code === JetStreamApiCodes.StreamNotFound || code === JetStreamApiCodes.ConsumerNotFound;
}

/** True when the region answered that its JetStream is electing a leader (err_code 10008). */
export function isTemporarilyUnavailable(error: unknown): boolean {
  return apiErrorCode(error) === ApiErrorCodes.temporarilyUnavailable;
}

/** True when the error means "nobody answered": the domain is unreachable, not misconfigured. */
export function isUnreachable(error: unknown): boolean {
  const { errors } = require("@nats-io/transport-node") as typeof import("@nats-io/transport-node");
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof errors.TimeoutError || current instanceof errors.NoRespondersError) return true;
    if (current instanceof errors.RequestError && /no responders|timeout/i.test(String((current as Error).message)))
      return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * True when nobody serves the subject: across a leafnode that is down the peer domain's API has
 * no subscribers. A timeout instead means someone holds the subject but did not answer (a
 * stream or meta leader election, or a link that silently drops packets).
 */
export function isNoResponders(error: unknown): boolean {
  const { errors } = require("@nats-io/transport-node") as typeof import("@nats-io/transport-node");
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof errors.NoRespondersError) return true;
    if (current instanceof errors.RequestError && /no responders/i.test(String((current as Error).message)))
      return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Why a JetStream API gave no answer, in words: nats.js reports both as "jetstream is not
 * enabled", which sends the reader to the wrong place.
 */
export function describeSilence(error: unknown): string {
  if (error === undefined) return "no answer";
  if (isNoResponders(error))
    return "no responders: nothing serves its JetStream API (across the leafnode: the link or the region is down)";
  return "its JetStream API requests timed out: the link drops traffic, or the region has no JetStream leader";
}

function describeServers(spec: ConnectionSpec): string {
  return spec.servers.join(", ");
}

/** Connects with bounded time and no reconnect loop; errors say what to fix. */
export async function openSession(
  connection: ConnectionSpec,
  credentials: CredentialsSpec | undefined,
  domain: string,
): Promise<Session> {
  const transport = require("@nats-io/transport-node") as typeof import("@nats-io/transport-node");
  const jetstream = require("@nats-io/jetstream") as typeof import("@nats-io/jetstream");
  const options: Parameters<typeof transport.connect>[0] = {
    servers: connection.servers,
    timeout: connection.connectTimeoutMs,
    reconnect: false,
    maxReconnectAttempts: 0,
    name: `nats-dr provider (${domain})`,
  };
  if (credentials?.user !== undefined) {
    options.user = credentials.user;
    options.pass = credentials.password ?? "";
  }
  if (credentials?.token !== undefined) options.token = credentials.token;
  if (credentials?.creds !== undefined) {
    options.authenticator = transport.credsAuthenticator(new TextEncoder().encode(credentials.creds));
  }
  let nc: NatsConnection;
  try {
    nc = await withDeadline(transport.connect(options), connection.connectTimeoutMs + 1000, "connect");
  } catch (error) {
    throw new Error(connectFailure(error, connection, domain), { cause: error });
  }
  const jsm = await jetstream.jetstreamManager(nc, { domain, timeout: connection.requestTimeoutMs, checkAPI: false });
  const lingering: Array<Promise<unknown>> = [];
  const idle = async () => {
    while (lingering.length > 0) await Promise.all(lingering.splice(0));
  };
  return {
    nc,
    domain,
    jsm,
    managerFor(otherDomain: string, timeoutMs: number) {
      return jetstream.jetstreamManager(nc, { domain: otherDomain, timeout: timeoutMs, checkAPI: false });
    },
    linger(work: Promise<unknown>) {
      lingering.push(work.catch(() => undefined));
    },
    idle,
    async close() {
      if (lingering.length > 0) {
        void idle().then(() => nc.close().catch(() => undefined));
        return;
      }
      await nc.close().catch(() => undefined);
    },
  };
}

function connectFailure(error: unknown, connection: ConnectionSpec, domain: string): string {
  const { errors } = require("@nats-io/transport-node") as typeof import("@nats-io/transport-node");
  const text = String((error as Error)?.message ?? error);
  if (error instanceof errors.AuthorizationError || /authorization|authentication/i.test(text)) {
    return `authentication to the NATS servers of domain "${domain}" (${describeServers(connection)}) failed: ${text}. Check the credentials (config nats-dr:natsUser/natsPassword, natsToken or natsCreds).`;
  }
  return `cannot connect to the NATS servers of domain "${domain}" (${describeServers(connection)}) within ${connection.connectTimeoutMs} ms: ${text}. Check connection.servers (config nats-dr:regions) and that the servers are up, or raise connectTimeoutMs.`;
}

/**
 * When a JetStream API does not answer, nats.js says "jetstream is not enabled" (the real cause,
 * no responders or a timeout, is in `cause`); say what to check instead. Errors the provider
 * already explained (plain Errors, e.g. an aborted failover and whether the peer was un-fenced)
 * pass unchanged.
 */
export function explainUnanswered(
  error: unknown,
  connection: ConnectionSpec,
  domain: string,
  peerDomain?: string,
): unknown {
  if (!isUnreachable(error) || (error as Error)?.constructor === Error) return error;
  const peer = peerDomain
    ? ` If this happened during a failover, the silent side may be the peer domain "${peerDomain}" across the leafnode; run pulumi up again when it answers.`
    : "";
  return new Error(
    `a JetStream API request did not answer (${describeSilence(error)}). This stack talks to domain "${domain}" on ${describeServers(connection)}: check that the servers run JetStream with domain "${domain}" (config nats-dr:regions.<region>.domain) and that the cluster has a meta leader, or raise requestTimeoutMs.${peer}`,
    { cause: error },
  );
}

/**
 * Pulumi's dynamic provider host logs a failed create, update or delete as `${error}:
 * ${error.stack}`, and a stack trace starts with the message: every refusal read twice. Keeps
 * only the frames in `stack`, so the message appears once. Returns the same error.
 */
export function messageOnce(error: unknown): unknown {
  if (error instanceof Error && typeof error.stack === "string") {
    const frames = error.stack.indexOf("\n    at ");
    error.stack = frames >= 0 ? error.stack.slice(frames + 1) : "";
  }
  return error;
}

/**
 * Runs `work` in a session with the region's servers (lent by sessionPool.ts) and gives it back;
 * explains unanswered API
 * requests (explainUnanswered) and leaves every error's message to appear once (messageOnce).
 */
export async function inSession<T>(
  inputs: {
    readonly connection: ConnectionSpec;
    readonly credentials?: CredentialsSpec;
    readonly domain: string;
    readonly peerDomain?: string;
  },
  work: (session: Session) => Promise<T>,
): Promise<T> {
  try {
    const session = await lendSession(inputs.connection, inputs.credentials, inputs.domain, openSession);
    let failed = false;
    try {
      return await work(session);
    } catch (error) {
      failed = true;
      throw explainUnanswered(error, inputs.connection, inputs.domain, inputs.peerDomain);
    } finally {
      await giveBack(session, failed);
    }
  } catch (error) {
    throw messageOnce(error);
  }
}

/**
 * Rejects when a promise takes longer than the deadline, so no provider call can hang. Not
 * nats-core's `deadline`: its rejection is a bare TimeoutError, which reads the same as a request's
 * own timeout; this one names what took too long.
 */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether a nats-server version ("2.14.9", "2.12.0-beta.1") is `major.minor` or newer. Pure. */
export function serverAtLeast(version: string | undefined, major: number, minor: number): boolean {
  const [serverMajor = 0, serverMinor = 0] = (version ?? "0.0.0").split(/[.-]/).map(Number);
  return serverMajor > major || (serverMajor === major && serverMinor >= minor);
}

/** Resolves after `ms` milliseconds (nats.js's delay). */
export async function sleep(ms: number): Promise<void> {
  const { delay } = require("@nats-io/transport-node") as typeof import("@nats-io/transport-node");
  await delay(ms);
}
