// The stack entry (infra/index.ts) under Pulumi mocks with a valid eu-central-1 config.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { isSecretInput, plainText, promiseOf, recordingMocks } from "./support";
import type { Registration } from "./support";

const registrations: Registration[] = [];
let entry: typeof import("../../infra/index.js");

beforeAll(async () => {
  await pulumi.runtime.setMocks(recordingMocks(registrations), "nats-dr", "eu-central-1", false);
  pulumi.runtime.setAllConfig(
    {
      "aws:region": "eu-central-1",
      "nats-dr:region": "eu-central-1",
      "nats-dr:activeRegion": "eu-central-1",
      "nats-dr:regions": JSON.stringify({ "eu-central-1": { servers: ["nats://nats.eu-central-1.internal:4222"] } }),
      "nats-dr:failover": JSON.stringify({ peerTimeoutMs: 2000 }),
      "nats-dr:dns": JSON.stringify({ hostedZoneId: "Z0123456789EXAMPLE", hostname: "nats.example.com" }),
      "nats-dr:natsToken": "entry-t0ken-value",
    },
    ["nats-dr:natsToken"],
  );
  entry = await import("../../infra/index.js");
  await Promise.all([promiseOf(entry.streams), promiseOf(entry.consumers)]);
});

describe("stack entry", () => {
  it("exports this region's stream roles, region and activeRegion", async () => {
    expect(entry.region).toBe("eu-central-1");
    expect(entry.activeRegion).toBe("eu-central-1");
    expect(await promiseOf(entry.streams)).toEqual({
      audit: "primary",
      "audit-eu-gdpr": "primary",
      events: "primary",
      "events-eu-gdpr": "primary",
      metrics: "primary",
      notifications: "primary",
    });
    expect(await promiseOf(entry.consumers)).toEqual({
      "analytics-consumer": "events",
      "audit-consumer": "audit",
      "gdpr-audit-consumer": "audit-eu-gdpr",
      "reporting-consumer": "audit",
    });
  });

  it("declares one component, six streams, the checkpoint and acknowledgement-capture streams and four consumers from config", () => {
    // The JetStream part; the AWS resources are asserted in test/unit/region-aws.test.ts.
    const names = registrations
      .map((entry) => entry.name)
      .filter((name) => name.startsWith("jetstream"))
      .sort();
    expect(names).toEqual([
      "jetstream",
      "jetstream-acks",
      "jetstream-checkpoints",
      "jetstream-consumer-analytics-consumer",
      "jetstream-consumer-audit-consumer",
      "jetstream-consumer-gdpr-audit-consumer",
      "jetstream-consumer-reporting-consumer",
      "jetstream-stream-audit",
      "jetstream-stream-audit-eu-gdpr",
      "jetstream-stream-events",
      "jetstream-stream-events-eu-gdpr",
      "jetstream-stream-metrics",
      "jetstream-stream-notifications",
    ]);
    const events = registrations.find((entry) => entry.name === "jetstream-stream-events")!.inputs;
    expect(events).toMatchObject({
      role: "primary",
      domain: "eu-central-1",
      peerDomain: "us-east-1",
      connection: {
        servers: ["nats://nats.eu-central-1.internal:4222"],
        connectTimeoutMs: 5000,
        requestTimeoutMs: 5000,
      },
      failover: {
        peerTimeoutMs: 2000,
        peerSettleMs: 15000,
        catchupTimeoutMs: 30000,
        consumerDrainTimeoutMs: 5000,
        unplannedConsumerRewind: "unlimited",
      },
    });
  });

  it("the token from a secret config key reaches the resources only as a secret", () => {
    const children = registrations.filter((entry) => entry.name.startsWith("jetstream-"));
    for (const { inputs } of children) {
      expect(isSecretInput(inputs["credentials"])).toBe(true);
      expect(plainText(inputs)).not.toContain("entry-t0ken-value");
    }
    expect(JSON.stringify(children[0]!.inputs["credentials"])).toContain("entry-t0ken-value");
  });
});
