// Connections lent to the provider's operations and kept for the next one.
//
// The engine runs all resource operations of a `pulumi up` (and a preview's checks) in one dynamic
// provider process, many at once and one after another. Each opened its own connection: under
// load a connect took 45-60 ms (at most 116 ms) of every stream's promotion in a failover of 50
// streams (npm run bench:failover, link blackholed), on the path of every stream after the first
// wave. A connection here is lent to one operation at a time, never shared by two at once, so an
// operation sees the connection as its own, as before; given back, it waits for the next operation
// with the same servers, credentials, timeouts and domain, and is closed when none came for
// IDLE_CLOSE_MS. One that failed an operation, or is closed, is never lent again, and one that
// does not answer a ping when lent is replaced by a new connection.
import type { ConnectionSpec, CredentialsSpec } from "./spec";
import type { Session } from "./client";

/** How long a given-back connection waits for another operation before it is closed, ms. */
export const IDLE_CLOSE_MS = 2_000;

/** How long a waiting connection may take to answer a ping before it is replaced, ms (at most). */
const PING_MS = 1_000;

interface Parked {
  readonly session: Session;
  readonly timer: ReturnType<typeof setTimeout>;
}

const POOL_KEY = "__natsdrSessionPool";
const LENT_KEY = "__natsdrSessionLent";

/** The waiting connections by what they connect with; on globalThis, as peerJudgement.ts says why. */
function pool(): Map<string, Parked[]> {
  const holder = globalThis as unknown as Record<string, Map<string, Parked[]> | undefined>;
  return (holder[POOL_KEY] ??= new Map<string, Parked[]>());
}

/** Which key each lent session came from. */
function lent(): WeakMap<Session, string> {
  const holder = globalThis as unknown as Record<string, WeakMap<Session, string> | undefined>;
  return (holder[LENT_KEY] ??= new WeakMap<Session, string>());
}

/** Pure: the key of a connection: everything openSession connects with. */
export function sessionKey(
  connection: ConnectionSpec,
  credentials: CredentialsSpec | undefined,
  domain: string,
): string {
  return JSON.stringify([
    [...connection.servers].sort(),
    connection.connectTimeoutMs,
    connection.requestTimeoutMs,
    credentials?.user ?? null,
    credentials?.password ?? null,
    credentials?.token ?? null,
    credentials?.creds ?? null,
    domain,
  ]);
}

/** A waiting connection for these inputs that answers a ping, or a new one. */
export async function lendSession(
  connection: ConnectionSpec,
  credentials: CredentialsSpec | undefined,
  domain: string,
  open: (connection: ConnectionSpec, credentials: CredentialsSpec | undefined, domain: string) => Promise<Session>,
): Promise<Session> {
  const key = sessionKey(connection, credentials, domain);
  const waiting = pool().get(key);
  for (let parked = waiting?.pop(); parked !== undefined; parked = waiting?.pop()) {
    clearTimeout(parked.timer);
    const { session } = parked;
    const answers = !session.nc.isClosed() && (await pings(session, Math.min(PING_MS, connection.connectTimeoutMs)));
    if (answers) {
      lent().set(session, key);
      return session;
    }
    await session.close();
  }
  const session = await open(connection, credentials, domain);
  lent().set(session, key);
  return session;
}

/** Whether the server answers a ping on the connection within `ms`. */
async function pings(session: Session, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      session.nc.flush().then(
        () => true,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Takes a lent connection back once the work it lingers for has settled; closes it instead when
 * its operation failed (what state the failure left it in is not known) or it is closed.
 */
export async function giveBack(session: Session, failed: boolean): Promise<void> {
  const key = lent().get(session);
  lent().delete(session);
  if (failed || key === undefined || session.nc.isClosed()) {
    await session.close();
    return;
  }
  void session.idle().then(() => park(key, session));
}

function park(key: string, session: Session): void {
  if (session.nc.isClosed()) return;
  const waiting = pool().get(key) ?? [];
  pool().set(key, waiting);
  const timer = setTimeout(() => {
    const index = waiting.findIndex((parked) => parked.session === session);
    if (index >= 0) waiting.splice(index, 1);
    if (waiting.length === 0 && pool().get(key) === waiting) pool().delete(key);
    void session.close();
  }, IDLE_CLOSE_MS);
  // A waiting connection never keeps a process alive by its timer (its socket closes with it).
  timer.unref();
  waiting.push({ session, timer });
}

/** Closes every waiting connection now (tests, and a process about to end). */
export async function closeWaitingSessions(): Promise<void> {
  const all = [...pool().values()].flat();
  pool().clear();
  for (const parked of all) clearTimeout(parked.timer);
  await Promise.all(all.map((parked) => parked.session.close()));
}
