// npm run orphans against two real JetStream domains joined by a leafnode: orphan streams a real
// demotion made go back to the active region with their ids, verified, before removal; a repeat
// run stores nothing twice (within and beyond the duplicate window); a message without an id; a
// verification failure keeps the orphan stream; the command line's bad options and exit codes.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { jetstream, jetstreamManager, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RepublishEvidence } from "../../drill/orphans/evidence";
import { findOrphanStreams, RepublishMetadata } from "../../drill/orphans/find";
import { readRecords, unfinishedIntents } from "../../drill/orphans/intents";
import { DERIVED_ID_PREFIX } from "../../drill/orphans/message";
import { republishOrphanStream, type ActiveSide, type RegionSide } from "../../drill/orphans/republish";
import { republishOrphans } from "../../drill/orphans/run";
import { orphanHeaders, orphanStreamName } from "../../streams/orphans";
import { streamProvider } from "../../streams/streamProvider";
import { MetadataKeys } from "../../streams/wire";
import { type TwoDomains } from "../harness";
import { APP_CREDENTIALS, checked, eventually, rawStreamInputs, readStream, refreshedProps } from "../support/provider";
import { closeRegions, openRegions } from "../support/regions";

let regions: TwoDomains;
let east: NatsConnection;
let west: NatsConnection;
let from: RegionSide;
let to: ActiveSide;

beforeAll(async () => {
  ({ regions, east, west } = await openRegions({ clustered: false }));
  // us-east-1 was demoted and holds the orphans; eu-central-1 is active.
  from = { region: "us-east-1", domain: "us-east-1", jsm: await jetstreamManager(east, { domain: "us-east-1" }) };
  to = {
    region: "eu-central-1",
    domain: "eu-central-1",
    jsm: await jetstreamManager(west, { domain: "eu-central-1" }),
    js: jetstream(west, { timeout: 3000 }),
  };
}, 120_000);

afterAll(() => closeRegions({ regions, east, west }));

const options = { dryRun: false, publishTimeoutMs: 3000 } as const;

/** An orphan stream as a demotion leaves it (streams/orphans.ts), for cases a real one is slow to reach. */
async function orphanFixture(
  stream: string,
  messages: readonly { id?: string; data: string; header?: [string, string] }[],
  scope: "after-promotion" | "whole-stream" = "after-promotion",
): Promise<string> {
  const name = orphanStreamName(stream, 1000);
  await from.jsm.streams.add({
    name,
    subjects: [`natsdr.orphans.${name}`],
    metadata: {
      [MetadataKeys.managed]: "true",
      "natsdr.orphans-of": stream,
      [MetadataKeys.orphanScope]: scope,
    },
  });
  const js = jetstream(east);
  const { headers } = await import("@nats-io/transport-node");
  for (const [index, message] of messages.entries()) {
    const original = headers();
    if (message.id) original.set("Nats-Msg-Id", message.id);
    if (message.header) original.set(...message.header);
    original.set("Nats-Expected-Last-Sequence", "7");
    const copy = orphanHeaders(original, {
      subject: `${stream}.entry`,
      seq: 1001 + index,
      time: new Date(Date.UTC(2026, 11, 2, 20, 0, index)).toISOString(),
      domain: "us-east-1",
    });
    await js.publish(`natsdr.orphans.${name}`, new TextEncoder().encode(message.data), {
      msgID: `us-east-1:${stream}:${1001 + index}`,
      headers: copy,
    });
  }
  return name;
}

async function activeStream(stream: string, extra: Partial<StreamConfig> = {}): Promise<void> {
  await to.jsm.streams.add({ name: stream, subjects: [`${stream}.*`], ...extra });
}

async function exists(jsm: JetStreamManager, stream: string): Promise<boolean> {
  return jsm.streams.info(stream).then(
    () => true,
    () => false,
  );
}

describe("orphans republish against real servers", () => {
  it("an unplanned failover's orphans go back with their ids, verified, and only then are removed", async () => {
    const name = "ledger";
    const spec = { name, subjects: ["ledger.*"] };
    const eastPrimary = await streamProvider.create(
      await checked(streamProvider, rawStreamInputs(regions.east, regions.west, "primary", spec)),
    );
    const westMirror = await streamProvider.create(
      await checked(streamProvider, rawStreamInputs(regions.west, regions.east, "mirror", spec)),
    );
    const eastJs = jetstream(east);
    for (let index = 0; index < 10; index++)
      await eastJs.publish("ledger.entry", `before-${index}`, { msgID: `before-${index}` });
    await eventually("mirror at 10", async () => (await to.jsm.streams.info(name)).state.last_seq === 10);

    // Cut off: us-east-1 takes 5 writes with ids and 2 without that never replicate.
    regions.relay.cut();
    for (let index = 0; index < 5; index++)
      await eastJs.publish("ledger.entry", `orphan-${index}`, { msgID: `orphan-${index}` });
    for (let index = 0; index < 2; index++) await eastJs.publish("ledger.entry", `no-id-${index}`);
    await streamProvider.update(
      "id",
      westMirror.outs,
      await checked(streamProvider, rawStreamInputs(regions.west, regions.east, "primary", spec)),
    );
    await jetstream(west).publish("ledger.entry", "after-0", { msgID: "after-0" });
    regions.relay.heal();
    await eventually("leafnode back", async () => {
      await (await jetstreamManager(west, { domain: "us-east-1", checkAPI: false, timeout: 500 })).streams.info(name);
      return true;
    });
    const demoteInputs = await checked(streamProvider, rawStreamInputs(regions.east, regions.west, "mirror", spec));
    const demoted = await streamProvider.create(demoteInputs);
    await streamProvider.delete("id", eastPrimary.outs);
    const orphanStream = demoted.outs.lastDemotion!.orphanStream;
    expect(demoted.outs.pendingOrphans).toEqual([{ stream: orphanStream, messages: 7 }]);

    // Dry run: what it would publish, nothing changed.
    const dry = await republishOrphans(from, to, { ...options, dryRun: true, streams: [name] });
    expect(dry.streams).toHaveLength(1);
    expect(dry.streams[0]).toMatchObject({ orphanStream, published: 7, derivedIds: 2, stored: 0, removed: false });
    expect(dry.streams[0]!.messages.map((message) => message.originalSequence)).toEqual([11, 12, 13, 14, 15, 16, 17]);
    expect((await to.jsm.streams.info(name)).state.messages).toBe(11);
    expect(await exists(from.jsm, orphanStream)).toBe(true);

    const recorded: RepublishEvidence[] = [];
    const run = await republishOrphans(from, to, { ...options, streams: [name], record: (e) => recorded.push(e) });
    expect(run.streams[0]).toMatchObject({
      orphanStream,
      stream: name,
      orphanMessages: 7,
      published: 7,
      stored: 7,
      duplicates: 0,
      derivedIds: 2,
      verified: 7,
      failures: [],
      removed: true,
    });
    // The evidence was recorded before the removal, and again after.
    expect(recorded.map((evidence) => evidence.streams[0]!.removed)).toEqual([false, true]);
    expect(run.streams[0]!.messages.every((message) => message.verified === "read-back")).toBe(true);
    expect(run.streams[0]!.messages.map((message) => message.storedSequence)).toEqual([12, 13, 14, 15, 16, 17, 18]);
    expect(await exists(from.jsm, orphanStream)).toBe(false);

    const active = await readStream(west, "eu-central-1", name);
    expect(active.filter((message) => message.id?.startsWith("orphan-")).map((message) => message.id)).toEqual(
      Array.from({ length: 5 }, (_, index) => `orphan-${index}`),
    );
    const derived = active.filter((message) => message.id?.startsWith(DERIVED_ID_PREFIX));
    expect(derived.map((message) => message.id)).toEqual([
      expect.stringMatching(/^natsdr-orphan:us-east-1:ledger:16:/),
      expect.stringMatching(/^natsdr-orphan:us-east-1:ledger:17:/),
    ]);
    expect(active.every((message) => message.subject === "ledger.entry")).toBe(true);
    // Provenance stays in the evidence, not on the application's messages.
    expect(active.some((message) => Object.keys(message.headers).some((key) => key.startsWith("Nats-Dr-")))).toBe(
      false,
    );

    // The stack output empties on the next refresh.
    const refreshed = await streamProvider.read("id", demoted.outs);
    expect(refreshedProps(refreshed).pendingOrphans).toBeUndefined();
    await eventually("us-east-1 mirror holds the re-published orphans", async () => {
      const info = await from.jsm.streams.info(name);
      return info.state.last_seq === 18;
    });
  });

  it("a repeat run stores nothing twice, with or without an original id", async () => {
    await activeStream("repeat");
    const orphan = await orphanFixture("repeat", [
      { id: "r-0", data: "r-0", header: ["Trace-Id", "t-0"] },
      { data: "no-id-1" },
      { id: "r-2", data: "r-2" },
    ]);
    const first = await republishOrphanStream(from, to, (await findOrphanStreams(from.jsm, ["repeat"]))[0]!, options);
    expect(first).toMatchObject({ published: 3, stored: 3, derivedIds: 1, verified: 3, removed: false });
    const stored = await readStream(west, "eu-central-1", "repeat");
    expect(stored[0]!.headers).toMatchObject({ "Trace-Id": "t-0", "Nats-Msg-Id": "r-0" });
    // Server headers of the original stay out: Nats-Expected-* would have refused the re-publish.
    expect(Object.keys(stored[0]!.headers).filter((key) => key.startsWith("Nats-"))).toEqual(["Nats-Msg-Id"]);

    // A run that died after its publishes, before it recorded them: the next run publishes
    // everything again and the duplicate window stores none of it, derived ids included.
    const info = await from.jsm.streams.info(orphan);
    expect(info.config.metadata?.[RepublishMetadata.through]).toBe("3");
    await from.jsm.streams.update(orphan, {
      ...info.config,
      metadata: { ...info.config.metadata, [RepublishMetadata.through]: "0" },
    });
    const again = await republishOrphans(from, to, { ...options, streams: ["repeat"] });
    expect(again.streams[0]).toMatchObject({ published: 3, stored: 0, duplicates: 3, verified: 3, removed: true });
    expect(again.streams[0]!.messages.map((message) => message.storedSequence)).toEqual([1, 2, 3]);
    expect((await to.jsm.streams.info("repeat")).state.messages).toBe(3);
  });

  it("beyond the active stream's duplicate window a repeat run starts after what was verified", async () => {
    await activeStream("late", { duplicate_window: 1_000_000_000 });
    await orphanFixture("late", [{ id: "l-0", data: "l-0" }, { data: "l-1" }]);
    const orphan = (await findOrphanStreams(from.jsm, ["late"]))[0]!;
    expect(await republishOrphanStream(from, to, orphan, options)).toMatchObject({ stored: 2, verified: 2 });
    await new Promise((resolve) => setTimeout(resolve, 1500)); // past the 1 s window
    const again = await republishOrphans(from, to, { ...options, streams: ["late"] });
    expect(again.streams[0]).toMatchObject({ resumedAfter: 2, published: 0, stored: 0, removed: true });
    expect((await to.jsm.streams.info("late")).state.messages).toBe(2);
  });

  it("a run killed between a batch's acks and its record, repeated past the duplicate window, stores nothing twice", async () => {
    await activeStream("killed", { duplicate_window: 1_000_000_000 });
    // 200 orphans: a first batch of 128, a second of 72; some without an id of their own.
    const orphan = await orphanFixture(
      "killed",
      Array.from({ length: 200 }, (_, index) =>
        index % 50 === 7 ? { data: `k-${index}` } : { id: `k-${index}`, data: `k-${index}` },
      ),
    );
    const killed = new Error("killed after the first batch's acks");
    await expect(
      republishOrphanStream(from, to, (await findOrphanStreams(from.jsm, ["killed"]))[0]!, {
        ...options,
        afterBatchAcknowledged: ({ first }) => {
          if (first === 1) throw killed;
        },
      }),
    ).rejects.toBe(killed);
    // The first batch is stored; the orphan stream never recorded it.
    expect((await to.jsm.streams.info("killed")).state.messages).toBe(128);
    expect((await from.jsm.streams.info(orphan)).config.metadata?.[RepublishMetadata.through]).toBeUndefined();
    const intents = await readRecords(to.js, to.jsm, orphan);
    expect(intents.map((record) => record.kind)).toEqual(["intent"]);
    expect(unfinishedIntents(intents, 0)).toHaveLength(1);

    await new Promise((resolve) => setTimeout(resolve, 1500)); // past the 1 s window
    const again = await republishOrphans(from, to, { ...options, streams: ["killed"] });
    expect(again.streams[0]).toMatchObject({
      resumedAfter: 0,
      published: 200,
      stored: 72,
      duplicates: 128,
      verified: 200,
      failures: [],
      removed: true,
    });
    // Every orphan once in the active stream: 200 messages, 200 distinct ids.
    const active = await readStream(west, "eu-central-1", "killed");
    expect(active).toHaveLength(200);
    expect(new Set(active.map((message) => message.id)).size).toBe(200);
    // The records say what happened: the killed run's intent, then the repeat's batches and its end.
    const records = await readRecords(to.js, to.jsm, orphan);
    expect(records.map((record) => record.kind)).toEqual(["intent", "intent", "batch", "intent", "batch", "done"]);
    expect(records[1]).toMatchObject({ kind: "intent", firstSequence: 1, lastSequence: 128, ids: [] });
    expect(records.at(-1)).toMatchObject({ kind: "done", verified: 200 });
  });

  it("a whole-stream orphan stream publishes only what the active stream lacks, also past its window", async () => {
    await activeStream("whole", { duplicate_window: 1_000_000_000 });
    await to.js.publish("whole.entry", "w-0", { msgID: "w-0" });
    await new Promise((resolve) => setTimeout(resolve, 1500)); // past the 1 s window
    await orphanFixture(
      "whole",
      [
        { id: "w-0", data: "w-0" },
        { id: "w-1", data: "w-1" },
      ],
      "whole-stream",
    );
    const run = await republishOrphans(from, to, { ...options, streams: ["whole"] });
    expect(run.streams[0]).toMatchObject({
      scope: "whole-stream",
      published: 2,
      stored: 1,
      duplicates: 1,
      verified: 2,
    });
    expect(run.streams[0]!.messages.map((message) => [message.id, message.storedSequence])).toEqual([
      ["w-0", 1],
      ["w-1", 2],
    ]);
    expect((await to.jsm.streams.info("whole")).state.messages).toBe(2);
  });

  it("a message that does not verify keeps the orphan stream, and says why", async () => {
    // The active stream keeps 2 messages: the first re-published ones are gone on read-back.
    await activeStream("small", { max_msgs: 2 });
    const orphan = await orphanFixture(
      "small",
      Array.from({ length: 4 }, (_, index) => ({ id: `s-${index}`, data: `s-${index}` })),
    );
    const run = await republishOrphans(from, to, { ...options, streams: ["small"] });
    expect(run.streams[0]).toMatchObject({ published: 4, stored: 4, verified: 2, removed: false });
    expect(run.streams[0]!.failures[0]).toMatch(
      /^small-orphans-1000 #1 \(id s-0\) at small #1: acknowledged, but not in small on read-back; the orphan stream is kept\.$/,
    );
    const kept = await from.jsm.streams.info(orphan);
    expect(kept.state.messages).toBe(4);
    // A repeat run starts at the first message that did not verify.
    expect(kept.config.metadata?.[RepublishMetadata.through]).toBeUndefined();
    expect(kept.config.metadata?.[RepublishMetadata.failure]).toMatch(/not in small on read-back/);

    // The active region's stream is a mirror: nothing is published, the orphan stream stays.
    await to.jsm.streams.add({ name: "mirrored", mirror: { name: "small" } });
    await orphanFixture("mirrored", [{ id: "m-0", data: "m-0" }]);
    const refused = await republishOrphans(from, to, { ...options, streams: ["mirrored"] });
    expect(refused.streams[0]).toMatchObject({ published: 0, removed: false });
    expect(refused.streams[0]!.failures).toEqual([
      "stream mirrored in eu-central-1 is a mirror, not the active primary; give --to the active region, or run its pulumi up first.",
    ]);
  });

  it("the command line lists, republishes with an evidence file, and refuses bad options", async () => {
    await activeStream("cli");
    const orphan = await orphanFixture("cli", [{ id: "c-0", data: "c-0" }]);
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "orphans-cli-"));
    const cli = (args: string[]) =>
      promisify(execFile)(process.execPath, ["--import", "tsx", "drill/orphans.ts", ...args], {
        env: { ...process.env, NATS_USER: APP_CREDENTIALS.user, NATS_PASSWORD: APP_CREDENTIALS.password },
      }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
    const flags = [
      `--region=us-east-1=${regions.east.clientUrls.join(",")}`,
      `--region=eu-central-1=${regions.west.clientUrls.join(",")}`,
    ];
    try {
      const list = await cli(["list", ...flags, "--stream", "cli"]);
      expect(list.code).toBe(0);
      expect(list.stdout).toContain(`  ${orphan}  of cli  1 messages (sequences 1-1)  scope after-promotion`);

      const file = path.join(dir, "evidence.json");
      const run = await cli(["republish", ...flags, "--from", "us-east-1", "--stream", "cli", "--evidence", file]);
      expect(run.stdout).toContain(
        `${orphan}: published 1 to cli: 1 stored, 0 already there, 0 with a derived id, 1 verified; removed`,
      );
      expect(run.code).toBe(0);
      const evidence = JSON.parse(await fs.promises.readFile(file, "utf8")) as RepublishEvidence;
      expect(evidence.streams[0]).toMatchObject({
        orphanStream: orphan,
        removed: true,
        messages: [{ id: "c-0", storedSequence: 1 }],
      });

      const bad = await cli(["republish", ...flags]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(
        "orphans: republish needs --from NAME, the region holding the orphan streams (the demoted one).",
      );
    } finally {
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
