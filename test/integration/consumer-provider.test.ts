// The consumer provider against a real nats-server: create, update in place, drift, delete.
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { consumerProvider } from "../../streams/consumerProvider";
import { connectApp, startStandalone, type Standalone } from "../harness";
import { APP_CREDENTIALS, checked, eventually, refreshedProps } from "../support/provider";

let server: Standalone;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startStandalone({ domain: "us-east-1" });
  nc = await connectApp([server.clientUrl]);
  await (await jetstreamManager(nc)).streams.add({ name: "events", subjects: ["events.*"] });
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

function inputs(spec: Record<string, unknown>, stream = "events", extra: Record<string, unknown> = {}) {
  return checked(consumerProvider, {
    connection: { servers: [server.clientUrl], connectTimeoutMs: 2000, requestTimeoutMs: 2000 },
    credentials: APP_CREDENTIALS,
    domain: "us-east-1",
    stream,
    spec,
    ...extra,
  });
}

/** A stream of `retention` with `count` messages on <name>.a published after its consumers exist. */
async function streamWithConsumers(name: string, retention: RetentionPolicy, consumers: string[], count: number) {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name, subjects: [`${name}.*`], retention });
  const created = [];
  for (const consumer of consumers) created.push(await consumerProvider.create(await inputs({ name: consumer }, name)));
  const js = jetstream(nc);
  for (let index = 0; index < count; index++) await js.publish(`${name}.a`, `m${index}`);
  return { jsm, created };
}

describe("consumer provider", () => {
  test("refuses a consumer of the same name made by hand, changes nothing and says how to get out", async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.add("events", { durable_name: "hand-made", ack_policy: AckPolicy.Explicit, max_deliver: 9 });
    await expect(consumerProvider.create(await inputs({ name: "hand-made" }))).rejects.toThrow(
      'consumer hand-made already exists on stream events in domain "us-east-1" and was not created by nats-dr; nothing was changed. ' +
        "nats-dr does not take over consumers it did not create (`pulumi import` cannot adopt a dynamic provider's resource). " +
        "Delete it (nats consumer rm events hand-made) once its readers have stopped, and run pulumi up to create it as declared",
    );
    const info = await jsm.consumers.info("events", "hand-made");
    expect(info.config.max_deliver).toBe(9);
    // No nats-dr key was written (the server keeps its own _nats.* ones).
    expect(Object.keys(info.config.metadata ?? {}).filter((key) => !key.startsWith("_nats."))).toEqual([]);
    await jsm.consumers.delete("events", "hand-made");
  });

  test("creates, updates in place, reads drift and deletes", async () => {
    const declared = await inputs({ name: "analytics-consumer", filterSubjects: ["events.analytics"] });
    const created = await consumerProvider.create(declared);
    const jsm = await jetstreamManager(nc);
    let info = await jsm.consumers.info("events", "analytics-consumer");
    expect(info.config).toMatchObject({
      durable_name: "analytics-consumer",
      ack_policy: "explicit",
      ack_wait: 30e9,
      max_deliver: 5,
      filter_subject: "events.analytics",
    });

    const changed = await inputs({
      name: "analytics-consumer",
      filterSubjects: ["events.analytics", "events.reports"],
      ackWait: "1m",
      maxDeliver: 10,
    });
    expect(await consumerProvider.diff("id", created.outs, changed)).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const updated = await consumerProvider.update("id", created.outs, changed);
    info = await jsm.consumers.info("events", "analytics-consumer");
    expect(info.config).toMatchObject({
      ack_wait: 60e9,
      max_deliver: 10,
      filter_subjects: ["events.analytics", "events.reports"],
    });

    const refreshed = await consumerProvider.read("id", updated.outs);
    expect(await consumerProvider.diff("id", refreshedProps(refreshed), changed)).toMatchObject({ changes: false });
    await jsm.consumers.update("events", "analytics-consumer", { max_deliver: 3 });
    const drifted = await consumerProvider.read("id", updated.outs);
    expect(drifted.inputs?.spec).toMatchObject({ maxDeliver: 3 });
    expect(await consumerProvider.diff("id", refreshedProps(drifted), changed)).toMatchObject({
      changes: true,
      replaces: [],
    });

    await consumerProvider.delete("id", updated.outs);
    await expect(jsm.consumers.info("events", "analytics-consumer")).rejects.toThrow();
    expect((await consumerProvider.read("id", updated.outs)).id).toBeFalsy();
    await consumerProvider.delete("id", updated.outs); // deleting what is gone is fine
  });

  test("a plain pulumi up sees a consumer gone from the server and creates it again", async () => {
    const declared = await inputs({ name: "lost-consumer" });
    const created = await consumerProvider.create(declared);
    const raw = {
      connection: declared.connection,
      credentials: APP_CREDENTIALS,
      domain: "us-east-1",
      stream: "events",
      spec: { name: "lost-consumer" },
    };
    // Present: check adds nothing, and nothing changes.
    const present = await consumerProvider.check(created.outs, raw);
    expect(present.inputs).not.toHaveProperty("live");
    expect((await consumerProvider.diff("id", created.outs, present.inputs as typeof declared)).changes).toBe(false);

    // Gone (deleted by hand, or lost by an interrupted demotion): check marks it, diff plans an update.
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.delete("events", "lost-consumer");
    const absent = await consumerProvider.check(created.outs, raw);
    expect(absent.inputs).toMatchObject({ live: "absent" });
    expect(await consumerProvider.diff("id", created.outs, absent.inputs as typeof declared)).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const updated = await consumerProvider.update("id", created.outs, absent.inputs as typeof declared);
    expect(updated.outs).not.toHaveProperty("live");
    expect((await jsm.consumers.info("events", "lost-consumer")).config).toMatchObject({
      durable_name: "lost-consumer",
      ack_policy: "explicit",
    });
    // A server that cannot be asked adds nothing: the preview still works.
    const unreachable = {
      ...raw,
      connection: { servers: ["nats://127.0.0.1:1"], connectTimeoutMs: 500, requestTimeoutMs: 500 },
    };
    expect((await consumerProvider.check(created.outs, unreachable)).inputs).not.toHaveProperty("live");
    await consumerProvider.delete("id", updated.outs);
  });

  test("refuses to delete the last consumer of an interest stream while it holds unacknowledged messages", async () => {
    const { jsm, created } = await streamWithConsumers("payments", RetentionPolicy.Interest, ["settle"], 5);
    await expect(consumerProvider.delete("id", created[0]!.outs)).rejects.toThrow(
      /refusing to delete consumer settle of stream payments in domain "us-east-1": .*drop the 5 messages .*allowDeleteWithMessages/,
    );
    expect((await jsm.streams.info("payments")).state.messages).toBe(5);
    expect((await jsm.consumers.info("payments", "settle")).name).toBe("settle");

    // Once every message is acknowledged nothing is dropped, so the delete goes ahead.
    const messages = await jetstream(nc).consumers.get("payments", "settle");
    for (let index = 0; index < 5; index++) (await messages.next({ expires: 2000 }))!.ack();
    await eventually("the acks", async () => (await jsm.streams.info("payments")).state.messages === 0);
    await consumerProvider.delete("id", created[0]!.outs);
    await expect(jsm.consumers.info("payments", "settle")).rejects.toThrow(/consumer not found/);
  });

  test("deletes an interest consumer with messages when allowDeleteWithMessages is set", async () => {
    const { jsm, created } = await streamWithConsumers("refunds", RetentionPolicy.Interest, ["settle"], 3);
    const allowed = await inputs({ name: "settle" }, "refunds", { allowDeleteWithMessages: true });
    expect(await consumerProvider.diff("id", created[0]!.outs, allowed)).toMatchObject({ changes: true, replaces: [] });
    await consumerProvider.delete("id", allowed);
    expect((await jsm.streams.info("refunds")).state.messages).toBe(0);
  });

  test("deletes an interest consumer when another consumer still reads its messages (a rename)", async () => {
    const { jsm, created } = await streamWithConsumers(
      "invoices",
      RetentionPolicy.Interest,
      ["old-name", "new-name"],
      4,
    );
    await consumerProvider.delete("id", created[0]!.outs);
    expect((await jsm.streams.info("invoices")).state.messages).toBe(4);
    // The one that is left is the last reader: its delete is refused.
    await expect(consumerProvider.delete("id", created[1]!.outs)).rejects.toThrow(/drop the 4 messages/);
  });

  test("deletes a work-queue consumer with messages: the stream keeps them", async () => {
    const { jsm, created } = await streamWithConsumers("jobs", RetentionPolicy.Workqueue, ["worker"], 5);
    await consumerProvider.delete("id", created[0]!.outs);
    expect((await jsm.streams.info("jobs")).state.messages).toBe(5);
  });

  test("refuses to take over a consumer it did not create", async () => {
    await (await jetstreamManager(nc)).consumers.add("events", { durable_name: "handmade", ack_policy: "explicit" });
    await expect(consumerProvider.create(await inputs({ name: "handmade" }))).rejects.toThrow(
      /already exists on stream events .* not created by nats-dr/,
    );
  });
});
