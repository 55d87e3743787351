// The provider's connections are lent per operation and kept for the next one (sessionPool.ts):
// with a real server, a given-back connection serves the next operation, never two at once, and
// one that failed, lingers or lost its server is not lent again as it was.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { inSession, type Session } from "../../streams/client";
import { closeWaitingSessions, IDLE_CLOSE_MS } from "../../streams/sessionPool";
import { startStandalone, type Standalone } from "../harness";
import { APP_CREDENTIALS } from "../support/provider";

let server: Standalone;

beforeAll(async () => {
  server = await startStandalone({ name: "session-pool", domain: "pool-test" });
});

afterAll(async () => {
  await closeWaitingSessions();
  await server?.stop();
});

const inputs = () => ({
  connection: { servers: [server.clientUrl], connectTimeoutMs: 2000, requestTimeoutMs: 2000 },
  credentials: APP_CREDENTIALS,
  domain: "pool-test",
});

const connectionOf = (session: Session) => session.nc;

describe("session pool", { timeout: 60_000 }, () => {
  test("the next operation gets the given-back connection; operations at once get their own", async () => {
    const first = await inSession(inputs(), async (session) => connectionOf(session));
    const second = await inSession(inputs(), async (session) => connectionOf(session));
    expect(second).toBe(first);
    expect(second.isClosed()).toBe(false);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const [a, b] = await Promise.all([
      inSession(inputs(), async (session) => {
        await held;
        return connectionOf(session);
      }),
      inSession(inputs(), async (session) => {
        release();
        return connectionOf(session);
      }),
    ]);
    expect(a).not.toBe(b);
    // Other credentials never get a connection made with these.
    const other = await inSession({ ...inputs(), domain: "another-domain" }, async (session) => connectionOf(session));
    expect([a, b]).not.toContain(other);
    await closeWaitingSessions();
  });

  test("a connection whose operation failed is closed, not lent again", async () => {
    let failedOn: Session["nc"] | undefined;
    await expect(
      inSession(inputs(), async (session) => {
        failedOn = session.nc;
        throw new Error("the operation's own failure");
      }),
    ).rejects.toThrow("the operation's own failure");
    expect(failedOn!.isClosed()).toBe(true);
    const next = await inSession(inputs(), async (session) => connectionOf(session));
    expect(next).not.toBe(failedOn);
    await closeWaitingSessions();
  });

  test("work that lingers keeps the connection from the next operation until it settled", async () => {
    let settle: () => void = () => undefined;
    const lingering = new Promise<void>((resolve) => (settle = resolve));
    const first = await inSession(inputs(), async (session) => {
      session.linger(lingering);
      return connectionOf(session);
    });
    expect(first.isClosed()).toBe(false);
    const during = await inSession(inputs(), async (session) => connectionOf(session));
    expect(during).not.toBe(first);
    settle();
    await lingering;
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Both are waiting now; either may serve, and neither is closed.
    const after = await inSession(inputs(), async (session) => connectionOf(session));
    expect([first, during]).toContain(after);
    await closeWaitingSessions();
    expect(first.isClosed() && during.isClosed()).toBe(true);
  });

  test("a waiting connection whose server restarted is replaced; an idle one is closed", async () => {
    const before = await inSession(inputs(), async (session) => connectionOf(session));
    await server.server.stop();
    await server.server.start();
    const after = await inSession(inputs(), async (session) => {
      // The new connection works: the server answers a JetStream request on it.
      expect((await session.jsm.getAccountInfo()).streams).toBeGreaterThanOrEqual(0);
      return connectionOf(session);
    });
    expect(after).not.toBe(before);
    expect(before.isClosed()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, IDLE_CLOSE_MS + 500));
    expect(after.isClosed()).toBe(true);
  });
});
