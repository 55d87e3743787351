// A full planned failover and failback between two 3-node JetStream clusters (R3 streams),
// under continuous publishing, run in the order the two stacks run it.
import { jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { streamProvider } from "../../streams/streamProvider";
import { waitForMetaCluster, type TwoDomains } from "../harness";
import { parseCheckpoint } from "../../streams/checkpoints";
import { consumerProvider } from "../../streams/consumerProvider";
import {
  checked,
  eventually,
  rawConsumerInputs,
  rawStreamInputs,
  readStream,
  refreshedProps,
  startPublisher,
} from "../support/provider";
import { closeRegions, openRegions } from "../support/regions";

let regions: TwoDomains;
let east: NatsConnection;
let west: NatsConnection;

beforeAll(async () => {
  ({ regions, east, west } = await openRegions({ clustered: true }));
}, 120_000);

afterAll(() => closeRegions({ regions, east, west }));

const spec = { name: "audit", subjects: ["audit.*"], replicas: 3, maxAge: "90d", maxBytes: "1Gi" };

function inputs(side: "east" | "west", role: "primary" | "mirror") {
  const [here, peer] = side === "east" ? [regions.east, regions.west] : [regions.west, regions.east];
  return checked(streamProvider, rawStreamInputs(here, peer, role, spec));
}

/**
 * Inputs of `spec` with the stacks' default failover timings (the tests above use short ones),
 * for tests where a server dies and elections take their real 4-9 s.
 */
function withStackTimings(spec: Record<string, unknown>, requestTimeoutMs: number) {
  return (side: "east" | "west", role: "primary" | "mirror") => {
    const [here, peer] = side === "east" ? [regions.east, regions.west] : [regions.west, regions.east];
    return checked(
      streamProvider,
      rawStreamInputs(here, peer, role, spec, {
        connection: { servers: [...here.clientUrls], connectTimeoutMs: requestTimeoutMs, requestTimeoutMs },
        failover: { peerTimeoutMs: 3000, peerSettleMs: 15_000, catchupTimeoutMs: 30_000, consumerDrainTimeoutMs: 5000 },
      }),
    );
  };
}

describe("clustered failover", () => {
  test("planned failover and failback of an R3 stream lose nothing", async () => {
    let eastState = (await streamProvider.create(await inputs("east", "primary"))).outs;
    let westState = (await streamProvider.create(await inputs("west", "mirror"))).outs;
    expect((await (await jetstreamManager(east)).streams.info("audit")).cluster?.replicas).toHaveLength(2);
    const publisherWarmup = await (
      await jetstreamManager(east)
    )
      .jetstream()
      .publish("audit.login", new TextEncoder().encode("first"));
    expect(publisherWarmup.seq).toBe(1);
    for (const [state, side, role] of [
      [eastState, "east", "primary"],
      [westState, "west", "mirror"],
    ] as const) {
      const refreshed = refreshedProps(await streamProvider.read("id", state));
      const diff = await streamProvider.diff("id", refreshed, await inputs(side, role));
      expect({ side, diff, spec: refreshed.spec }).toMatchObject({ side, diff: { changes: false } });
    }

    const publisher = startPublisher(east, "audit.login", { prefix: "a" });
    await eventually("messages flowing", async () => publisher.acked.size > 300, 30_000);

    // activeRegion = eu-central-1: the eu stack promotes, then the us stack demotes.
    westState = (await streamProvider.update("id", westState, await inputs("west", "primary"))).outs;
    expect(westState.lastPromotion?.mode).toBe("planned");
    const demoteEast = await inputs("east", "mirror");
    expect(await streamProvider.diff("id", eastState, demoteEast)).toMatchObject({ replaces: ["role"] });
    const newEast = (await streamProvider.create(demoteEast)).outs;
    await streamProvider.delete("id", eastState);
    eastState = newEast;
    expect(eastState.lastDemotion).toMatchObject({ orphanCount: 0 });
    // A refresh of the new R3 mirror and of the promoted primary finds no drift.
    for (const [state, side, role] of [
      [eastState, "east", "mirror"],
      [westState, "west", "primary"],
    ] as const) {
      const refreshed = refreshedProps(await streamProvider.read("id", state));
      const diff = await streamProvider.diff("id", refreshed, await inputs(side, role));
      expect({ side, diff, spec: refreshed.spec }).toMatchObject({ side, diff: { changes: false } });
    }
    const afterFailover = publisher.acked.size;
    await eventually("publishing resumed", async () => publisher.acked.size > afterFailover + 300, 30_000);

    // activeRegion = us-east-1 again: the us stack promotes, then the eu stack demotes.
    await eventually(
      "east mirror caught up",
      async () => {
        const [mirror, primary] = await Promise.all([
          (await jetstreamManager(east)).streams.info("audit"),
          (await jetstreamManager(west)).streams.info("audit"),
        ]);
        return mirror.state.last_seq >= primary.state.last_seq - 50;
      },
      30_000,
    );
    eastState = (await streamProvider.update("id", eastState, await inputs("east", "primary"))).outs;
    expect(eastState.lastPromotion?.mode).toBe("planned");
    const newWest = (await streamProvider.create(await inputs("west", "mirror"))).outs;
    await streamProvider.delete("id", westState);
    expect(newWest.lastDemotion).toMatchObject({ orphanCount: 0 });
    const afterFailback = publisher.acked.size;
    await eventually(
      "publishing resumed after failback",
      async () => publisher.acked.size > afterFailback + 200,
      30_000,
    );
    await publisher.stop();

    const stored = await readStream(east, "us-east-1", "audit");
    const ids = new Set(stored.map((message) => message.id));
    const lost = [...publisher.acked.keys()].filter((id) => !ids.has(id));
    const duplicates = stored.length - ids.size;
    console.info(
      `clustered failover + failback: ${publisher.acked.size} acknowledged, ${lost.length} lost, ${duplicates} duplicates, ${publisher.retries()} retried publishes`,
    );
    expect(lost).toEqual([]);
    expect(duplicates).toBe(0);
    // Sequences stay ordered across both promotions; the only gaps are the two fence markers,
    // which each promotion removes.
    const sequences = stored.map((message) => message.seq);
    const gaps = sequences.filter((seq, index) => index > 0 && seq !== sequences[index - 1]! + 1).length;
    expect(sequences[0]).toBe(1);
    expect(gaps).toBe(2);
    expect(sequences[sequences.length - 1]).toBe(stored.length + 2);
  });

  test("a flip back before any acknowledgement keeps the consumers' positions, moved in place or re-created", async () => {
    const quick = { name: "quick", subjects: ["quick.*"], replicas: 3 };
    const quickInputs = (side: "east" | "west", role: "primary" | "mirror") => {
      const [here, peer] = side === "east" ? [regions.east, regions.west] : [regions.west, regions.east];
      return checked(streamProvider, rawStreamInputs(here, peer, role, quick));
    };
    let eastState = (await streamProvider.create(await quickInputs("east", "primary"))).outs;
    const westState = (await streamProvider.create(await quickInputs("west", "mirror"))).outs;
    // "settle" (pull) and "settle-push" deliver all: nats-server 2.14 moves them in place.
    // "settle-new" delivers new, which the server does not reset from: it is deleted and created
    // again by_start_sequence.
    const specs = {
      settle: {},
      "settle-push": { deliver: "push", deliverSubject: "quick-deliver.settle-push", maxAckPending: 60 },
      "settle-new": { deliverPolicy: "new" },
    };
    const consumers = Object.keys(specs);
    for (const region of [regions.east, regions.west])
      for (const [name, spec] of Object.entries(specs))
        await consumerProvider.create(
          await checked(consumerProvider, rawConsumerInputs(region, "quick", { name, ...spec })),
        );
    const eastJs = (await jetstreamManager(east)).jetstream();
    /** The first `count` deliveries of `name` in `js`'s region (not acknowledged). */
    const deliveries = async (js: typeof eastJs, name: string, count: number): Promise<JsMsg[]> => {
      if (name !== "settle-push") {
        const consumer = await js.consumers.get("quick", name);
        const taken: JsMsg[] = [];
        while (taken.length < count) taken.push((await consumer.next({ expires: 5000 }))!);
        return taken;
      }
      // Taken before any is acknowledged (maxAckPending 60 holds the rest back), and the
      // subscription gone before the acknowledgements: nothing else is delivered and left pending.
      const taken: JsMsg[] = [];
      const messages = await (await js.consumers.getPushConsumer("quick", name)).consume();
      for await (const message of messages) if (taken.push(message) === count) break;
      await messages.close();
      return taken;
    };
    for (let index = 0; index < 100; index++)
      await eastJs.publish("quick.x", new TextEncoder().encode(`q-${index}`), { msgID: `q-${index}` });
    for (const name of consumers) {
      // "settle-new" was created before the first message: new and all deliver the same here.
      for (const message of await deliveries(eastJs, name, 60)) await message.ackAck();
    }
    await eventually(
      "mirror holds 100",
      async () => (await (await jetstreamManager(west)).streams.info("quick")).state.last_seq >= 100,
    );

    // To eu-central-1: its consumers start at 61 and acknowledge nothing. The consumer API
    // requests the promotion sends there are watched: a consumer moved in place is never deleted,
    // so a run killed at any moment cannot leave it missing.
    const consumerApi: string[] = [];
    const watch = west.subscribe("$JS.API.CONSUMER.>", {
      callback: (_error, message) => void consumerApi.push(message.subject.split(".").slice(3).join(" ")),
    });
    await west.flush();
    await streamProvider.update("id", westState, await quickInputs("west", "primary"));
    await west.flush();
    watch.unsubscribe();
    for (const name of ["settle", "settle-push"]) {
      expect(consumerApi).toContain(`RESET quick ${name}`);
      expect(consumerApi).not.toContain(`DELETE quick ${name}`);
    }
    expect(consumerApi).toContain("DELETE quick settle-new");
    const demoted = (await streamProvider.create(await quickInputs("east", "mirror"))).outs;
    await streamProvider.delete("id", eastState);
    eastState = demoted;
    const westJsm = await jetstreamManager(west);
    const moved = await westJsm.consumers.info("quick", "settle");
    // Moved in place: the server itself reports the floor, and the deliver policy is the declared one.
    for (const info of [moved, await westJsm.consumers.info("quick", "settle-push")]) {
      expect(info.ack_floor.stream_seq).toBe(60);
      expect(info.config.deliver_policy).toBe("all");
      expect(info.paused ?? false).toBe(false);
    }
    expect((await westJsm.consumers.info("quick", "settle-push")).config.deliver_subject).toBe(
      "quick-deliver.settle-push",
    );
    const recreated = await westJsm.consumers.info("quick", "settle-new");
    // Re-created: an R3 consumer reports floor 0 until its first acknowledgement; a checkpoint of
    // that answer reads the floor from its start.
    expect(recreated.config.opt_start_seq).toBe(61);
    expect(recreated.ack_floor.stream_seq).toBe(0);
    for (const info of [moved, recreated])
      expect(parseCheckpoint(JSON.stringify(info), "quick", info.name, "t")?.ackFloor).toBe(60);

    // And back before any acknowledgement: the position carried is still 60, not 0.
    eastState = (await streamProvider.update("id", eastState, await quickInputs("east", "primary"))).outs;
    expect(eastState.lastPromotion?.mode).toBe("planned");
    for (const name of consumers) {
      expect(eastState.lastPromotion?.consumersPositioned[name]).toMatchObject({ ackFloor: 60 });
      const [next] = await deliveries(eastJs, name, 1);
      expect(next?.seq).toBe(61);
      await next?.ackAck();
    }
    const eastJsm = await jetstreamManager(east);
    expect((await eastJsm.consumers.info("quick", "settle")).config.deliver_policy).toBe("all");
    expect((await eastJsm.consumers.info("quick", "settle-new")).config.opt_start_seq).toBe(61);
  });

  test("a promotion goes through while the promoted mirror elects a leader", async () => {
    // The server leading this region's mirror is killed as the update starts: the stream's info
    // goes unanswered until the group elected another leader (4-9 s, past requestTimeoutMs).
    const standby = { name: "standby", subjects: ["standby.*"], replicas: 3 };
    const standbyInputs = withStackTimings(standby, 2000);
    await streamProvider.create(await standbyInputs("east", "primary"));
    const westState = (await streamProvider.create(await standbyInputs("west", "mirror"))).outs;
    const eastJs = (await jetstreamManager(east)).jetstream();
    for (let index = 0; index < 50; index++)
      await eastJs.publish("standby.x", new TextEncoder().encode(`s-${index}`), { msgID: `s-${index}` });
    await eventually(
      "mirror holds 50",
      async () => (await (await jetstreamManager(west)).streams.info("standby")).state.last_seq >= 50,
    );
    const leader = (await (await jetstreamManager(west)).streams.info("standby")).cluster?.leader;
    const victim = regions.west.servers.find((server) => server.name === leader)!;
    await victim.kill();
    try {
      const promoted = (await streamProvider.update("id", westState, await standbyInputs("west", "primary"))).outs;
      expect(promoted.lastPromotion?.mode).toBe("planned");
      expect(promoted.lastPromotion?.peerLastSequence).toBeGreaterThan(50);
    } finally {
      await victim.start();
      await waitForMetaCluster(regions.west.servers);
    }
  }, 120_000);

  test("the old region's demotion goes through with one of its servers killed", async () => {
    // The consumers re-created on the new mirror get raft groups that may first wait out an
    // election for a peer that is gone: a create took over 5 s (requestTimeoutMs) and the demotion
    // failed in 3 of 4 runs of this test before creates were sent again while unanswered.
    const ledger = { name: "ledger", subjects: ["ledger.*"], replicas: 3 };
    const ledgerInputs = withStackTimings(ledger, 5000);
    const eastState = (await streamProvider.create(await ledgerInputs("east", "primary"))).outs;
    let westState = (await streamProvider.create(await ledgerInputs("west", "mirror"))).outs;
    for (const region of [regions.east, regions.west])
      for (const name of ["posting", "audit-trail"])
        await consumerProvider.create(await checked(consumerProvider, rawConsumerInputs(region, "ledger", { name })));
    const publisher = startPublisher(east, "ledger.entry", { prefix: "l" });
    await eventually("messages flowing", async () => publisher.acked.size > 300, 30_000);
    const leader = (await (await jetstreamManager(east)).streams.info("ledger")).cluster?.leader;
    const victim = regions.east.servers.find((server) => server.name === leader)!;
    await victim.kill();
    try {
      westState = (await streamProvider.update("id", westState, await ledgerInputs("west", "primary"))).outs;
      expect(westState.lastPromotion?.mode).toBe("planned");
      const demoted = (await streamProvider.create(await ledgerInputs("east", "mirror"))).outs;
      await streamProvider.delete("id", eastState);
      expect(demoted.lastDemotion).toMatchObject({ orphanCount: 0 });
      const eastManager = await jetstreamManager(east);
      expect((await eastManager.streams.info("ledger")).config.mirror?.name).toBe("ledger");
      // Each is there at once; its raft group answers once it elected a leader without the victim.
      for (const name of ["posting", "audit-trail"])
        await eventually(
          `consumer ${name} paused on the new mirror`,
          async () => (await eastManager.consumers.info("ledger", name).catch(() => undefined))?.paused === true,
          30_000,
        );
    } finally {
      await publisher.stop();
      await victim.start();
    }
    const stored = new Set((await readStream(west, "eu-central-1", "ledger")).map((message) => message.id));
    expect([...publisher.acked.keys()].filter((id) => !stored.has(id))).toEqual([]);
  }, 120_000);
});
