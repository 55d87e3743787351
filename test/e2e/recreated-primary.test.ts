// Issue 15, items 6 and 7, as they were found, with the real Pulumi CLI: the us-east-1 primary
// `orders` is deleted by hand and re-created by `pulumi up`; messages are acknowledged into the
// new stream; the link is cut and eu-central-1 promotes its stale mirror; after the heal the
// us-east-1 stack demotes its primary. Before the fix, that demotion found 0 orphans and the
// acknowledged messages were gone in both regions.
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DefaultRegion } from "../../infra/config/regions";
import type { StreamEvidence } from "../../infra/streams/regionStreams";
import type { Clients } from "../../drill/load/connections";
import { StepCollector } from "../../drill/pulumi/events";
import { eventually, readStream } from "../support/provider";
import { startDeployedWorld, stopWorld, type E2eWorld } from "./support";

let world: E2eWorld;
let clients: Clients;

const connection = (region: DefaultRegion): Promise<NatsConnection> => clients.get("observe", region);

async function evidenceOf(region: DefaultRegion): Promise<Record<string, StreamEvidence>> {
  const outputs = await world.stacks[region].outputs();
  return outputs["failoverEvidence"]?.value as Record<string, StreamEvidence>;
}

/** Publishes `count` messages to orders.e2e in `region` with ids `<prefix>-<n>`; returns the acked ids. */
async function publishOrders(region: DefaultRegion, count: number, prefix: string): Promise<string[]> {
  const js = jetstream(await connection(region));
  const acked: string[] = [];
  for (let index = 0; index < count; index++) {
    const id = `${prefix}-${index}`;
    await js.publish("orders.e2e", new TextEncoder().encode(id), { msgID: id });
    acked.push(id);
  }
  return acked;
}

beforeAll(async () => {
  ({ world, clients } = await startDeployedWorld("recreated"));
}, 300_000);

afterAll(() => stopWorld(world, clients), 60_000);

describe("e2e recreated primary", { timeout: 300_000 }, () => {
  let acked: string[] = [];

  it("pulumi up refuses to re-create a deleted primary over its mirror, until allowed", async () => {
    await publishOrders("us-east-1", 200, "old");
    const westJsm = await jetstreamManager(await connection("eu-central-1"));
    await eventually("the mirror at 200", async () => (await westJsm.streams.info("orders")).state.last_seq === 200);
    const eastJsm = await jetstreamManager(await connection("us-east-1"));
    await eastJsm.streams.delete("orders");

    await expect(world.stacks["us-east-1"].up({ refresh: true })).rejects.toThrow(
      /refusing to create stream orders in domain "us-east-1": it does not exist here, but the mirror of it in "eu-central-1" holds 200 messages .*nats-dr:allowRecreateOverMirror/s,
    );
    await expect(eastJsm.streams.info("orders")).rejects.toThrow(/stream not found/);

    await world.stacks["us-east-1"].setConfig("nats-dr:allowRecreateOverMirror", { value: '["orders"]' });
    const recreated = await world.stacks["us-east-1"].up();
    // The stream and its consumer (deleting a stream deletes its consumers).
    expect(recreated.summary.resourceChanges).toMatchObject({ create: 2 });
    acked = await publishOrders("us-east-1", 50, "new");
    expect((await eastJsm.streams.info("orders")).state).toMatchObject({ first_seq: 1, last_seq: 50 });
  });

  it("a refreshed preview of the mirror's stack replaces the stale mirror", async () => {
    const preview = new StepCollector();
    await world.stacks["eu-central-1"].preview({ refresh: true, onEvent: preview.onEvent });
    const planned = preview.changes().filter((step) => step.op !== "refresh");
    expect(planned.map(({ name, op, diffs }) => ({ name, op, diffs }))).toEqual([
      { name: "jetstream-stream-orders", op: "replace", diffs: ["originCheck"] },
    ]);
  });

  it("after an unplanned failover to the stale mirror, the demotion keeps every acknowledged message", async () => {
    world.local.link.cut("reset");
    try {
      await world.setActiveRegion("eu-central-1");
      await world.stacks["eu-central-1"].up();
      expect((await evidenceOf("eu-central-1"))["orders"]?.lastPromotion).toMatchObject({
        mode: "unplanned",
        lastMirroredSequence: 200,
      });
    } finally {
      world.local.link.heal();
      await world.local.waitForLink();
    }
    await world.stacks["us-east-1"].up();
    const orders = (await evidenceOf("us-east-1"))["orders"];
    expect(orders?.lastDemotion).toMatchObject({
      promotedAtSequence: 200,
      orphanCount: 50,
      orphanStream: "orders-orphans-200",
      orphanFirstSequence: 1,
      orphanLastSequence: 50,
      history: { verdict: "diverged" },
    });
    expect(orders?.pendingOrphans).toEqual([{ stream: "orders-orphans-200", messages: 50 }]);
    const kept = await readStream(await connection("us-east-1"), "us-east-1", "orders-orphans-200");
    expect(kept.map((message) => message.headers["Nats-Dr-Original-Msg-Id"])).toEqual(acked);
  });
});
