// The drill's stacks are built from the real config schema, catalog and plan.
import { describe, expect, it } from "vitest";
import { concreteSubject, serverFileBytes } from "../../drill/setup";
import {
  desiredResources,
  drillStackConfig,
  interestCheck,
  replicatedStreams,
  selectCatalog,
  type DrillStackSettings,
} from "../../drill/stacks";
import { leafnodeUrl, localTopology, renderNatsConf } from "../../infra/nats";

const settings: DrillStackSettings = {
  servers: { "us-east-1": ["nats://127.0.0.1:4222"], "eu-central-1": ["nats://127.0.0.1:5222"] },
  streams: ["events", "audit"],
  streamMaxBytes: "256Mi",
  failover: {},
  connection: {},
};

describe("drill stacks", () => {
  it("drill stacks - each region declares the catalog streams in its role, with the product's default timeouts", () => {
    const standby = drillStackConfig("eu-central-1", "us-east-1", settings);
    expect(standby.failover).toMatchObject({ peerTimeoutMs: 3000, catchupTimeoutMs: 30_000 });
    const resources = desiredResources(standby, { user: "app", password: "pw" });
    expect(resources.map((resource) => resource.name)).toEqual([
      "jetstream-stream-audit",
      "jetstream-consumer-audit-consumer",
      "jetstream-consumer-reporting-consumer",
      "jetstream-stream-drill-interest",
      "jetstream-consumer-drill-interest-held",
      "jetstream-stream-events",
      "jetstream-consumer-analytics-consumer",
    ]);
    expect(resources[0]!.inputs).toMatchObject({
      connection: { servers: ["nats://127.0.0.1:5222"] },
      credentials: { user: "app", password: "pw" },
      domain: "eu-central-1",
      role: "mirror",
      peerDomain: "us-east-1",
      spec: { name: "audit", maxBytes: "256Mi", replicas: 3, maxAge: "90d" },
    });
    expect(resources[1]!.dependsOn).toEqual(["jetstream-stream-audit"]);
    const active = desiredResources(drillStackConfig("us-east-1", "us-east-1", settings), {});
    expect(active[0]!.inputs).toMatchObject({ role: "primary", domain: "us-east-1" });
  });

  it("drill stacks - the interest check's stream is replicated with interest retention, and the load leaves it alone", () => {
    const config = drillStackConfig("eu-central-1", "us-east-1", settings);
    const interest = desiredResources(config, {}).find(
      (resource) => resource.name === `jetstream-stream-${interestCheck.stream}`,
    );
    expect(interest?.inputs).toMatchObject({
      role: "mirror",
      peerDomain: "us-east-1",
      spec: { retention: "interest", subjects: ["drill.interest.*"], maxBytes: "256Mi", replicas: 3 },
    });
    expect(replicatedStreams(config).map((planned) => planned.name)).toEqual(["audit", "events"]);
  });

  it("drill stacks - home-region streams exist only in their region", () => {
    const all = { ...settings, streams: "all" as const };
    const names = (region: "us-east-1" | "eu-central-1") =>
      desiredResources(drillStackConfig(region, "us-east-1", all), {}).map((resource) => resource.name);
    expect(names("eu-central-1")).toContain("jetstream-stream-events-eu-gdpr");
    expect(names("us-east-1")).not.toContain("jetstream-stream-events-eu-gdpr");
  });

  it("drill stacks - an unknown catalog stream names the choices", () => {
    expect(() => selectCatalog(["events", "orders"], "1Gi")).toThrow(
      /--streams: "orders" is not in the catalog; choose from events, audit, metrics/,
    );
  });

  it("drill stacks - load subjects and server storage", () => {
    expect(concreteSubject("events.*")).toBe("events.drill");
    expect(concreteSubject("gdpr.access-log.*")).toBe("gdpr.access-log.drill");
    expect(concreteSubject("audit.>")).toBe("audit.drill");
    expect(serverFileBytes(2, "256Mi")).toBe(2 * 256 * 1024 ** 2 * 1.5 + 1024 ** 3);
    expect(() => serverFileBytes(2, "unlimited")).toThrow(/must be a limited size/);
  });

  it("drill stacks - the dialing region's rendered remote only uses its configured URLs", () => {
    const conf = renderNatsConf(
      localTopology({
        serverName: "eu-central-1-1",
        clientPort: 4222,
        monitorPort: 8222,
        storeDir: "/tmp/x",
        domain: "eu-central-1",
        users: { app: { user: "app", password: "pw" } },
        leafnode: { role: "dial", urls: [leafnodeUrl("127.0.0.1", 7422, { user: "leaf", password: "pw" })] },
      }),
    );
    expect(conf).toContain('account: "APP", ignore_discovered_servers: true }');
  });
});
