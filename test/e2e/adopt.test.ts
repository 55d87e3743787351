// Issue 8, item 7, with the real Pulumi CLI: a primary made by a script before nats-dr is brought
// under the us-east-1 stack, then failed over to eu-central-1 and back, keeping every message.
// `pulumi import` is what Pulumi offers for this, and with a dynamic provider it cannot work (the
// engine reads an imported resource without its inputs, so the provider's code never reaches the
// provider host): the first test shows it, the others run the way docs/failover.md documents,
// nats-dr:adoptStreams.
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveCatalog } from "../../infra/catalog";
import type { DefaultRegion } from "../../infra/config/regions";
import type { StreamEvidence } from "../../infra/streams/regionStreams";
import type { Clients } from "../../drill/load/connections";
import { streamWireConfig } from "../../streams/wire";
import { readStream } from "../support/provider";
import { appClients, e2eCatalog, startE2eWorld, stopWorld, type E2eWorld } from "./support";

let world: E2eWorld;
let clients: Clients;

const connection = (region: DefaultRegion): Promise<NatsConnection> => clients.get("observe", region);

async function evidenceOf(region: DefaultRegion): Promise<Record<string, StreamEvidence>> {
  return (await world.stacks[region].outputs())["failoverEvidence"]?.value as Record<string, StreamEvidence>;
}

async function publishOrders(region: DefaultRegion, count: number, prefix: string): Promise<string[]> {
  const js = jetstream(await connection(region));
  const acked: string[] = [];
  for (let index = 0; index < count; index++) {
    await js.publish("orders.e2e", new TextEncoder().encode(`${prefix}-${index}`), { msgID: `${prefix}-${index}` });
    acked.push(`${prefix}-${index}`);
  }
  return acked;
}

async function storedIds(region: DefaultRegion): Promise<string[]> {
  const messages = await readStream(await connection(region), world.local.regions[region].domain, "orders");
  return messages.flatMap((message) => (message.id === undefined ? [] : [message.id]));
}

async function ordersInfo(region: DefaultRegion) {
  return (await jetstreamManager(await connection(region))).streams.info("orders");
}

beforeAll(async () => {
  world = await startE2eWorld("adopt");
  clients = appClients(world);
  // What a runbook made before nats-dr: `orders` in us-east-1 with the catalog's settings, none of
  // nats-dr's metadata, with messages.
  const resolved = resolveCatalog(JSON.parse(JSON.stringify(e2eCatalog)) as Parameters<typeof resolveCatalog>[0]);
  if (!("catalog" in resolved)) throw new Error(JSON.stringify(resolved.issues));
  const spec = resolved.catalog.streams.find((stream) => stream.spec.name === "orders")!.spec;
  const config = streamWireConfig(spec, "primary", undefined, { owner: "runbook" });
  delete config.metadata!["natsdr.managed"];
  await (await jetstreamManager(await connection("us-east-1"))).streams.add(config);
}, 300_000);

afterAll(() => stopWorld(world, clients), 60_000);

describe("e2e adopt", { timeout: 300_000 }, () => {
  let acked: string[] = [];

  it("pulumi import cannot read a dynamic provider's stream (the engine sends no inputs)", async () => {
    acked = await publishOrders("us-east-1", 20, "before");
    await expect(
      world.stacks["us-east-1"].import({
        resources: [
          {
            type: "pulumi-nodejs:dynamic/natsdr:JetStreamStream",
            name: "jetstream-stream-orders",
            id: "us-east-1/orders",
          },
        ],
        protect: false,
      }),
    ).rejects.toThrow(/code must be a string, not undefined/);
    expect((await ordersInfo("us-east-1")).config.metadata).not.toHaveProperty("natsdr.managed");
  });

  it("pulumi up refuses the stream it did not create and names nats-dr:adoptStreams", async () => {
    await expect(world.stacks["us-east-1"].up()).rejects.toThrow(
      /stream orders already exists in domain "us-east-1" and was not created by nats-dr\. To manage it as it is, add it to nats-dr:adoptStreams/,
    );
    expect((await ordersInfo("us-east-1")).state.messages).toBe(20);
  });

  it("with adoptStreams, pulumi up takes the primary over as it is and the mirror copies it", async () => {
    await world.stacks["us-east-1"].setConfig("nats-dr:adoptStreams", { value: '["orders"]' });
    const east = await world.stacks["us-east-1"].up();
    expect(east.summary.result).toBe("succeeded");
    const info = await ordersInfo("us-east-1");
    expect(info.config.metadata).toMatchObject({ owner: "runbook", "natsdr.managed": "true" });
    expect(info.state).toMatchObject({ messages: 20, first_seq: 1, last_seq: 20 });
    await world.stacks["eu-central-1"].up();
    for (let attempt = 0; (await ordersInfo("eu-central-1")).state.last_seq < 20; attempt++) {
      if (attempt > 200) throw new Error("the mirror never copied the adopted primary");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // A later run is quiet: nothing to change in either stack.
    const again = await world.stacks["us-east-1"].preview();
    expect(again.changeSummary).not.toHaveProperty("update");
    expect(again.changeSummary).not.toHaveProperty("replace");
  });

  it("the adopted primary fails over to eu-central-1 and back, every message kept, no orphans", async () => {
    for (const [active, standby] of [
      ["eu-central-1", "us-east-1"],
      ["us-east-1", "eu-central-1"],
    ] as const) {
      await world.setActiveRegion(active);
      await world.stacks[active].up();
      expect((await evidenceOf(active))["orders"]?.lastPromotion).toMatchObject({ mode: "planned" });
      await world.stacks[standby].up();
      expect((await evidenceOf(standby))["orders"]?.lastDemotion).toMatchObject({ orphanCount: 0 });
      acked = [...acked, ...(await publishOrders(active, 5, active))];
    }
    expect(await storedIds("us-east-1")).toEqual(acked);
  });
});
