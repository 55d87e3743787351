import { describe, expect, test } from "vitest";
import { diffConsumerInputs, diffStreamInputs, stableJson } from "../../streams/diff";
import { consumerSpecSchema, streamSpecSchema } from "../../streams/schemas";
import type { ConsumerResourceInputs, StreamResourceInputs } from "../../streams/spec";

const base: StreamResourceInputs = {
  connection: { servers: ["nats://127.0.0.1:4222"], connectTimeoutMs: 5000, requestTimeoutMs: 5000 },
  domain: "eu-central-1",
  spec: streamSpecSchema().parse({ name: "events", subjects: ["events.*"], maxAge: "7d" }),
  role: "mirror",
  peerDomain: "us-east-1",
  failover: {
    peerTimeoutMs: 3000,
    peerSettleMs: 15000,
    catchupTimeoutMs: 30000,
    consumerDrainTimeoutMs: 5000,
    unplannedConsumerRewind: "unlimited",
  },
  allowDeleteWithMessages: false,
};

function withSpec(change: Partial<StreamResourceInputs["spec"]>): StreamResourceInputs {
  return { ...base, spec: { ...base.spec, ...change } };
}

describe("stream diff", () => {
  test("identical inputs have no changes, whatever the key order", () => {
    const reordered = JSON.parse(stableJson(base)) as StreamResourceInputs;
    expect(diffStreamInputs(base, reordered)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
      changed: [],
    });
  });

  test("limits update in place and are named", () => {
    const result = diffStreamInputs(base, withSpec({ maxAge: "14d", replicas: 5 }));
    expect(result).toMatchObject({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(result.changed).toEqual(["spec.maxAge", "spec.replicas"]);
  });

  test("mirror to primary is an in-place promotion", () => {
    expect(diffStreamInputs(base, { ...base, role: "primary" })).toMatchObject({
      changes: true,
      replaces: [],
      changed: ["role"],
    });
  });

  test("primary to mirror replaces, create before delete", () => {
    const primary = { ...base, role: "primary" as const };
    expect(diffStreamInputs(primary, base)).toMatchObject({ replaces: ["role"], deleteBeforeReplace: false });
  });

  test("storage and retention replace, deleting first", () => {
    expect(diffStreamInputs(base, withSpec({ storage: "memory" }))).toMatchObject({
      replaces: ["spec"],
      deleteBeforeReplace: true,
    });
    expect(diffStreamInputs(base, withSpec({ retention: "workqueue" }))).toMatchObject({
      replaces: ["spec"],
      deleteBeforeReplace: true,
    });
  });

  test("a mirror cannot be re-pointed", () => {
    expect(diffStreamInputs(base, { ...base, peerDomain: "ap-south-1" })).toMatchObject({
      replaces: ["peerDomain"],
      deleteBeforeReplace: true,
    });
    const primary = { ...base, role: "primary" as const };
    expect(diffStreamInputs(primary, { ...primary, peerDomain: "ap-south-1" })).toMatchObject({
      replaces: [],
      changed: ["peerDomain"],
    });
  });

  test("renaming or moving domains replaces without deleting first", () => {
    expect(diffStreamInputs(base, withSpec({ name: "events2" }))).toMatchObject({
      replaces: ["spec"],
      deleteBeforeReplace: false,
    });
    expect(diffStreamInputs(base, { ...base, domain: "x" })).toMatchObject({
      replaces: ["domain"],
      deleteBeforeReplace: false,
    });
  });

  test("connection, timeouts and guard changes update state only", () => {
    const result = diffStreamInputs(base, {
      ...base,
      failover: { ...base.failover, catchupTimeoutMs: 1 },
      allowDeleteWithMessages: true,
    });
    expect(result).toMatchObject({ changes: true, replaces: [] });
    expect(result.changed).toEqual(["failover.catchupTimeoutMs", "allowDeleteWithMessages"]);
  });
});

describe("consumer diff", () => {
  const consumer: ConsumerResourceInputs = {
    connection: base.connection,
    domain: "us-east-1",
    stream: "events",
    spec: consumerSpecSchema().parse({ name: "analytics-consumer", filterSubjects: ["events.analytics"] }),
  };
  test("updatable fields update in place", () => {
    const result = diffConsumerInputs(consumer, {
      ...consumer,
      spec: { ...consumer.spec, ackWait: "1m", maxDeliver: 10 },
    });
    expect(result).toMatchObject({ changes: true, replaces: [], changed: ["spec.ackWait", "spec.maxDeliver"] });
  });
  test("deliver policy and stream replace", () => {
    expect(
      diffConsumerInputs(consumer, { ...consumer, spec: { ...consumer.spec, deliverPolicy: "new" } }),
    ).toMatchObject({ replaces: ["spec"], deleteBeforeReplace: true });
    expect(diffConsumerInputs(consumer, { ...consumer, stream: "audit" })).toMatchObject({
      replaces: ["stream"],
      deleteBeforeReplace: false,
    });
    expect(diffConsumerInputs(consumer, consumer)).toMatchObject({ changes: false });
  });
});
