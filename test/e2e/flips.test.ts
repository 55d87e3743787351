// Issue 15, item 8, as it was found, with the real Pulumi CLI: flip to eu-central-1 and run only
// its stack, then flip back to us-east-1 and run only its stack. Before the fix, that `pulumi up`
// said "unchanged" while its streams were fenced, with `--refresh` it sent the user to run it
// "with activeRegion eu-central-1 first", and the eu-central-1 stack sent the user back. Messages
// are published throughout; every acknowledged one must end up in the primary.
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DefaultRegion } from "../../infra/config/regions";
import type { StreamEvidence } from "../../infra/streams/regionStreams";
import type { Clients } from "../../drill/load/connections";
import { StepCollector } from "../../drill/pulumi/events";
import { eventually, readStream, startPublisher, type Publisher } from "../support/provider";
import { appClients, startE2eWorld, type E2eWorld } from "./support";

let world: E2eWorld;
let clients: Clients;
let publisher: Publisher;

const connection = (region: DefaultRegion): Promise<NatsConnection> => clients.get("observe", region);
const streams = ["events", "orders"];

async function evidenceOf(region: DefaultRegion): Promise<Record<string, StreamEvidence>> {
  const outputs = await world.stacks[region].outputs();
  return outputs["failoverEvidence"]?.value as Record<string, StreamEvidence>;
}

async function storedIds(region: DefaultRegion, stream: string): Promise<Set<string>> {
  const messages = await readStream(await connection(region), region, stream);
  return new Set(messages.flatMap((message) => (message.id ? [message.id] : [])));
}

/** Waits until the publisher has `more` acknowledgements beyond what it has now. */
async function moreAcked(more: number): Promise<void> {
  const from = publisher.acked.size;
  await eventually(`${more} more acknowledged`, async () => publisher.acked.size >= from + more, 60_000);
}

beforeAll(async () => {
  world = await startE2eWorld("flips");
  clients = appClients(world);
  await world.stacks["us-east-1"].up();
  await world.stacks["eu-central-1"].up();
  // A service publishing to orders through us-east-1's servers, retrying until a stream acknowledges.
  publisher = startPublisher(await connection("us-east-1"), "orders.e2e", { prefix: "flip", intervalMs: 10 });
  await moreAcked(20);
}, 300_000);

afterAll(async () => {
  await publisher?.stop();
  await clients?.close();
  await world?.stop();
}, 60_000);

describe("e2e flips", () => {
  it("flip to eu-central-1 and run only its stack: promoted planned, us-east-1 fenced", async () => {
    await world.setActiveRegion("eu-central-1");
    const west = await world.stacks["eu-central-1"].up();
    // The streams' roles, and the capture of acknowledgements, which the new active region stops.
    expect(west.summary.resourceChanges).toEqual({ update: 3, same: 4 });
    for (const stream of streams)
      expect((await evidenceOf("eu-central-1"))[stream]?.lastPromotion?.mode).toBe("planned");
    const eastJsm = await jetstreamManager(await connection("us-east-1"));
    expect((await eastJsm.streams.info("orders")).config.subjects).toEqual(["natsdr.fenced.us-east-1.orders"]);
    await moreAcked(20);
  }, 300_000);

  it("flipped back, the eu-central-1 stack refuses and names the one way out", async () => {
    await world.setActiveRegion("us-east-1");
    // Both streams refuse; the engine stops at whichever of them it ran first, so either may be named.
    await expect(world.stacks["eu-central-1"].up()).rejects.toThrow(
      /stream (orders|events) in "eu-central-1" is a writable primary .*stream \1 in "us-east-1" is a primary, fenced by "eu-central-1".*Nothing was changed\. Way out: .*Run `pulumi up` in the us-east-1 stack with activeRegion "us-east-1": it makes its copy a mirror of this one/s,
    );
    const westJsm = await jetstreamManager(await connection("eu-central-1"));
    expect((await westJsm.streams.info("orders")).config.subjects).toEqual(["orders.*"]);
    expect((await westJsm.streams.info("events")).config.subjects).toEqual(["events.*"]);
    // The capture waits for the streams: refused, it stays as it was too.
    expect((await westJsm.streams.info("natsdr-acks")).config.subjects).toEqual(["natsdr.acks.idle.eu-central-1"]);
  }, 300_000);

  it("a plain preview of the us-east-1 stack sees the fence; its pulumi up re-syncs and takes over", async () => {
    const preview = new StepCollector();
    await world.stacks["us-east-1"].preview({ onEvent: preview.onEvent });
    expect(preview.changes().map(({ name, op, diffs }) => ({ name, op, diffs }))).toEqual(
      streams.map((stream) => ({ name: `jetstream-stream-${stream}`, op: "update", diffs: ["live"] })),
    );
    const east = await world.stacks["us-east-1"].up();
    expect(east.summary.resourceChanges).toEqual({ update: 2, same: 5 });
    const evidence = await evidenceOf("us-east-1");
    for (const stream of streams) {
      expect(evidence[stream]?.lastDemotion?.orphanCount).toBe(0);
      expect(evidence[stream]?.lastPromotion?.mode).toBe("planned");
    }
    const eastJsm = await jetstreamManager(await connection("us-east-1"));
    expect((await eastJsm.streams.info("orders")).config.subjects).toEqual(["orders.*"]);
    await moreAcked(20);
  }, 300_000);

  it("then the eu-central-1 stack becomes a mirror; both stacks converge, no acknowledged message lost", async () => {
    const west = await world.stacks["eu-central-1"].up();
    expect(west.summary.resourceChanges).toEqual({ replace: 2, update: 1, same: 4 });
    expect((await evidenceOf("eu-central-1"))["orders"]?.lastDemotion?.orphanCount).toBe(0);
    await moreAcked(20);
    await publisher.stop();

    const acked = [...publisher.acked.keys()];
    const inEast = await storedIds("us-east-1", "orders");
    expect(acked.filter((id) => !inEast.has(id))).toEqual([]);
    await eventually(
      "the eu-central-1 mirror holds every acknowledged message",
      async () => {
        const inWest = await storedIds("eu-central-1", "orders");
        return acked.every((id) => inWest.has(id));
      },
      60_000,
    );
    for (const region of ["us-east-1", "eu-central-1"] as const) {
      const again = await world.stacks[region].up();
      expect(again.summary.resourceChanges).toEqual({ same: 7 });
    }
  }, 300_000);
});
