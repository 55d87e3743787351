// Re-creating a stream under its own name (demotion, mirror repair, retention change of a mirror)
// on a real server whose store refuses the add for a while. The refusal is made real: a file
// where the server creates the stream's store directory, so its mkdir fails as it did in the
// race the retry is for (err_code 10077, "error creating store for stream").
import { mkdir, rm, rmdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { JetStreamApiError, type StreamConfig } from "@nats-io/jetstream";
import { afterEach, beforeAll, afterAll, describe, expect, test } from "vitest";
import { openSession, type Session } from "../../streams/client";
import { addStreamRetryingStore, recreateStream } from "../../streams/recreate";
import { ACCOUNTS } from "../harness/config";
import { APP_CREDENTIALS } from "../support/provider";
import { useRegions } from "../support/regions";

const fixture = useRegions({ clustered: false });
let session: Session;

beforeAll(async () => {
  const east = fixture.regions.east;
  session = await openSession(
    { servers: [...east.clientUrls], connectTimeoutMs: 2000, requestTimeoutMs: 2000 },
    APP_CREDENTIALS,
    east.domain,
  );
});

afterAll(() => session?.close());

/** Where the server of us-east-1 keeps the app account's stream stores. */
function streamsDirectory(): string {
  return path.join(fixture.regions.east.servers[0]!.storeDir, "jetstream", ACCOUNTS.app, "streams");
}

/**
 * Puts a file where the streams directory goes (the account holds no stream): the server's mkdir
 * fails, as it failed in the race. A failed add makes the server remove the account's directory
 * (the file with it), so the next add succeeds unless the file is put back.
 */
async function blockStore(): Promise<void> {
  await mkdir(path.dirname(streamsDirectory()), { recursive: true });
  await rmdir(streamsDirectory()).catch((error: NodeJS.ErrnoException) => {
    if (!["ENOENT", "ENOTDIR"].includes(error.code ?? "")) throw error;
  });
  await writeFile(streamsDirectory(), "not a directory", { flag: "w" });
}

/** Keeps the store blocked (puts the file back every millisecond) until the returned function is called. */
async function keepStoreBlocked(): Promise<() => Promise<void>> {
  await blockStore();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await blockStore().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

async function unblockStore(): Promise<void> {
  const where = streamsDirectory();
  if ((await stat(where).catch(() => undefined))?.isFile()) await rm(where);
}

const config = (name: string): Partial<StreamConfig> & { name: string } => ({ name, subjects: [`${name}.*`] });

afterEach(async () => {
  await unblockStore();
  for (const name of ["ledger", "stuck", "other"]) await session.jsm.streams.delete(name).catch(() => undefined);
});

describe("stream re-create", () => {
  test("an add refused for its store is tried again and succeeds once the server can create it", async () => {
    await blockStore();
    expect(await addStreamRetryingStore(session, config("ledger"), "test")).toBeGreaterThan(1);
    expect((await session.jsm.streams.info("ledger")).config.subjects).toEqual(["ledger.*"]);
  });

  test("a store still refused after the retry time is reported with what was done and what to run", async () => {
    const stopBlocking = await keepStoreBlocked();
    const error = await addStreamRetryingStore(session, config("stuck"), 'demoting stuck in "us-east-1"', {
      forMs: 300,
      everyMs: 50,
    }).catch((caught: unknown) => caught);
    await stopBlocking();
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /^demoting stuck in "us-east-1": the server refused to create the store of stream stuck for 300 ms \(error creating store for stream.*\)\. The old stream is already deleted; .*run pulumi up again: it creates the stream and its declared consumers\.$/,
    );
    expect(((error as Error).cause as JetStreamApiError).apiError()).toMatchObject({ err_code: 10049 });
  });

  test("any other refusal is thrown as the server gave it, without retrying", async () => {
    await session.jsm.streams.add(config("other"));
    const error = await addStreamRetryingStore(session, { name: "ledger", subjects: ["other.*"] }, "test").catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(JetStreamApiError);
    expect((error as JetStreamApiError).message).toMatch(/subjects overlap/);
  });

  test("the re-created stream keeps its durable consumers", async () => {
    await session.jsm.streams.add(config("ledger"));
    await session.jsm.consumers.add("ledger", { durable_name: "billing", ack_policy: "explicit" });
    await session.jsm.jetstream().publish("ledger.x", "1");
    await recreateStream(session, { ...config("ledger"), description: "re-created" }, "test");
    const info = await session.jsm.streams.info("ledger");
    expect(info.config.description).toBe("re-created");
    expect(info.state.messages).toBe(0);
    expect((await session.jsm.consumers.info("ledger", "billing")).config.ack_policy).toBe("explicit");
  });
});
