// The consumer provider against a real nats-server: create, update in place, drift, delete.
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { consumerProvider } from "../../streams/consumerProvider";
import { connectApp, startStandalone, type Standalone } from "../harness";
import { APP_CREDENTIALS, checked, refreshedProps } from "../support/provider";

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

function inputs(spec: Record<string, unknown>) {
  return checked(consumerProvider, {
    connection: { servers: [server.clientUrl], connectTimeoutMs: 2000, requestTimeoutMs: 2000 },
    credentials: APP_CREDENTIALS,
    domain: "us-east-1",
    stream: "events",
    spec,
  });
}

describe("consumer provider", () => {
  test("consumer provider - creates, updates in place, reads drift and deletes", async () => {
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

  test("consumer provider - refuses to take over a consumer it did not create", async () => {
    await (await jetstreamManager(nc)).consumers.add("events", { durable_name: "handmade", ack_policy: "explicit" });
    await expect(consumerProvider.create(await inputs({ name: "handmade" }))).rejects.toThrow(
      /already exists on stream events .* not created by nats-dr/,
    );
  });
});
