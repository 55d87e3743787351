// Failover edge cases: aborts, re-runs, stale stacks, interest retention, server headers in
// orphans, and a partition that drops packets instead of refusing connections.
import { AckPolicy, jetstreamManager } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ACK_STREAM } from "../../streams";
import { openSession } from "../../streams/client";
import { pausePeerConsumers, resumePeerConsumers, stuckConsumersNote } from "../../streams/consumerPositions";
import { consumerProvider } from "../../streams/consumerProvider";
import { streamProvider } from "../../streams/streamProvider";
import { waitForLink, type TwoDomains } from "../harness";
import {
  APP_CREDENTIALS,
  checked,
  eventually,
  rawConsumerInputs,
  rawStreamInputs,
  readStream,
  refreshedProps,
} from "../support/provider";
import { activeAndStandbyPlans } from "../support/checkpoints";
import { closeRegions, openRegions } from "../support/regions";

let regions: TwoDomains;
let east: NatsConnection;
let west: NatsConnection;

beforeAll(async () => {
  ({ regions, east, west } = await openRegions({ clustered: false }));
});

afterAll(() => closeRegions({ regions, east, west }));

const jsm = (nc: NatsConnection) => jetstreamManager(nc);

function streamInputs(
  side: "east" | "west",
  role: "primary" | "mirror",
  spec: Record<string, unknown>,
  failover?: Record<string, number | string>,
) {
  const [here, peer] = side === "east" ? [regions.east, regions.west] : [regions.west, regions.east];
  return checked(streamProvider, rawStreamInputs(here, peer, role, spec, failover ? { failover } : {}));
}

async function pair(spec: Record<string, unknown>) {
  const primary = (await streamProvider.create(await streamInputs("east", "primary", spec))).outs;
  const mirror = (await streamProvider.create(await streamInputs("west", "mirror", spec))).outs;
  return { primary, mirror };
}

async function publish(nc: NatsConnection, subject: string, count: number, prefix: string) {
  const js = (await jsm(nc)).jetstream();
  for (let index = 0; index < count; index++)
    await js.publish(subject, new TextEncoder().encode(`${prefix}-${index}`), { msgID: `${prefix}-${index}` });
}

/** The durable consumer `name` of `stream` in both regions, as the stacks declare catalog consumers. */
async function consumersInBothRegions(stream: string, name: string) {
  for (const region of [regions.east, regions.west]) {
    await consumerProvider.create(await checked(consumerProvider, rawConsumerInputs(region, stream, { name })));
  }
}

async function mirrored(name: string, seq: number) {
  await eventually(
    `mirror ${name} at ${seq}`,
    async () => (await (await jsm(west)).streams.info(name)).state.last_seq >= seq,
  );
}

describe("failover edges", () => {
  test("a planned failover that fails after the fence un-fences the peer and takes back the acknowledgement capture it gave it", async () => {
    const spec = { name: "slow", subjects: ["slow.*"] };
    const { mirror } = await pair(spec);
    await consumersInBothRegions("slow", "worker");
    // East is active: its stack declares the capture idle.
    const { active } = activeAndStandbyPlans({
      streams: ["slow"],
      activeDomain: regions.east.domain,
      standbyDomain: regions.west.domain,
      interval: "1s",
    });
    await streamProvider.create(
      await checked(streamProvider, rawStreamInputs(regions.east, undefined, "primary", { ...active.ackStream })),
    );
    const eastCapture = async () => (await (await jsm(east)).streams.info(ACK_STREAM)).config.subjects;
    await publish(east, "slow.x", 5, "s");
    await mirrored("slow", 5);
    // A stream in eu-central-1 already captures slow.*: the promotion's update (which adds the
    // subjects) is refused by the server after the peer was fenced and the mirror caught up.
    await (await jsm(west)).streams.add({ name: "blocker", subjects: ["slow.*"], num_replicas: 1 });
    try {
      const error = await streamProvider.update("id", mirror, await streamInputs("west", "primary", spec)).then(
        () => undefined,
        (caught: Error) => caught,
      );
      expect(error?.message).toMatch(/^stream slow: .*overlap.* The peer was unfenced and takes writes again\.$/s);
    } finally {
      await (await jsm(west)).streams.delete("blocker");
    }
    const eastInfo = await (await jsm(east)).streams.info("slow");
    expect(eastInfo.config.subjects).toEqual(["slow.*"]);
    expect(eastInfo.config.metadata?.["natsdr.fenced-by"]).toBeUndefined();
    expect((await (await jsm(west)).streams.info("slow")).config.mirror).toBeDefined();
    await (await jsm(east)).jetstream().publish("slow.x", new TextEncoder().encode("after the abort")); // the old primary takes writes again
    expect(await eastCapture()).toEqual([`natsdr.acks.idle.${regions.east.domain}`]);
    // With the obstacle gone, the same promotion goes through, and east captures west's acknowledgements.
    const promoted = await streamProvider.update("id", mirror, await streamInputs("west", "primary", spec));
    expect(promoted.outs.lastPromotion).toMatchObject({ mode: "planned", peerCapture: "moved" });
    expect(await eastCapture()).toEqual(["$JS.ACK.slow.worker.>"]);
    await (await jsm(east)).streams.delete(ACK_STREAM);
  });

  test("after an aborted promotion every peer consumer that can be resumed is, and the rest are named", async () => {
    const manager = await jsm(east);
    const names = ["first", "gone", "last"];
    await manager.streams.add({ name: "resume", subjects: ["resume.*"], num_replicas: 1 });
    for (const name of names)
      await manager.consumers.add("resume", { durable_name: name, ack_policy: AckPolicy.Explicit });
    for (const name of names) await manager.consumers.pause("resume", name, new Date(Date.now() + 3_600_000));
    await manager.consumers.delete("resume", "gone");
    try {
      const stuck = await resumePeerConsumers(
        manager,
        "resume",
        names.map((name) => ({ name, ackFloor: 0, unacknowledged: 0 })),
      );
      // A consumer deleted meanwhile is not paused: nothing to resume, nothing to name.
      expect(stuck).toEqual([]);
      for (const name of ["first", "last"]) expect((await manager.consumers.info("resume", name)).paused).toBeFalsy();
      const refused = [{ name: "gone", error: "consumer not found" }];
      expect(stuckConsumersNote("resume", "us-east-1", refused)).toBe(
        " Its paused consumers gone (consumer not found) could NOT be resumed: they deliver nothing until resumed with `nats --js-domain us-east-1 consumer resume resume <consumer>`.",
      );
      expect(stuckConsumersNote("resume", "us-east-1", [])).toBe("");
    } finally {
      await manager.streams.delete("resume");
    }
  });

  test("a pause of the peer's consumers that fails midway resumes those it paused", async () => {
    const eastJsm = await jsm(east);
    const westSession = await openSession(
      { servers: [...regions.west.clientUrls], connectTimeoutMs: 2000, requestTimeoutMs: 2000 },
      APP_CREDENTIALS,
      "eu-central-1",
    );
    const names = ["holder", "bystander"];
    try {
      for (const manager of [eastJsm, westSession.jsm]) {
        await manager.streams.add({ name: "midway", subjects: [`midway.${manager === eastJsm ? "e" : "w"}`] });
        for (const name of names)
          await manager.consumers.add("midway", { durable_name: name, ack_policy: AckPolicy.Explicit });
      }
      // "holder" has a delivery nobody acknowledges, so the drain goes on waiting for it.
      await eastJsm.jetstream().publish("midway.e", new TextEncoder().encode("unacknowledged"));
      const fetched = await (await eastJsm.jetstream().consumers.get("midway", "holder")).next({ expires: 2000 });
      expect(fetched?.seq).toBe(1);
      const pausing = pausePeerConsumers(westSession, eastJsm, "us-east-1", "midway", 60_000).then(
        () => undefined,
        (error: Error) => error,
      );
      await eventually("both peer consumers paused", async () => {
        const infos = await Promise.all(names.map((name) => eastJsm.consumers.info("midway", name)));
        return infos.every((info) => info.paused === true);
      });
      // Deleted by hand while the drain waits: the drain's next consumer info fails.
      await eastJsm.consumers.delete("midway", "holder");
      const error = await pausing;
      // The drain's error, with no consumer named as left paused: the deleted one is not paused.
      expect(error?.message).toBe("consumer not found");
      expect((await eastJsm.consumers.info("midway", "bystander")).paused).toBeFalsy();
    } finally {
      await eastJsm.streams.delete("midway").catch(() => undefined);
      await westSession.jsm.streams.delete("midway").catch(() => undefined);
      await westSession.close();
    }
  });

  test("a re-run after an interrupted promotion resumes the consumers and records it", async () => {
    const spec = { name: "rerun", subjects: ["rerun.*"] };
    const { mirror } = await pair(spec);
    await consumerProvider.create(
      await checked(consumerProvider, {
        connection: { servers: [...regions.west.clientUrls], connectTimeoutMs: 2000, requestTimeoutMs: 2000 },
        credentials: APP_CREDENTIALS,
        domain: "eu-central-1",
        stream: "rerun",
        spec: { name: "reader" },
      }),
    );
    expect((await (await jsm(west)).consumers.info("rerun", "reader")).paused).toBe(true);
    // The server promoted the stream, then `pulumi up` died before recording it.
    await (
      await jsm(west)
    ).streams.update("rerun", {
      mirror: undefined,
      subjects: ["rerun.*"],
      metadata: {
        "natsdr.managed": "true",
        "natsdr.promoted-at-seq": "0",
        "natsdr.promotion-mode": "planned",
        "natsdr.promoted-from": "us-east-1",
      },
    });
    const again = await streamProvider.update("id", mirror, await streamInputs("west", "primary", spec));
    expect(again.outs.lastPromotion?.reason).toMatch(/already primary on the server/);
    expect((await (await jsm(west)).consumers.info("rerun", "reader")).paused ?? false).toBe(false);
  });

  test("interest retention keeps unacknowledged messages through a planned failover", async () => {
    const spec = { name: "interest", subjects: ["interest.*"], retention: "interest" };
    const { mirror } = await pair(spec);
    await consumersInBothRegions("interest", "worker");
    await publish(east, "interest.x", 10, "i");
    await mirrored("interest", 10);
    const worker = await (await jsm(east)).jetstream().consumers.get("interest", "worker");
    const batch = await worker.fetch({ max_messages: 4, expires: 2000 });
    for await (const message of batch) await message.ackAck();

    const promoted = await streamProvider.update("id", mirror, await streamInputs("west", "primary", spec));
    expect(promoted.outs.lastPromotion?.consumersPositioned).toEqual({ worker: { ackFloor: 4, unacknowledged: 0 } });
    const westWorker = await (await jsm(west)).jetstream().consumers.get("interest", "worker");
    const delivered: string[] = [];
    for await (const message of await westWorker.fetch({ max_messages: 20, expires: 1500 })) {
      delivered.push(message.string());
      message.ack();
    }
    expect(delivered).toEqual(["i-4", "i-5", "i-6", "i-7", "i-8", "i-9"]);
  });

  test("an interest stream's mirror waits for its primary: refused, nothing created, then created", async () => {
    const spec = { name: "early", subjects: ["early.*"], retention: "interest" };
    const error = await streamProvider.create(await streamInputs("west", "mirror", spec)).then(
      () => undefined,
      (caught: Error) => caught,
    );
    expect(error?.message).toMatch(
      /^stream early cannot be created as a mirror in "eu-central-1" yet: peer domain "us-east-1" has no stream "early"\. .*run the stack of the active region \("us-east-1"\) first, then this one\. Nothing was changed\.$/,
    );
    await expect((await jsm(west)).streams.info("early")).rejects.toThrow(/stream not found/);
    const { mirror } = await pair(spec);
    expect(mirror.role).toBe("mirror");
    expect((await (await jsm(east)).consumers.info("early", "natsdr-mirror-feed")).config.deliver_subject).toBe(
      "natsdr.mirror-feed.us-east-1.early",
    );
    await publish(east, "early.x", 3, "e");
    await mirrored("early", 3);
  });

  test("a retention change between limits and interest re-creates the mirror to read through the feed, and back", async () => {
    const limits = { name: "switch", subjects: ["switch.*"] };
    const interest = { ...limits, retention: "interest" };
    const { primary, mirror } = await pair(limits);
    await consumersInBothRegions("switch", "switch-worker");
    await publish(east, "switch.x", 8, "w");
    await mirrored("switch", 8);

    // The active region's stack first, then the standby's: the mirror is re-created and catches up.
    const primaryNow = await streamProvider.update("id", primary, await streamInputs("east", "primary", interest));
    const mirrorNow = await streamProvider.update("id", mirror, await streamInputs("west", "mirror", interest));
    const rebuilt = await (await jsm(west)).streams.info("switch");
    expect(rebuilt.config).toMatchObject({ retention: "limits", mirror: { consumer: { name: "natsdr-mirror-feed" } } });
    await mirrored("switch", 8);
    await eventually("the re-created mirror holds all 8", async () => {
      return (await (await jsm(west)).streams.info("switch")).state.messages === 8;
    });
    const worker = await (await jsm(west)).consumers.info("switch", "switch-worker");
    expect(worker.paused).toBe(true);
    expect((await (await jsm(east)).consumers.info("switch", "natsdr-mirror-feed")).config.ack_policy).toBe(
      "flow_control",
    );

    await streamProvider.update("id", primaryNow.outs, await streamInputs("east", "primary", limits));
    await streamProvider.update("id", mirrorNow.outs, await streamInputs("west", "mirror", limits));
    expect((await (await jsm(west)).streams.info("switch")).config.mirror?.consumer).toBeUndefined();
    await eventually("the mirror re-created again holds all 8", async () => {
      return (await (await jsm(west)).streams.info("switch")).state.messages === 8;
    });
    await expect((await jsm(east)).consumers.info("switch", "natsdr-mirror-feed")).rejects.toThrow(
      /consumer not found/,
    );
  });

  test("a stale stack cannot demote to a fenced stream; the fenced primary re-syncs and takes over", async () => {
    const spec = { name: "stale", subjects: ["stale.*"] };
    const { primary, mirror } = await pair(spec);
    await publish(east, "stale.x", 5, "s");
    await mirrored("stale", 5);
    // Planned failover to eu-central-1; its second half (us-east-1 becomes a mirror) never runs.
    const westPrimary = (await streamProvider.update("id", mirror, await streamInputs("west", "primary", spec))).outs;
    await publish(west, "stale.x", 3, "after");

    // Someone flips back: the eu stack would demote its stream to a mirror of the fenced one.
    await expect(streamProvider.create(await streamInputs("west", "mirror", spec))).rejects.toThrow(
      /is a primary, fenced by "eu-central-1".*Nothing was changed\. Way out: .*Run `pulumi up` in the us-east-1 stack with activeRegion "us-east-1"/,
    );
    expect((await (await jsm(west)).streams.info("stale")).state.messages).toBe(8);
    // The us stack, refreshed, sees the fence; its update makes the stream a mirror of the eu one,
    // lets it catch up and promotes it (planned), so the 3 messages written in eu-central-1 stay.
    const refreshed = await streamProvider.read("id", primary);
    expect(refreshed.inputs?.spec).toMatchObject({ subjects: ["natsdr.fenced.us-east-1.stale"] });
    const back = await streamProvider.update(
      "id",
      refreshedProps(refreshed),
      await streamInputs("east", "primary", spec),
    );
    expect(back.outs.lastDemotion).toMatchObject({ orphanCount: 0 });
    expect(back.outs.lastPromotion).toMatchObject({ mode: "planned" });
    expect((await readStream(east, "us-east-1", "stale")).map((message) => message.id)).toEqual([
      ...Array.from({ length: 5 }, (_, index) => `s-${index}`),
      ...Array.from({ length: 3 }, (_, index) => `after-${index}`),
    ]);
    expect(westPrimary.lastPromotion?.mode).toBe("planned");
  });

  test("orphans keep server headers renamed so they can be re-published", async () => {
    const spec = { name: "hdrs", subjects: ["hdrs.*"] };
    const { primary, mirror } = await pair(spec);
    await publish(east, "hdrs.x", 2, "h");
    await mirrored("hdrs", 2);
    regions.relay.cut();
    try {
      const js = (await jsm(east)).jetstream();
      const h = headers();
      h.set("App-Trace", "t-1");
      await js.publish("hdrs.x", new TextEncoder().encode("orphan"), {
        msgID: "orphan-1",
        headers: h,
        expect: { streamName: "hdrs", lastSequence: 2 },
      });
      await streamProvider.update("id", mirror, await streamInputs("west", "primary", spec));
    } finally {
      regions.relay.heal();
      await waitForLink(regions);
    }
    const demoted = await streamProvider.create(await streamInputs("east", "mirror", spec));
    await streamProvider.delete("id", primary);
    expect(demoted.outs.lastDemotion).toMatchObject({
      orphanCount: 1,
      orphanStream: "hdrs-orphans-2",
      orphanFirstSequence: 3,
      orphanLastSequence: 3,
    });
    const [copy] = await readStream(east, "us-east-1", "hdrs-orphans-2");
    expect(copy!.headers).toMatchObject({
      "App-Trace": "t-1",
      "Nats-Dr-Original-Msg-Id": "orphan-1",
      "Nats-Dr-Original-Header-Nats-Expected-Stream": "hdrs",
      "Nats-Dr-Original-Header-Nats-Expected-Last-Sequence": "2",
      "Nats-Dr-Original-Subject": "hdrs.x",
      "Nats-Dr-Original-Sequence": "3",
      "Nats-Dr-Original-Domain": "us-east-1",
    });
    expect(copy!.headers["Nats-Expected-Stream"]).toBeUndefined();
    // Re-publishing it to the active region as an operator would is accepted.
    const ack = await (
      await jsm(west)
    )
      .jetstream()
      .publish(copy!.headers["Nats-Dr-Original-Subject"]!, new TextEncoder().encode("orphan"), {
        msgID: copy!.headers["Nats-Dr-Original-Msg-Id"],
      });
    expect(ack.stream).toBe("hdrs");
  });

  test("a partition that drops packets still gives an unplanned failover within the peer timeout", async () => {
    const spec = { name: "blackhole", subjects: ["blackhole.*"] };
    const { mirror } = await pair(spec);
    await publish(east, "blackhole.x", 3, "b");
    await mirrored("blackhole", 3);
    regions.relay.cut("blackhole");
    try {
      // Dropped packets look like a busy peer (timeouts, not "no responders"): the provider keeps
      // asking for peerSettleMs before it promotes past what might be a live primary.
      const promoted = await streamProvider.update(
        "id",
        mirror,
        await streamInputs("west", "primary", spec, {
          peerTimeoutMs: 500,
          peerSettleMs: 2000,
          catchupTimeoutMs: 5000,
          consumerDrainTimeoutMs: 500,
        }),
      );
      expect(promoted.outs.lastPromotion).toMatchObject({ mode: "unplanned", lastMirroredSequence: 3 });
      expect(promoted.outs.lastPromotion?.reason).toMatch(
        /did not answer within \d+ ms \(its JetStream API requests timed out/,
      );
      expect(Number(/within (\d+) ms/.exec(promoted.outs.lastPromotion?.reason ?? "")![1])).toBeGreaterThanOrEqual(
        2000,
      );
    } finally {
      regions.relay.heal();
      await waitForLink(regions);
    }
  });

  test("an unplanned failover with a rewind window starts consumers there, not at the beginning", async () => {
    const spec = { name: "rewind", subjects: ["rewind.*"] };
    const { mirror } = await pair(spec);
    await consumerProvider.create(
      await checked(consumerProvider, {
        connection: { servers: [...regions.west.clientUrls], connectTimeoutMs: 2000, requestTimeoutMs: 2000 },
        credentials: APP_CREDENTIALS,
        domain: "eu-central-1",
        stream: "rewind",
        spec: { name: "reader" },
      }),
    );
    await publish(east, "rewind.old", 5, "old");
    await new Promise((resolve) => setTimeout(resolve, 1500)); // old messages are > 1 s older than the rest
    await publish(east, "rewind.new", 3, "new");
    await mirrored("rewind", 8);
    regions.relay.cut();
    try {
      const promoted = await streamProvider.update(
        "id",
        mirror,
        await streamInputs("west", "primary", spec, {
          peerTimeoutMs: 500,
          peerSettleMs: 1000,
          catchupTimeoutMs: 5000,
          consumerDrainTimeoutMs: 0,
          unplannedConsumerRewind: "1s",
        }),
      );
      expect(promoted.outs.lastPromotion?.mode).toBe("unplanned");
      expect(promoted.outs.lastPromotion?.consumersPositioned["reader"]).toHaveProperty(
        "startTime",
        expect.stringMatching(/^\d{4}-/),
      );
      const reader = await (await jsm(west)).jetstream().consumers.get("rewind", "reader");
      const delivered: string[] = [];
      for await (const message of await reader.fetch({ max_messages: 20, expires: 1500 })) {
        delivered.push(message.string());
        message.ack();
      }
      expect(delivered).toEqual(["new-0", "new-1", "new-2"]);
    } finally {
      regions.relay.heal();
      await waitForLink(regions);
    }
  });
});
