// The stream provider against two real JetStream domains joined by a leafnode (through a relay
// the tests can cut). Nothing NATS-related is mocked.
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { streamProvider } from "../../streams/streamProvider";
import { waitForLink, type TwoDomains } from "../harness";
import { checked, eventually, rawStreamInputs, readStream, refreshedProps, startPublisher } from "../support/provider";
import { closeRegions, openRegions } from "../support/regions";

let regions: TwoDomains;
let east: NatsConnection;
let west: NatsConnection;

beforeAll(async () => {
  ({ regions, east, west } = await openRegions({ clustered: false }));
});

afterAll(() => closeRegions({ regions, east, west }));

async function info(nc: NatsConnection, name: string) {
  return (await jetstreamManager(nc)).streams.info(name);
}

/** Creates the stream pair as the two stacks would: primary in east, mirror in west. */
async function createPair(name: string, subjects: string[], spec: Record<string, unknown> = {}) {
  const primary = await checked(
    streamProvider,
    rawStreamInputs(regions.east, regions.west, "primary", { name, subjects, ...spec }),
  );
  const mirror = await checked(
    streamProvider,
    rawStreamInputs(regions.west, regions.east, "mirror", { name, subjects, ...spec }),
  );
  const createdPrimary = await streamProvider.create(primary);
  const createdMirror = await streamProvider.create(mirror);
  return { primary: createdPrimary.outs, mirror: createdMirror.outs, primaryInputs: primary, mirrorInputs: mirror };
}

async function publish(nc: NatsConnection, subject: string, count: number, prefix: string) {
  const js = (await jetstreamManager(nc)).jetstream();
  for (let index = 0; index < count; index++) {
    await js.publish(subject, new TextEncoder().encode(`${prefix}-${index}`), { msgID: `${prefix}-${index}` });
  }
}

describe("stream provider", () => {
  test("creates a primary and a cross-domain mirror that catches up", async () => {
    const pair = await createPair("orders", ["orders.*"]);
    expect(pair.primary.instance).toMatch(/^[0-9a-f-]{36}$/);
    await publish(east, "orders.created", 50, "o");
    const mirrored = await eventually("mirror to hold 50 messages", async () => {
      const state = (await info(west, "orders")).state;
      return state.last_seq === 50 && state;
    });
    expect(mirrored.messages).toBe(50);
    const mirrorInfo = await info(west, "orders");
    expect(mirrorInfo.config.mirror?.external?.api).toBe("$JS.us-east-1.API");
    expect(mirrorInfo.config.subjects ?? []).toEqual([]);
    expect((await info(east, "orders")).config.subjects).toEqual(["orders.*"]);
  });

  test("diff follows the server: update in place, replace only when it must", async () => {
    const pair = await createPair("payments", ["payments.*"], { maxAge: "7d" });
    expect(await streamProvider.diff("id", pair.primary, pair.primaryInputs)).toMatchObject({ changes: false });
    const longer = await checked(
      streamProvider,
      rawStreamInputs(regions.east, regions.west, "primary", {
        name: "payments",
        subjects: ["payments.*", "refunds.*"],
        maxAge: "14d",
      }),
    );
    expect(await streamProvider.diff("id", pair.primary, longer)).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const updated = await streamProvider.update("id", pair.primary, longer);
    const server = await info(east, "payments");
    expect(server.config.max_age).toBe(14 * 86400e9);
    expect(server.config.subjects).toEqual(["payments.*", "refunds.*"]);
    expect(await streamProvider.diff("id", updated.outs, longer)).toMatchObject({ changes: false });
    const memory = await checked(
      streamProvider,
      rawStreamInputs(regions.east, regions.west, "primary", {
        name: "payments",
        subjects: ["payments.*"],
        storage: "memory",
      }),
    );
    expect(await streamProvider.diff("id", updated.outs, memory)).toMatchObject({
      replaces: ["spec"],
      deleteBeforeReplace: true,
    });
  });

  test("read finds hand edits and hand deletes; no diff after a clean refresh", async () => {
    const pair = await createPair("drift", ["drift.*"], { maxAge: "1d" });
    const clean = await streamProvider.read("us-east-1/drift", pair.primary);
    expect(clean.id).toBe("us-east-1/drift");
    expect(await streamProvider.diff("id", refreshedProps(clean), pair.primaryInputs)).toMatchObject({
      changes: false,
    });
    const cleanMirror = await streamProvider.read("eu-central-1/drift", pair.mirror);
    expect(await streamProvider.diff("id", refreshedProps(cleanMirror), pair.mirrorInputs)).toMatchObject({
      changes: false,
    });

    const jsm = await jetstreamManager(east);
    await jsm.streams.update("drift", { max_age: 3600e9, description: "edited by hand" });
    const drifted = await streamProvider.read("us-east-1/drift", pair.primary);
    expect(drifted.inputs?.spec).toMatchObject({ maxAge: "1h", description: "edited by hand" });
    const diff = await streamProvider.diff("id", refreshedProps(drifted), pair.primaryInputs);
    expect(diff).toMatchObject({ changes: true, replaces: [] });

    await jsm.streams.delete("drift");
    const gone = await streamProvider.read("us-east-1/drift", pair.primary);
    expect(gone.id).toBeFalsy();
  });

  test("delete refuses a stream holding messages unless allowed", async () => {
    const pair = await createPair("guarded", ["guarded.*"]);
    await publish(east, "guarded.x", 3, "g");
    await expect(streamProvider.delete("id", pair.primary)).rejects.toThrow(
      /holds 3 messages.*allowDeleteWithMessages/,
    );
    expect((await info(east, "guarded")).state.messages).toBe(3);
    await streamProvider.delete("id", { ...pair.primary, allowDeleteWithMessages: true });
    await expect(info(east, "guarded")).rejects.toThrow();
    await streamProvider.delete("id", pair.mirror); // an empty mirror goes without the flag
    await expect(info(west, "guarded")).rejects.toThrow();
  });

  test("planned failover under continuous publishing loses nothing", async () => {
    const pair = await createPair("events", ["events.*"]);
    // The publisher sits in the standby region: before the failover the leafnode carries its
    // messages to the primary, after it the promoted stream stores them locally.
    const publisher = startPublisher(west, "events.created", { prefix: "e" });
    await eventually("some messages stored", async () => publisher.acked.size > 200);
    const promoteInputs = await checked(
      streamProvider,
      rawStreamInputs(regions.west, regions.east, "primary", { name: "events", subjects: ["events.*"] }),
    );
    expect(await streamProvider.diff("id", pair.mirror, promoteInputs)).toMatchObject({ changes: true, replaces: [] });
    const promoted = await streamProvider.update("eu-central-1/events", pair.mirror, promoteInputs);
    const ackedAtPromotion = publisher.acked.size;
    await eventually(
      "publishing to continue in the new primary",
      async () => publisher.acked.size > ackedAtPromotion + 100,
    );
    await publisher.stop();

    const record = promoted.outs.lastPromotion!;
    expect(record.mode).toBe("planned");
    expect(record.peerLastSequence).toBe(record.lastMirroredSequence);
    const westInfo = await info(west, "events");
    expect(westInfo.config.mirror).toBeUndefined();
    expect(westInfo.config.subjects).toEqual(["events.*"]);
    expect(westInfo.config.metadata?.["natsdr.promoted-at-seq"]).toBe(String(record.lastMirroredSequence));
    const eastInfo = await info(east, "events");
    expect(eastInfo.config.subjects).toEqual(["natsdr.fenced.us-east-1.events"]);

    const stored = new Set((await readStream(west, "eu-central-1", "events")).map((message) => message.id));
    const lost = [...publisher.acked.keys()].filter((id) => !stored.has(id));
    console.info(
      `planned failover: ${publisher.acked.size} acknowledged, ${lost.length} lost, ${publisher.retries()} retried publishes`,
    );
    expect(lost).toEqual([]);
    // The old primary's sequences continue in the new one: no gap, no reuse.
    expect(westInfo.state.last_seq).toBeGreaterThan(record.lastMirroredSequence);
  });

  test("unplanned failover promotes at once and records the RPO evidence", async () => {
    await createPair("telemetry", ["telemetry.*"]);
    const mirrorInputs = await checked(
      streamProvider,
      rawStreamInputs(regions.west, regions.east, "mirror", { name: "telemetry", subjects: ["telemetry.*"] }),
    );
    await publish(east, "telemetry.cpu", 40, "t");
    await eventually("mirror at 40", async () => (await info(west, "telemetry")).state.last_seq === 40);
    regions.relay.cut();
    try {
      await publish(east, "telemetry.cpu", 5, "t-late"); // stored in the isolated old primary only
      const promoteInputs = await checked(
        streamProvider,
        rawStreamInputs(regions.west, regions.east, "primary", { name: "telemetry", subjects: ["telemetry.*"] }),
      );
      const promoted = await streamProvider.update("id", { ...mirrorInputs, instance: "x" }, promoteInputs);
      const record = promoted.outs.lastPromotion!;
      expect(record.mode).toBe("unplanned");
      expect(record.reason).toMatch(/did not answer/);
      expect(record.lastMirroredSequence).toBe(40);
      expect(Date.parse(record.lastMirroredAt)).not.toBeNaN();
      const js = (await jetstreamManager(west)).jetstream();
      const ack = await js.publish("telemetry.cpu", new TextEncoder().encode("after"));
      expect(ack.seq).toBe(41);
    } finally {
      regions.relay.heal();
      await waitForLink(regions);
    }
  });
});
