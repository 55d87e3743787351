import { describe, expect, it } from "vitest";
import type { DefaultRegion } from "../../infra/config";
import { planRegionStreams } from "../../infra/streams";
import type { PlannedStream } from "../../infra/streams";
import { parsed, rawConfig } from "./support";

const replicated = ["audit", "events", "metrics", "notifications"];
const gdpr = ["audit-eu-gdpr", "events-eu-gdpr"];

function plan(
  region: DefaultRegion,
  activeRegion: DefaultRegion,
  overrides: Record<string, unknown> = {},
): PlannedStream[] {
  return planRegionStreams(parsed(rawConfig(region, { activeRegion, ...overrides })));
}

const byName = (streams: PlannedStream[]) => Object.fromEntries(streams.map((stream) => [stream.name, stream]));
const roles = (streams: PlannedStream[]) => Object.fromEntries(streams.map((stream) => [stream.name, stream.role]));

describe("plan", () => {
  it("with us-east-1 active, us-east-1 holds the primaries of the replicated streams", () => {
    const streams = plan("us-east-1", "us-east-1");
    expect(roles(streams)).toEqual({
      audit: "primary",
      events: "primary",
      metrics: "primary",
      notifications: "primary",
    });
    for (const stream of streams) expect(stream).toMatchObject({ replicated: true, peerDomain: "eu-central-1" });
  });

  it("with us-east-1 active, eu-central-1 mirrors them and keeps its GDPR primaries", () => {
    const streams = byName(plan("eu-central-1", "us-east-1"));
    for (const name of replicated)
      expect(streams[name]).toMatchObject({ role: "mirror", peerDomain: "us-east-1", replicated: true });
    for (const name of gdpr) {
      expect(streams[name]).toMatchObject({ role: "primary", replicated: false });
      expect(streams[name]!.peerDomain).toBeUndefined();
    }
    expect(Object.keys(streams)).toEqual([
      "audit",
      "audit-eu-gdpr",
      "events",
      "events-eu-gdpr",
      "metrics",
      "notifications",
    ]);
  });

  it("us-east-1 never declares a GDPR stream, nor a mirror of one, whichever region is active", () => {
    for (const active of ["us-east-1", "eu-central-1"] as const) {
      expect(plan("us-east-1", active).map((stream) => stream.name)).toEqual(replicated);
    }
  });

  it("a mirror keeps the primary's subjects and limits, so promotion needs nothing else", () => {
    expect(byName(plan("eu-central-1", "us-east-1"))["events"]!.spec).toEqual(
      byName(plan("us-east-1", "us-east-1"))["events"]!.spec,
    );
  });

  it("flipping activeRegion changes only the role of replicated streams", () => {
    for (const region of ["us-east-1", "eu-central-1"] as const) {
      const before = byName(plan(region, "us-east-1"));
      const after = byName(plan(region, "eu-central-1"));
      expect(Object.keys(after)).toEqual(Object.keys(before));
      for (const name of Object.keys(before)) {
        const { role: roleBefore, ...restBefore } = before[name]!;
        const { role: roleAfter, ...restAfter } = after[name]!;
        expect(restAfter).toEqual(restBefore);
        if (gdpr.includes(name)) expect(roleAfter).toBe(roleBefore);
        else expect(roleAfter).not.toBe(roleBefore);
      }
    }
    expect(roles(plan("eu-central-1", "eu-central-1"))).toEqual({
      audit: "primary",
      "audit-eu-gdpr": "primary",
      events: "primary",
      "events-eu-gdpr": "primary",
      metrics: "primary",
      notifications: "primary",
    });
    expect(roles(plan("us-east-1", "eu-central-1"))).toEqual({
      audit: "mirror",
      events: "mirror",
      metrics: "mirror",
      notifications: "mirror",
    });
  });

  it("consumers follow their stream into every region it exists in", () => {
    const consumers = (region: DefaultRegion) =>
      Object.fromEntries(
        plan(region, "us-east-1").map((stream) => [stream.name, stream.consumers.map((consumer) => consumer.name)]),
      );
    expect(consumers("us-east-1")).toEqual({
      audit: ["audit-consumer", "reporting-consumer"],
      events: ["analytics-consumer"],
      metrics: [],
      notifications: [],
    });
    expect(consumers("eu-central-1")).toEqual({
      audit: ["audit-consumer", "reporting-consumer"],
      "audit-eu-gdpr": ["gdpr-audit-consumer"],
      events: ["analytics-consumer"],
      "events-eu-gdpr": [],
      metrics: [],
      notifications: [],
    });
  });

  it("uses the configured domains for the peer", () => {
    const regions = {
      "eu-central-1": { servers: ["nats://eu:4222"], domain: "eu-prod" },
      "us-east-1": { domain: "us-prod" },
    };
    const streams = byName(plan("eu-central-1", "us-east-1", { regions }));
    expect(streams["events"]!.peerDomain).toBe("us-prod");
  });

  it("a home-region stream added to the catalog follows its home region", () => {
    const catalog = {
      streams: { "orders-us": { subjects: ["us.orders.*"], replication: { homeRegion: "us-east-1" } } },
    };
    expect(byName(plan("us-east-1", "eu-central-1", { catalog }))["orders-us"]).toMatchObject({
      role: "primary",
      replicated: false,
    });
    expect(byName(plan("eu-central-1", "eu-central-1", { catalog }))["orders-us"]).toBeUndefined();
  });
});
