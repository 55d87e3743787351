import { describe, expect, test } from "vitest";
import type { StreamConfig } from "@nats-io/jetstream";
import type { ConsumerSpec, StreamSpec } from "../../streams/spec";
import { consumerSpecSchema, streamSpecSchema } from "../../streams/schemas";
import {
  consumerSpecFromWire,
  consumerWireConfig,
  isMirrorFeed,
  mirrorFeedConfig,
  specFromWire,
  streamWireConfig,
} from "../../streams/wire";

const events: StreamSpec = streamSpecSchema().parse({
  name: "events",
  subjects: ["events.*", "journey.*"],
  maxAge: "7d",
  maxBytes: "10Gi",
});

describe("wire", () => {
  test("empty spec gets the documented defaults", () => {
    expect(streamSpecSchema().parse({ name: "s", subjects: ["s.>"] })).toEqual({
      name: "s",
      subjects: ["s.>"],
      description: "",
      storage: "file",
      replicas: 3,
      retention: "limits",
      discard: "old",
      maxAge: "0",
      maxBytes: "unlimited",
      maxMsgs: -1,
      maxMsgsPerSubject: -1,
      maxMsgSize: "unlimited",
      duplicateWindow: "2m",
      denyDelete: false,
      denyPurge: false,
      allowDirect: true,
      compression: "none",
    });
  });

  test("a primary maps to the server's units and keeps its subjects", () => {
    const wire = streamWireConfig(events, "primary", undefined, { k: "v" });
    expect(wire).toMatchObject({
      name: "events",
      subjects: ["events.*", "journey.*"],
      storage: "file",
      num_replicas: 3,
      retention: "limits",
      discard: "old",
      max_age: 604800e9,
      max_bytes: 10 * 1024 ** 3,
      max_msgs: -1,
      max_msg_size: -1,
      duplicate_window: 120e9,
      metadata: { k: "v", "natsdr.managed": "true" },
    });
    expect(wire.mirror).toBeUndefined();
  });

  test("a mirror has no subjects and points at the peer domain's API", () => {
    const wire = streamWireConfig(events, "mirror", "us-east-1", {});
    expect(wire.subjects).toEqual([]);
    expect(wire.mirror).toEqual({ name: "events", external: { api: "$JS.us-east-1.API", deliver: "" } });
    expect(() => streamWireConfig(events, "mirror", undefined, {})).toThrow(/peerDomain/);
  });

  test("server config maps back to the same spec (no diff after refresh)", () => {
    const full = streamSpecSchema().parse({
      name: "full",
      subjects: ["a.*"],
      description: "d",
      storage: "memory",
      replicas: 1,
      retention: "interest",
      discard: "new",
      maxAge: "90d",
      maxBytes: "50Gi",
      maxMsgs: 10,
      maxMsgsPerSubject: 2,
      maxMsgSize: "1Mi",
      duplicateWindow: "30s",
      denyDelete: true,
      denyPurge: true,
      allowDirect: false,
      compression: "s2",
    });
    for (const spec of [events, full]) {
      for (const role of ["primary", "mirror"] as const) {
        const wire = streamWireConfig(spec, role, "eu-central-1", {}) as StreamConfig;
        const back = specFromWire(wire, spec);
        expect(back.spec).toEqual(spec);
        expect(back.role).toBe(role);
        expect(back.peerDomain).toBe(role === "mirror" ? "eu-central-1" : undefined);
      }
    }
  });

  test("an interest stream's mirror keeps every message and reads through the primary's feed", () => {
    const payments = streamSpecSchema().parse({ name: "payments", subjects: ["payments.*"], retention: "interest" });
    const mirror = streamWireConfig(payments, "mirror", "us-east-1", {}) as StreamConfig;
    expect(mirror.retention).toBe("limits");
    expect(mirror.mirror).toEqual({
      name: "payments",
      external: { api: "$JS.us-east-1.API", deliver: "" },
      consumer: { name: "natsdr-mirror-feed", deliver_subject: "natsdr.mirror-feed.us-east-1.payments" },
    });
    expect(streamWireConfig(payments, "primary", undefined, {}).retention).toBe("interest");
    // Limits streams keep the mirror consumer the server makes.
    expect(streamWireConfig(events, "mirror", "us-east-1", {}).mirror?.consumer).toBeUndefined();
    // Refresh: "limits" on the mirror is the design, "limits" on a primary is drift.
    expect(specFromWire(mirror, payments).spec.retention).toBe("interest");
    const primary = streamWireConfig(payments, "primary", undefined, {}) as StreamConfig;
    expect(specFromWire({ ...primary, retention: "limits" }, payments).spec.retention).toBe("limits");
    expect(specFromWire({ ...mirror, retention: "interest" }, payments).spec.retention).toBe("interest");
  });

  test("the feed is a push flow-control consumer delivering to the subject its mirror reads", () => {
    const feed = mirrorFeedConfig("eu-central-1", "payments");
    expect(feed).toMatchObject({
      durable_name: "natsdr-mirror-feed",
      ack_policy: "flow_control",
      deliver_policy: "all",
      deliver_subject: "natsdr.mirror-feed.eu-central-1.payments",
      flow_control: true,
      idle_heartbeat: 1e9,
    });
    expect(feed.max_ack_pending).toBeGreaterThan(0);
    expect(isMirrorFeed(feed as never)).toBe(true);
    expect(isMirrorFeed(consumerWireConfig(consumerSpecSchema().parse({ name: "settle" })) as never)).toBe(false);
  });

  test("a mirror without a duplicate window on the server keeps the declared one", () => {
    const wire = streamWireConfig(events, "mirror", "us-east-1", {}) as StreamConfig;
    delete (wire as Partial<StreamConfig>).duplicate_window;
    expect(specFromWire(wire, events).spec.duplicateWindow).toBe("2m");
    const primary = streamWireConfig(events, "primary", undefined, {}) as StreamConfig;
    expect(specFromWire({ ...primary, duplicate_window: 0 }, events).spec.duplicateWindow).toBe("0");
  });

  test("consumers map both ways", () => {
    const pull: ConsumerSpec = consumerSpecSchema().parse({
      name: "analytics-consumer",
      filterSubjects: ["events.analytics"],
    });
    const push: ConsumerSpec = consumerSpecSchema().parse({
      name: "audit-consumer",
      deliver: "push",
      deliverSubject: "deliver.audit",
      deliverGroup: "workers",
      filterSubjects: ["audit.*", "compliance.*"],
    });
    const pullWire = consumerWireConfig(pull);
    expect(pullWire).toMatchObject({
      durable_name: "analytics-consumer",
      ack_policy: "explicit",
      ack_wait: 30e9,
      max_deliver: 5,
      filter_subject: "events.analytics",
    });
    expect(consumerWireConfig(push)).toMatchObject({
      deliver_subject: "deliver.audit",
      deliver_group: "workers",
      filter_subjects: ["audit.*", "compliance.*"],
    });
    for (const spec of [pull, push]) {
      expect(consumerSpecFromWire(consumerWireConfig(spec) as never, false, spec)).toEqual(spec);
    }
  });
});
