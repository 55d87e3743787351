// Issue 8, item 9, with the real Pulumi CLI: on an interest stream the server drops the messages
// a deleted consumer had not acknowledged when no other consumer reads them. `pulumi destroy`
// deletes the consumers before their stream, so the stream's own delete guard saw 0 messages;
// the consumer's delete is guarded now, for a destroy, a consumer removed from the catalog and a
// rename alike.
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clients } from "../../drill/load/connections";
import { appClients, startE2eWorld, type E2eWorld } from "./support";

const stream = { subjects: ["payments.*"], retention: "interest", replicas: 1, maxBytes: "64Mi", maxAge: "1d" };
const consumer = { stream: "payments", deliver: "pull", ackPolicy: "explicit", ackWait: "30s", maxDeliver: 5 };
const catalog = (consumers: Record<string, unknown>) => ({
  mode: "replace",
  streams: { payments: { ...stream, replication: { homeRegion: "us-east-1" } } },
  consumers,
});

let world: E2eWorld;
let clients: Clients;
let jsm: JetStreamManager;

const failureOf = (run: Promise<unknown>): Promise<string> =>
  run.then(
    () => "succeeded",
    (error: unknown) => String(error),
  );
const setCatalog = (consumers: Record<string, unknown>) =>
  world.stacks["us-east-1"].setConfig("nats-dr:catalog", { value: JSON.stringify(catalog(consumers)) });
const held = async () => (await jsm.streams.info("payments")).state.messages;

beforeAll(async () => {
  world = await startE2eWorld("interest", { catalog: catalog({ settle: consumer }) });
  clients = appClients(world);
  await world.stacks["us-east-1"].up();
  const nc = await clients.get("observe", "us-east-1");
  jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  for (let index = 0; index < 5; index++) await js.publish("payments.eu", `payment-${index}`);
}, 240_000);

afterAll(async () => {
  await clients?.close();
  await world?.stop();
}, 60_000);

// Each step is a whole pulumi run on a shared machine: a generous guard, never a measurement.
const STEP_TIMEOUT = 240_000;

describe("e2e interest consumers", () => {
  it(
    "pulumi destroy refuses to delete the consumer holding unacknowledged messages",
    async () => {
      expect(await held()).toBe(5);
      const failure = await failureOf(world.stacks["us-east-1"].destroy());
      expect(failure).toMatch(/refusing to delete consumer settle of stream payments .*drop the 5 messages/);
      // The provider's diagnostic states the refusal once (it used to read "Error: refusing ...: Error: refusing ...").
      expect(failure).not.toMatch(/Error: refusing[^\n]*: Error: refusing/);
      expect(await held()).toBe(5);
      expect((await jsm.consumers.info("payments", "settle")).num_pending).toBe(5);
    },
    STEP_TIMEOUT,
  );

  it(
    "pulumi up refuses to remove the consumer from the catalog",
    async () => {
      await setCatalog({});
      const failure = await failureOf(world.stacks["us-east-1"].up());
      expect(failure).toMatch(/refusing to delete consumer settle of stream payments/);
      expect(await held()).toBe(5);
    },
    STEP_TIMEOUT,
  );

  it(
    "a rename creates the new consumer first, which keeps the messages, then deletes the old",
    async () => {
      await setCatalog({ "settle-v2": consumer });
      const renamed = await world.stacks["us-east-1"].up();
      expect(renamed.summary.result).toBe("succeeded");
      expect(await held()).toBe(5);
      expect((await jsm.consumers.info("payments", "settle-v2")).num_pending).toBe(5);
      await expect(jsm.consumers.info("payments", "settle")).rejects.toThrow(/consumer not found/);
    },
    STEP_TIMEOUT,
  );

  it(
    "with allowDeleteWithMessages set and applied, pulumi destroy drops them",
    async () => {
      const stack = world.stacks["us-east-1"];
      await stack.setConfig("nats-dr:allowDeleteWithMessages", { value: "true" });
      await stack.up();
      const destroyed = await stack.destroy();
      expect(destroyed.summary.result).toBe("succeeded");
      await expect(jsm.streams.info("payments")).rejects.toThrow(/stream not found/);
    },
    STEP_TIMEOUT,
  );
});
