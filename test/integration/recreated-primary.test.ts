// Issue 15, item 7: a primary deleted by hand and re-created starts again at sequence 1, below
// the history its peer's mirror holds. A demotion that compared sequence numbers counted 0
// orphans and deleted every message acknowledged into the new stream. Against two real
// JetStream domains joined by a cuttable leafnode.
import { jetstreamManager, type PubAck } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { streamProvider, type StreamState } from "../../streams/streamProvider";
import { waitForLink, type TwoDomains } from "../harness";
import { checked, eventually, rawStreamInputs, readStream, refreshedProps } from "../support/provider";
import { closeRegions, openRegions } from "../support/regions";

let regions: TwoDomains;
let east: NatsConnection;
let west: NatsConnection;

beforeAll(async () => {
  ({ regions, east, west } = await openRegions({ clustered: false }));
});

afterAll(() => closeRegions({ regions, east, west }));

const jsm = (nc: NatsConnection) => jetstreamManager(nc);

const UNPLANNED = { peerTimeoutMs: 500, peerSettleMs: 1000, catchupTimeoutMs: 5000, consumerDrainTimeoutMs: 0 };

function streamInputs(
  side: "east" | "west",
  role: "primary" | "mirror",
  spec: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  const [here, peer] = side === "east" ? [regions.east, regions.west] : [regions.west, regions.east];
  return checked(streamProvider, rawStreamInputs(here, peer, role, spec, extra));
}

/** Publishes `count` messages with ids `<prefix>-<n>`; returns the acks by id. */
async function publish(nc: NatsConnection, subject: string, count: number, prefix: string) {
  const js = (await jsm(nc)).jetstream();
  const acks = new Map<string, PubAck>();
  for (let index = 0; index < count; index++) {
    const id = `${prefix}-${index}`;
    acks.set(id, await js.publish(subject, new TextEncoder().encode(id), { msgID: id }));
  }
  return acks;
}

async function mirrored(nc: NatsConnection, name: string, seq: number, timeoutMs?: number) {
  await eventually(
    `${name} at ${seq}`,
    async () => (await (await jsm(nc)).streams.info(name)).state.last_seq >= seq,
    timeoutMs,
  );
}

/** Removes the origin identity from a mirror, as a mirror made before nats-dr recorded one has none. */
async function forgetOriginIdentity(nc: NatsConnection, name: string) {
  const manager = await jsm(nc);
  const metadata = { ...(await manager.streams.info(name)).config.metadata };
  delete metadata["natsdr.origin-created"];
  await manager.streams.update(name, { metadata });
}

/** Cuts the link, promotes the west mirror as the eu-central-1 stack would (unplanned), heals. */
async function unplannedPromotion(mirror: StreamState, spec: Record<string, unknown>) {
  regions.relay.cut();
  try {
    return (
      await streamProvider.update("id", mirror, await streamInputs("west", "primary", spec, { failover: UNPLANNED }))
    ).outs;
  } finally {
    regions.relay.heal();
    await waitForLink(regions);
  }
}

describe("recreated primary", () => {
  test("creating it again is refused while the peer's mirror holds the old messages", async () => {
    const spec = { name: "refused", subjects: ["refused.*"] };
    await streamProvider.create(await streamInputs("east", "primary", spec));
    await streamProvider.create(await streamInputs("west", "mirror", spec));
    await publish(east, "refused.x", 12, "old");
    await mirrored(west, "refused", 12);
    await (await jsm(east)).streams.delete("refused");

    await expect(streamProvider.create(await streamInputs("east", "primary", spec))).rejects.toThrow(
      /^refusing to create stream refused in domain "us-east-1": it does not exist here, but the mirror of it in "eu-central-1" holds 12 messages \(sequences 1-12, .*Nothing was changed\..*set nats-dr:activeRegion to "eu-central-1".*nats-dr:allowRecreateOverMirror/s,
    );
    await expect((await jsm(east)).streams.info("refused")).rejects.toThrow(/stream not found/);
    // Failing over to the mirror keeps the old messages: it is promoted (its origin is gone).
    const promoted = await streamProvider.update(
      "id",
      await streamInputs("west", "mirror", spec),
      await streamInputs("west", "primary", spec, { failover: UNPLANNED }),
    );
    expect(promoted.outs.lastPromotion).toMatchObject({ mode: "unplanned", lastMirroredSequence: 12 });
    expect((await (await jsm(west)).streams.info("refused")).state.messages).toBe(12);
  });

  test.each([
    ["with the origin identity the mirror recorded", false],
    ["with a mirror that recorded none (message comparison alone)", true],
  ])(
    "recreated primary - a demotion keeps every acknowledged message of a re-created primary, %s",
    async (_how, legacyMirror) => {
      const name = legacyMirror ? "orders-legacy" : "orders";
      const spec = { name, subjects: [`${name}.*`] };
      await streamProvider.create(await streamInputs("east", "primary", spec));
      const mirror = (await streamProvider.create(await streamInputs("west", "mirror", spec))).outs;
      const westInfo = await (await jsm(west)).streams.info(name);
      expect(westInfo.config.metadata?.["natsdr.origin-created"]).toBe(
        (await (await jsm(east)).streams.info(name)).created,
      );
      await publish(east, `${name}.created`, 200, "old");
      await mirrored(west, name, 200);
      if (legacyMirror) await forgetOriginIdentity(west, name);

      // The primary is deleted by hand; `pulumi up` re-creates it (the operator opted in).
      await (await jsm(east)).streams.delete(name);
      const recreated = await streamProvider.create(
        await streamInputs("east", "primary", spec, { allowRecreateOverMirror: true }),
      );
      const acked = await publish(east, `${name}.created`, 50, "new");
      expect([...acked.values()].map((ack) => ack.seq)).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));
      // The mirror copies none of the new stream's messages (it asks for sequence 201 on).
      await new Promise((resolve) => setTimeout(resolve, 500));
      const stale = await (await jsm(west)).streams.info(name);
      expect(stale.state).toMatchObject({ messages: 200, last_seq: 200 });
      // ... and looks healthy while it does (issue 15, item 6).
      expect(stale.mirror).toMatchObject({ lag: 0 });
      expect(stale.mirror!.active).toBeGreaterThanOrEqual(0);

      // The link is cut; eu-central-1 promotes its stale mirror at sequence 200.
      const promoted = await unplannedPromotion(mirror, spec);
      expect(promoted.lastPromotion).toMatchObject({ mode: "unplanned", lastMirroredSequence: 200 });

      // After the heal, the us-east-1 stack demotes its primary.
      const demoted = (await streamProvider.create(await streamInputs("east", "mirror", spec))).outs;
      await streamProvider.delete("id", recreated.outs);
      expect(demoted.lastDemotion).toMatchObject({
        promotedAtSequence: 200,
        orphanCount: 50,
        orphanStream: `${name}-orphans-200`,
        orphanFirstSequence: 1,
        orphanLastSequence: 50,
        history: { verdict: "diverged", upTo: 50 },
      });
      expect(demoted.lastDemotion?.history.reason).toMatch(
        legacyMirror
          ? /at sequence 1 stream .* holds .*new-0.* but "eu-central-1" holds .*old-0/
          : /was re-created since/,
      );
      expect(demoted.pendingOrphans).toEqual([{ stream: `${name}-orphans-200`, messages: 50 }]);
      const kept = await readStream(east, "us-east-1", `${name}-orphans-200`);
      expect(kept.map((message) => message.headers["Nats-Dr-Original-Msg-Id"])).toEqual([...acked.keys()]);
      expect(kept.map((message) => Number(message.headers["Nats-Dr-Original-Sequence"]))).toEqual(
        [...acked.values()].map((ack) => ack.seq),
      );
      const orphanInfo = await (await jsm(east)).streams.info(`${name}-orphans-200`);
      expect(orphanInfo.config.metadata?.["natsdr.orphan-scope"]).toBe("whole-stream");
      // Bounded (issue 8, item 2): sealed at the size it holds, so it reserves no more than that;
      // never expiring.
      expect(orphanInfo.config).toMatchObject({ max_bytes: orphanInfo.state.bytes, discard: "new", max_age: 0 });
      expect(orphanInfo.state.bytes).toBeGreaterThan(0);
      // And us-east-1 is now a mirror of eu-central-1's stream, recording its identity.
      const eastMirror = await eventually("east mirror caught up", async () => {
        const info = await (await jsm(east)).streams.info(name);
        return info.state.last_seq === 200 && info;
      });
      expect(eastMirror.config.metadata?.["natsdr.origin-created"]).toBe(
        (await (await jsm(west)).streams.info(name)).created,
      );
    },
  );

  test("a planned failover over a mirror that spliced old and new history still keeps the new stream whole", async () => {
    const name = "splice";
    const spec = { name, subjects: [`${name}.*`] };
    await streamProvider.create(await streamInputs("east", "primary", spec));
    const mirror = (await streamProvider.create(await streamInputs("west", "mirror", spec))).outs;
    await publish(east, `${name}.x`, 20, "old");
    await mirrored(west, name, 20);
    await forgetOriginIdentity(west, name); // the messages alone must tell
    await (await jsm(east)).streams.delete(name);
    await streamProvider.create(await streamInputs("east", "primary", spec, { allowRecreateOverMirror: true }));
    // The new stream passes the mirror's last sequence: the mirror copies 21-30 after the old 1-20
    // (once it re-creates its source consumer, some 20 s after the origin went away).
    const acked = await publish(east, `${name}.x`, 30, "new");
    await mirrored(west, name, 30, 50_000);
    // A planned failover: its marker (31) is where the mirror expects it, so it goes through.
    const promoted = (await streamProvider.update("id", mirror, await streamInputs("west", "primary", spec))).outs;
    expect(promoted.lastPromotion).toMatchObject({ mode: "planned", lastMirroredSequence: 31 });
    const demoted = (await streamProvider.create(await streamInputs("east", "mirror", spec))).outs;
    expect(demoted.lastDemotion).toMatchObject({
      promotedAtSequence: 31,
      orphanCount: 30,
      orphanFirstSequence: 1,
      orphanLastSequence: 30,
      history: {
        verdict: "diverged",
        compared: [
          { seq: 1, same: false },
          { seq: 30, same: true },
        ],
      },
    });
    const kept = await readStream(east, "us-east-1", `${name}-orphans-31`);
    expect(kept.map((message) => message.headers["Nats-Dr-Original-Msg-Id"])).toEqual([...acked.keys()]);
  });

  test.each([
    // The new primary takes 10 writes and, at maxMsgs 40, drops the old primary's lowest messages.
    { how: "with the origin identity the mirror recorded", legacy: false, after: 10 },
    { how: "with a mirror that recorded none, still holding the lowest message", legacy: true, after: 3 },
  ])("a normal failback still keeps exactly the unreplicated messages, $how", async (variant) => {
    const name = variant.legacy ? "normal-legacy" : "normal";
    const spec = { name, subjects: [`${name}.*`], maxMsgs: 40 };
    await streamProvider.create(await streamInputs("east", "primary", spec));
    const mirror = (await streamProvider.create(await streamInputs("west", "mirror", spec))).outs;
    await publish(east, `${name}.x`, 60, "before");
    await mirrored(west, name, 60);
    if (variant.legacy) await forgetOriginIdentity(west, name);
    regions.relay.cut();
    let promoted;
    try {
      await publish(east, `${name}.x`, 6, "orphan");
      promoted = (
        await streamProvider.update("id", mirror, await streamInputs("west", "primary", spec, { failover: UNPLANNED }))
      ).outs;
      await publish(west, `${name}.x`, variant.after, "after");
    } finally {
      regions.relay.heal();
      await waitForLink(regions);
    }
    expect(promoted.lastPromotion).toMatchObject({ mode: "unplanned", lastMirroredSequence: 60 });
    const westFirst = (await (await jsm(west)).streams.info(name)).state.first_seq;
    expect(westFirst > 27).toBe(!variant.legacy); // the old primary's lowest held sequence is 27
    const demoted = (await streamProvider.create(await streamInputs("east", "mirror", spec))).outs;
    expect(demoted.lastDemotion).toMatchObject({
      promotedAtSequence: 60,
      orphanCount: 6,
      orphanFirstSequence: 61,
      orphanLastSequence: 66,
      history: { verdict: "same" },
    });
    const kept = await readStream(east, "us-east-1", `${name}-orphans-60`);
    expect(kept.map((message) => message.headers["Nats-Dr-Original-Msg-Id"])).toEqual(
      Array.from({ length: 6 }, (_, index) => `orphan-${index}`),
    );
    expect((await (await jsm(east)).streams.info(`${name}-orphans-60`)).config.metadata?.["natsdr.orphan-scope"]).toBe(
      "after-promotion",
    );
  });

  test("without a recorded identity, a peer that dropped the lowest messages keeps the whole stream", async () => {
    const name = "unproven";
    const spec = { name, subjects: [`${name}.*`], maxMsgs: 40 };
    await streamProvider.create(await streamInputs("east", "primary", spec));
    const mirror = (await streamProvider.create(await streamInputs("west", "mirror", spec))).outs;
    await publish(east, `${name}.x`, 60, "before");
    await mirrored(west, name, 60);
    await forgetOriginIdentity(west, name);
    regions.relay.cut();
    try {
      await publish(east, `${name}.x`, 6, "orphan");
      await streamProvider.update("id", mirror, await streamInputs("west", "primary", spec, { failover: UNPLANNED }));
      await publish(west, `${name}.x`, 10, "after");
    } finally {
      regions.relay.heal();
      await waitForLink(regions);
    }
    // Nothing shows that eu-central-1 ever stored sequences 27-30: keep all 40 rather than guess
    // (also the oldest: the demotion's own marker must not push it out of the full stream).
    const demoted = (await streamProvider.create(await streamInputs("east", "mirror", spec))).outs;
    expect(demoted.lastDemotion).toMatchObject({
      orphanCount: 40,
      orphanFirstSequence: 27,
      orphanLastSequence: 66,
      history: { verdict: "unproven" },
    });
    expect(demoted.lastDemotion?.history.reason).toMatch(/no longer holds sequence 27/);
  });

  test("a planned failover proves the identity a mirror lacked, so the demotion keeps no false orphans", async () => {
    const name = "planned-legacy";
    const spec = { name, subjects: [`${name}.*`], maxMsgs: 40 };
    await streamProvider.create(await streamInputs("east", "primary", spec));
    const mirror = (await streamProvider.create(await streamInputs("west", "mirror", spec))).outs;
    await publish(east, `${name}.x`, 60, "before");
    await mirrored(west, name, 60);
    await forgetOriginIdentity(west, name);
    const promoted = (await streamProvider.update("id", mirror, await streamInputs("west", "primary", spec))).outs;
    expect(promoted.lastPromotion?.mode).toBe("planned");
    const eastCreated = (await (await jsm(east)).streams.info(name)).created;
    expect((await (await jsm(west)).streams.info(name)).config.metadata?.["natsdr.origin-created"]).toBe(eastCreated);
    // The new primary takes writes and drops the old primary's lowest messages (maxMsgs 40).
    await publish(west, `${name}.x`, 10, "after");
    const demoted = (await streamProvider.create(await streamInputs("east", "mirror", spec))).outs;
    expect(demoted.lastDemotion).toMatchObject({ orphanCount: 0, history: { verdict: "same" } });
  });

  test("a refresh finds the mirror of a re-created origin, and pulumi up replaces it keeping its messages", async () => {
    const name = "repair";
    const spec = { name, subjects: [`${name}.*`] };
    await streamProvider.create(await streamInputs("east", "primary", spec));
    const mirrorInputs = await streamInputs("west", "mirror", spec);
    const mirror = (await streamProvider.create(mirrorInputs)).outs;
    await publish(east, `${name}.x`, 30, "old");
    await mirrored(west, name, 30);
    await (await jsm(east)).streams.delete(name);
    await streamProvider.create(await streamInputs("east", "primary", spec, { allowRecreateOverMirror: true }));
    await publish(east, `${name}.x`, 5, "new");

    // pulumi refresh of the eu-central-1 stack: the mirror reports lag 0, the check sees through it.
    const read = await streamProvider.read("eu-central-1/repair", mirror);
    const refreshed = refreshedProps(read);
    expect(refreshed.originCheck).toMatchObject({ verdict: "diverged", upTo: 30 });
    expect(refreshed.originCheck?.reason).toMatch(/was re-created since/);
    expect(read.inputs?.["originCheck"]).toMatchObject({ verdict: "diverged" });
    // pulumi up: the diff replaces the mirror, create keeps its 30 messages aside first.
    expect(await streamProvider.diff("eu-central-1/repair", refreshed, mirrorInputs)).toEqual({
      changes: true,
      replaces: ["originCheck"],
      deleteBeforeReplace: false,
    });
    const repaired = (await streamProvider.create(mirrorInputs)).outs;
    await streamProvider.delete("eu-central-1/repair", refreshed);
    expect(repaired.lastMirrorRepair).toMatchObject({
      replacedLastSequence: 30,
      orphanCount: 30,
      orphanStream: "repair-diverged-30",
      orphanFirstSequence: 1,
      orphanLastSequence: 30,
      history: { verdict: "diverged" },
    });
    expect(repaired.pendingOrphans).toEqual([{ stream: "repair-diverged-30", messages: 30 }]);
    const kept = await readStream(west, "eu-central-1", "repair-diverged-30");
    expect(kept.map((message) => message.headers["Nats-Dr-Original-Msg-Id"])).toEqual(
      Array.from({ length: 30 }, (_, index) => `old-${index}`),
    );
    // The new mirror copies the re-created origin from its start, and a refresh finds it healthy.
    await eventually("the new mirror holds the origin's 5 messages", async () => {
      const ids = (await readStream(west, "eu-central-1", name)).map((message) => message.id);
      return ids.length === 5 && ids.every((id, index) => id === `new-${index}`);
    });
    const again = refreshedProps(await streamProvider.read("eu-central-1/repair", repaired));
    expect(again.originCheck).toBeUndefined();
    expect((await streamProvider.diff("eu-central-1/repair", again, mirrorInputs)).changes).toBe(false);
  });
});
