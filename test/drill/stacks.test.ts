// The drill's stacks are built from the real config schema, catalog and plan.
import { describe, expect, it } from "vitest";
import { concreteSubject } from "../../drill/setup";
import { serverFileBytes } from "../../drill/sizing";
import {
  drillConfigMap,
  drillStackConfig,
  interestCheck,
  replicatedStreams,
  selectCatalog,
  type DrillStackSettings,
} from "../../drill/stacks";
import { planRegionStreams } from "../../infra/streams/plan";
import { DEFAULT_REGION_PAIR } from "../../infra/config/regions";
import { leafnodeUrl, localTopology, renderNatsConf } from "../../infra/nats";

const settings: DrillStackSettings = {
  pair: DEFAULT_REGION_PAIR,
  servers: { "us-east-1": ["nats://127.0.0.1:4222"], "eu-central-1": ["nats://127.0.0.1:5222"] },
  streams: ["events", "audit"],
  streamMaxBytes: "256Mi",
  failover: {},
  connection: {},
};

describe("drill stacks", () => {
  it("each stack's config is what a user would set: no AWS parts, the password as a secret", () => {
    const config = drillConfigMap("eu-central-1", "us-east-1", settings, { user: "app", password: "pw" });
    expect(Object.keys(config).sort()).toEqual([
      "nats-dr:activeRegion",
      "nats-dr:backup",
      "nats-dr:catalog",
      "nats-dr:connection",
      "nats-dr:failover",
      "nats-dr:natsPassword",
      "nats-dr:natsUser",
      "nats-dr:region",
      "nats-dr:regions",
    ]);
    expect(config["nats-dr:natsPassword"]).toEqual({ value: "pw", secret: true });
    expect(config["nats-dr:natsUser"]).toEqual({ value: "app", secret: false });
    expect(config["nats-dr:activeRegion"]).toEqual({ value: "us-east-1", secret: false });
    expect(JSON.parse(config["nats-dr:backup"]!.value)).toEqual({ enabled: false });
    expect(JSON.parse(config["nats-dr:regions"]!.value)).toEqual({
      "us-east-1": { servers: ["nats://127.0.0.1:4222"] },
      "eu-central-1": { servers: ["nats://127.0.0.1:5222"] },
    });
  });

  it("each region plans the catalog streams in its role, with the product's default timeouts", () => {
    const standby = drillStackConfig("eu-central-1", "us-east-1", settings);
    expect(standby.failover).toMatchObject({ peerTimeoutMs: 3000, catchupTimeoutMs: 30_000 });
    expect(standby.dns).toBeUndefined();
    const plan = planRegionStreams(standby);
    expect(plan.map((planned) => [planned.name, planned.role, planned.peerDomain])).toEqual([
      ["audit", "mirror", "us-east-1"],
      ["drill-interest", "mirror", "us-east-1"],
      ["events", "mirror", "us-east-1"],
    ]);
    expect(plan[0]!.spec).toMatchObject({ name: "audit", maxBytes: "256Mi", replicas: 3, maxAge: "90d" });
    expect(plan.flatMap((planned) => planned.consumers.map((consumer) => consumer.name))).toEqual([
      "audit-consumer",
      "reporting-consumer",
      "drill-interest-held",
      "analytics-consumer",
    ]);
    const active = planRegionStreams(drillStackConfig("us-east-1", "us-east-1", settings));
    expect(active.map((planned) => planned.role)).toEqual(["primary", "primary", "primary"]);
  });

  it("the interest check's stream is replicated with interest retention, and the load leaves it alone", () => {
    const config = drillStackConfig("eu-central-1", "us-east-1", settings);
    const interest = planRegionStreams(config).find((planned) => planned.name === interestCheck.stream);
    expect(interest).toMatchObject({
      role: "mirror",
      peerDomain: "us-east-1",
      spec: { retention: "interest", subjects: ["drill.interest.*"], maxBytes: "256Mi", replicas: 3 },
    });
    expect(replicatedStreams(config).map((planned) => planned.name)).toEqual(["audit", "events"]);
  });

  it("home-region streams exist only in their region", () => {
    const all = { ...settings, streams: "all" as const };
    const names = (region: "us-east-1" | "eu-central-1") =>
      planRegionStreams(drillStackConfig(region, "us-east-1", all)).map((planned) => planned.name);
    expect(names("eu-central-1")).toContain("events-eu-gdpr");
    expect(names("us-east-1")).not.toContain("events-eu-gdpr");
  });

  it("an unknown catalog stream names the choices", () => {
    expect(() => selectCatalog(["events", "orders"], "1Gi")).toThrow(
      /--streams: "orders" is not in the catalog; choose from events, audit, metrics/,
    );
  });

  it("load subjects and server storage", () => {
    expect(concreteSubject("events.*")).toBe("events.drill");
    expect(concreteSubject("gdpr.access-log.*")).toBe("gdpr.access-log.drill");
    expect(concreteSubject("audit.>")).toBe("audit.drill");
    expect(serverFileBytes(2, "256Mi")).toBe(2 * 256 * 1024 ** 2 * 1.5 + 1024 ** 3);
    expect(() => serverFileBytes(2, "unlimited")).toThrow(/must be a limited size/);
  });

  it("the dialing region's rendered remote only uses its configured URLs", () => {
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
