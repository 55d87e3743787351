// Failback with unreplicated ("orphan") messages, and durable consumers across a failover,
// against two real JetStream domains joined by a cuttable leafnode.
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { consumerProvider } from "../../streams/consumerProvider";
import { streamProvider } from "../../streams/streamProvider";
import { waitForLink, type TwoDomains } from "../harness";
import { APP_CREDENTIALS, checked, eventually, rawStreamInputs, readStream, refreshedProps } from "../support/provider";
import { closeRegions, openRegions } from "../support/regions";

// The default pair, and a second one only the domains name (issue 12): the providers know
// regions by their JetStream domains and nothing else.
const pairs = [
  { east: "us-east-1", west: "eu-central-1" },
  { east: "us-west-2", west: "eu-west-1" },
] as const;

let regions: TwoDomains;
let east: NatsConnection;
let west: NatsConnection;

async function jsm(nc: NatsConnection) {
  return jetstreamManager(nc);
}

async function publish(nc: NatsConnection, subject: string, count: number, prefix: string) {
  const js = (await jsm(nc)).jetstream();
  for (let index = 0; index < count; index++) {
    await js.publish(subject, new TextEncoder().encode(`${prefix}-${index}`), { msgID: `${prefix}-${index}` });
  }
}

function consumerInputs(region: { domain: string; clientUrls: readonly string[] }, stream: string, name: string) {
  return checked(consumerProvider, {
    connection: { servers: [...region.clientUrls], connectTimeoutMs: 2000, requestTimeoutMs: 2000 },
    credentials: APP_CREDENTIALS,
    domain: region.domain,
    stream,
    spec: { name, ackWait: "30s", maxDeliver: 5, filterSubjects: [`${stream}.*`] },
  });
}

describe.each(pairs)("failover between $east and $west", (domains) => {
  beforeAll(async () => {
    ({ regions, east, west } = await openRegions({ clustered: false, domains }));
  });

  afterAll(() => closeRegions({ regions, east, west }));

  test("failback preserves and counts the messages the old primary never replicated", async () => {
    const name = "ledger";
    const eastPrimary = await streamProvider.create(
      await checked(
        streamProvider,
        rawStreamInputs(regions.east, regions.west, "primary", { name, subjects: ["ledger.*"] }),
      ),
    );
    const westMirror = await streamProvider.create(
      await checked(
        streamProvider,
        rawStreamInputs(regions.west, regions.east, "mirror", { name, subjects: ["ledger.*"] }),
      ),
    );
    await publish(east, "ledger.entry", 30, "before");
    await eventually("mirror at 30", async () => (await (await jsm(west)).streams.info(name)).state.last_seq === 30);

    // The regions are cut off: the old primary still takes 7 writes that never replicate,
    // the survivor is promoted (unplanned) and takes new writes of its own.
    regions.relay.cut();
    await publish(east, "ledger.entry", 7, "orphan");
    const promoted = await streamProvider.update(
      "id",
      westMirror.outs,
      await checked(
        streamProvider,
        rawStreamInputs(regions.west, regions.east, "primary", { name, subjects: ["ledger.*"] }),
      ),
    );
    expect(promoted.outs.lastPromotion).toMatchObject({ mode: "unplanned", lastMirroredSequence: 30 });
    await publish(west, "ledger.entry", 12, "after");
    regions.relay.heal();
    await eventually("leafnode back", async () => {
      await (await jetstreamManager(west, { domain: domains.east, checkAPI: false, timeout: 500 })).streams.info(name);
      return true;
    });

    // The recovered region's stack now declares a mirror: the engine creates the replacement
    // first (create does the demotion), then deletes the old resource (a no-op).
    const demoteInputs = await checked(
      streamProvider,
      rawStreamInputs(regions.east, regions.west, "mirror", { name, subjects: ["ledger.*"] }),
    );
    expect(await streamProvider.diff("id", eastPrimary.outs, demoteInputs)).toMatchObject({
      replaces: ["role"],
      deleteBeforeReplace: false,
    });
    const demoted = await streamProvider.create(demoteInputs);
    await streamProvider.delete("id", eastPrimary.outs);

    const record = demoted.outs.lastDemotion!;
    expect(record).toMatchObject({
      promotedAtSequence: 30,
      history: { verdict: "same", upTo: 30 },
      orphanCount: 7,
      orphanFirstSequence: 31,
      orphanLastSequence: 37,
    });
    expect(demoted.outs.pendingOrphans).toEqual([{ stream: record.orphanStream, messages: 7 }]);
    // A re-run (e.g. after an interrupted demotion) adopts the mirror and still reports them.
    const again = await streamProvider.create(demoteInputs);
    expect(again.outs.lastDemotion).toBeUndefined();
    expect(again.outs.pendingOrphans).toEqual([{ stream: record.orphanStream, messages: 7 }]);
    const orphans = await readStream(east, domains.east, record.orphanStream);
    expect(orphans.map((message) => message.headers["Nats-Dr-Original-Msg-Id"])).toEqual(
      Array.from({ length: 7 }, (_, index) => `orphan-${index}`),
    );
    expect(orphans.map((message) => message.headers["Nats-Dr-Original-Sequence"])).toEqual([
      "31",
      "32",
      "33",
      "34",
      "35",
      "36",
      "37",
    ]);
    expect(orphans.every((message) => message.headers["Nats-Dr-Original-Subject"] === "ledger.entry")).toBe(true);

    // The old primary is now a mirror of the new one and catches up to its 42 messages.
    const mirror = await eventually("east mirror caught up", async () => {
      const info = await (await jsm(east)).streams.info(name);
      return info.state.last_seq === 42 && info;
    });
    expect(mirror.config.mirror?.external?.api).toBe(`$JS.${domains.west}.API`);
    const ids = (await readStream(east, domains.east, name)).map((message) => message.id);
    expect(ids.filter((id) => id?.startsWith("orphan"))).toEqual([]);
    expect(ids.filter((id) => id?.startsWith("after"))).toHaveLength(12);
  });

  test("a failback with the new primary unreachable stops before deleting anything", async () => {
    const name = "stuck";
    const eastPrimary = await streamProvider.create(
      await checked(
        streamProvider,
        rawStreamInputs(regions.east, regions.west, "primary", { name, subjects: ["stuck.*"] }),
      ),
    );
    await publish(east, "stuck.x", 4, "s");
    regions.relay.cut();
    try {
      const demoteInputs = await checked(
        streamProvider,
        rawStreamInputs(regions.east, regions.west, "mirror", { name, subjects: ["stuck.*"] }),
      );
      await expect(streamProvider.create(demoteInputs)).rejects.toThrow(
        new RegExp(
          `is a writable primary .*; peer domain "${domains.west}" did not answer within \\d+ ms \\(no responders.*Nothing was changed\\. Way out: a stream becomes a mirror only when the new primary answers`,
        ),
      );
      const info = await (await jsm(east)).streams.info(name);
      expect(info.state.messages).toBe(4);
      expect(info.config.mirror).toBeUndefined();
    } finally {
      regions.relay.heal();
      await waitForLink(regions);
    }
    await streamProvider.delete("id", { ...eastPrimary.outs, allowDeleteWithMessages: true });
  });

  test("durable consumers continue after the last acknowledged message", async () => {
    const name = "jobs";
    await streamProvider.create(
      await checked(
        streamProvider,
        rawStreamInputs(regions.east, regions.west, "primary", { name, subjects: ["jobs.*"] }),
      ),
    );
    const westMirror = await streamProvider.create(
      await checked(
        streamProvider,
        rawStreamInputs(regions.west, regions.east, "mirror", { name, subjects: ["jobs.*"] }),
      ),
    );
    for (const region of [regions.east, regions.west]) {
      const created = await consumerProvider.create(await consumerInputs(region, name, "worker"));
      expect(created.id).toBe(`${region.domain}/${name}/worker`);
    }
    await publish(east, "jobs.run", 100, "j");
    await eventually("mirror at 100", async () => (await (await jsm(west)).streams.info(name)).state.last_seq === 100);

    // The service in the old region processes and acknowledges 60 messages; 5 more are
    // delivered but not acknowledged yet when the failover starts.
    const eastJs = (await jsm(east)).jetstream();
    const eastWorker = await eastJs.consumers.get(name, "worker");
    const acknowledged = new Set<string>();
    const firstBatch = await eastWorker.fetch({ max_messages: 60, expires: 2000 });
    for await (const message of firstBatch) {
      acknowledged.add(message.string());
      await message.ackAck();
    }
    expect(acknowledged.size).toBe(60);
    const inFlight = await eastWorker.fetch({ max_messages: 5, expires: 2000 });
    const unacked: string[] = [];
    for await (const message of inFlight) unacked.push(message.string());
    expect(unacked).toHaveLength(5);

    // On the standby the consumer is paused: nothing is processed twice while it is a mirror.
    expect((await (await jsm(west)).consumers.info(name, "worker")).paused).toBe(true);
    const promoted = await streamProvider.update(
      "id",
      westMirror.outs,
      await checked(
        streamProvider,
        rawStreamInputs(regions.west, regions.east, "primary", { name, subjects: ["jobs.*"] }),
      ),
    );
    expect(promoted.outs.lastPromotion?.mode).toBe("planned");
    expect((await (await jsm(west)).consumers.info(name, "worker")).paused ?? false).toBe(false);
    expect(promoted.outs.lastPromotion?.consumersPositioned).toEqual({ worker: { ackFloor: 60, unacknowledged: 5 } });

    const westWorker = await (await jsm(west)).jetstream().consumers.get(name, "worker");
    const delivered: string[] = [];
    const batch = await westWorker.fetch({ max_messages: 100, expires: 1500 });
    for await (const message of batch) {
      delivered.push(message.string());
      message.ack();
    }
    const redeliveredAcknowledged = delivered.filter((body) => acknowledged.has(body));
    const redeliveredUnacked = delivered.filter((body) => unacked.includes(body));
    console.info(
      `consumer failover: ${delivered.length} delivered in the new region, ${redeliveredAcknowledged.length} acknowledged messages redelivered, ${redeliveredUnacked.length} unacknowledged messages redelivered`,
    );
    expect(redeliveredAcknowledged).toEqual([]);
    expect(delivered).toEqual(Array.from({ length: 40 }, (_, index) => `j-${60 + index}`));

    // The consumer resource sees no drift from the re-positioning.
    const westConsumer = await consumerInputs(regions.west, name, "worker");
    const refreshed = await consumerProvider.read("id", westConsumer);
    expect(await consumerProvider.diff("id", refreshedProps(refreshed), westConsumer)).toMatchObject({
      changes: false,
    });
  });

  test("a push consumer on the mirror delivers nothing until its stream is promoted", async () => {
    const name = "pushed";
    await streamProvider.create(
      await checked(
        streamProvider,
        rawStreamInputs(regions.east, regions.west, "primary", { name, subjects: ["pushed.*"] }),
      ),
    );
    const westMirror = await streamProvider.create(
      await checked(
        streamProvider,
        rawStreamInputs(regions.west, regions.east, "mirror", { name, subjects: ["pushed.*"] }),
      ),
    );
    for (const region of [regions.east, regions.west]) {
      await consumerProvider.create(
        await checked(consumerProvider, {
          connection: { servers: [...region.clientUrls], connectTimeoutMs: 2000, requestTimeoutMs: 2000 },
          credentials: APP_CREDENTIALS,
          domain: region.domain,
          stream: name,
          spec: { name: "pusher", deliver: "push", deliverSubject: "deliver.pushed", deliverGroup: "workers" },
        }),
      );
    }
    // The workers subscribe in the east region; the leafnode carries interest to the west one too.
    const received: string[] = [];
    const subscription = east.subscribe("deliver.pushed", {
      queue: "workers",
      callback: (_error, message) => {
        received.push(message.string());
        message.respond();
      },
    });
    await east.flush();
    await publish(east, "pushed.x", 10, "p");
    await eventually("mirror at 10", async () => (await (await jsm(west)).streams.info(name)).state.last_seq === 10);
    await eventually("10 deliveries", async () => received.length >= 10);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received.sort()).toEqual(Array.from({ length: 10 }, (_, index) => `p-${index}`).sort());
    const promoted = await streamProvider.update(
      "id",
      westMirror.outs,
      await checked(
        streamProvider,
        rawStreamInputs(regions.west, regions.east, "primary", { name, subjects: ["pushed.*"] }),
      ),
    );
    expect(promoted.outs.lastPromotion?.mode).toBe("planned");
    expect((await (await jsm(west)).consumers.info(name, "pusher")).paused ?? false).toBe(false);
    subscription.unsubscribe();
  });
});
