// The client hostname's records against the Route53 model: the model's rules, then the sequence of
// stack runs for a planned failover, the failback and an unplanned failover, with the records each
// stack really declares (clientRecordSpec). docs/dns.md gives the reasoning.
import { describe, expect, it } from "vitest";
import type { DefaultRegion } from "../../infra/config";
import { LOAD_BALANCER_SCHEME, healthCheckTypeOf } from "../../infra/config";
import {
  answer,
  applyBatch,
  checkVerdict,
  clientRecordSpec,
  emptyZone,
  healthCheckSpec,
  toModelRecord,
  zoneProblems,
} from "../../infra/dns";
import { kubernetesConfig } from "./kubernetes-support";
import type { Change, Health, ModelRecord, Zone } from "../../infra/dns";

const HOST = "nats.example.com";
const endpoint = (region: DefaultRegion) => `nats-lb.${region}.elb.amazonaws.com`;
const check = (region: DefaultRegion) => `hc-${region}`;
const failoverRecord = (setIdentifier: string, role: "PRIMARY" | "SECONDARY", value: string): ModelRecord => ({
  name: HOST,
  type: "CNAME",
  setIdentifier,
  policy: { kind: "failover", role },
  healthCheckId: `hc-${setIdentifier}`,
  values: [value],
});

describe("dns model", () => {
  it("rejects a second PRIMARY (or SECONDARY) for one name and changes nothing", () => {
    const one = applyBatch(emptyZone, [{ action: "CREATE", record: failoverRecord("a", "PRIMARY", "a.example") }]);
    expect(one.error).toBeUndefined();
    const two = applyBatch(one.zone, [{ action: "UPSERT", record: failoverRecord("b", "PRIMARY", "b.example") }]);
    expect(two.error).toMatch(/both failover PRIMARY/);
    expect(two.zone).toBe(one.zone);
    const pair = applyBatch(one.zone, [
      { action: "UPSERT", record: failoverRecord("b", "SECONDARY", "b.example") },
    ]).zone;
    expect(
      applyBatch(pair, [{ action: "UPSERT", record: failoverRecord("a", "SECONDARY", "a.example") }]).error,
    ).toMatch(/both failover SECONDARY/);
    // Swapping the roles works only as one batch with both records, i.e. with one owner of both.
    const swapped = applyBatch(pair, [
      { action: "UPSERT", record: failoverRecord("a", "SECONDARY", "a.example") },
      { action: "UPSERT", record: failoverRecord("b", "PRIMARY", "b.example") },
    ]);
    expect(swapped.error).toBeUndefined();
  });

  it("CREATE of an existing record, DELETE of a different one, mixed policies, CNAME with another type", () => {
    const record = failoverRecord("a", "PRIMARY", "a.example");
    const zone = applyBatch(emptyZone, [{ action: "CREATE", record }]).zone;
    expect(applyBatch(zone, [{ action: "CREATE", record }]).error).toMatch(/already exists/);
    expect(applyBatch(zone, [{ action: "DELETE", record: { ...record, values: ["other"] } }]).error).toMatch(
      /not found/,
    );
    expect(applyBatch(zone, [{ action: "DELETE", record }]).zone.size).toBe(0);
    const weighted: ModelRecord = { ...record, setIdentifier: "b", policy: { kind: "weighted", weight: 1 } };
    expect(applyBatch(zone, [{ action: "CREATE", record: weighted }]).error).toMatch(/one routing policy/);
    expect(
      applyBatch(zone, [
        { action: "CREATE", record: { name: HOST, type: "A", policy: { kind: "simple" }, values: ["10.0.0.1"] } },
      ]).error,
    ).toMatch(/CNAME/);
    expect(
      applyBatch(emptyZone, [{ action: "CREATE", record: { ...weighted, policy: { kind: "weighted", weight: 256 } } }])
        .error,
    ).toMatch(/0-255/);
  });

  it("failover answers PRIMARY while healthy, else a healthy SECONDARY, else PRIMARY", () => {
    const zone = applyBatch(emptyZone, [
      { action: "CREATE", record: failoverRecord("a", "PRIMARY", "a.example") },
      { action: "CREATE", record: failoverRecord("b", "SECONDARY", "b.example") },
    ]).zone;
    const values = (health: Health) => answer(zone, HOST, "CNAME", health).map((record) => record.values[0]);
    expect(values({})).toEqual(["a.example"]);
    expect(values({ "hc-a": false })).toEqual(["b.example"]);
    expect(values({ "hc-a": false, "hc-b": false })).toEqual(["a.example"]);
  });

  it("weighted answers healthy nonzero weights, else healthy zero weights, else as if all were healthy", () => {
    const record = (id: string, weight: number): Change => ({
      action: "CREATE",
      record: {
        name: HOST,
        type: "CNAME",
        setIdentifier: id,
        policy: { kind: "weighted", weight },
        healthCheckId: `hc-${id}`,
        values: [`${id}.example`],
      },
    });
    const zone = applyBatch(emptyZone, [record("a", 1), record("b", 0)]).zone;
    const ids = (health: Health) => answer(zone, HOST, "CNAME", health).map((found) => found.setIdentifier);
    expect(ids({})).toEqual(["a"]);
    expect(ids({ "hc-a": false })).toEqual(["b"]);
    expect(ids({ "hc-a": false, "hc-b": false })).toEqual(["a"]);
    const both = applyBatch(zone, [{ ...record("b", 1), action: "UPSERT" }]).zone;
    expect(answer(both, HOST, "CNAME", {}).map((found) => found.setIdentifier)).toEqual(["a", "b"]);
  });
});

/** The world the stack runs act on: Route53, the streams of each region, which region is up. */
interface World {
  zone: Zone;
  streams: Record<DefaultRegion, "primary" | "fenced" | "mirror">;
  up: Record<DefaultRegion, boolean>;
}

/**
 * One `pulumi up` of `region`'s stack with `activeRegion`, as far as DNS is concerned: the stream
 * transition first (the record depends on the streams), then an UPSERT of the one record the stack
 * owns. A planned promotion fences the reachable old primary; a demotion needs the new primary.
 */
function runStack(world: World, region: DefaultRegion, activeRegion: DefaultRegion): { error?: string } {
  const peer: DefaultRegion = region === "us-east-1" ? "eu-central-1" : "us-east-1";
  if (!world.up[region]) return { error: `${region} is down; its stack cannot run` };
  if (region === activeRegion) {
    if (world.streams[region] !== "primary" && world.up[peer] && world.streams[peer] === "primary")
      world.streams[peer] = "fenced";
    world.streams[region] = "primary";
  } else if (world.streams[region] !== "mirror") {
    if (!world.up[peer] || world.streams[peer] !== "primary")
      return { error: `demotion needs the new primary in ${peer}` };
    world.streams[region] = "mirror";
  }
  const spec = clientRecordSpec({ region, activeRegion, hostname: HOST, ttl: 30 });
  const result = applyBatch(world.zone, [
    { action: "UPSERT", record: toModelRecord(spec, endpoint(region), check(region)) },
  ]);
  world.zone = result.zone;
  return result.error === undefined ? {} : { error: result.error };
}

/** The regions DNS may send a client to now. */
function answered(world: World): DefaultRegion[] {
  const health = { [check("us-east-1")]: world.up["us-east-1"], [check("eu-central-1")]: world.up["eu-central-1"] };
  return answer(world.zone, HOST, "CNAME", health).map((record) => record.setIdentifier as DefaultRegion);
}

/** The checks after every step: a zone Route53 accepts, and DNS never answers only non-writable regions while a writable one is up. */
function expectSound(world: World): void {
  expect(zoneProblems(world.zone)).toEqual([]);
  const writableUp = (["us-east-1", "eu-central-1"] as const).filter(
    (region) => world.up[region] && world.streams[region] === "primary",
  );
  if (writableUp.length > 0) expect(answered(world).some((region) => writableUp.includes(region))).toBe(true);
}

/** Both stacks have run with activeRegion us-east-1. */
function steadyUs(): World {
  const world: World = {
    zone: emptyZone,
    streams: { "us-east-1": "mirror", "eu-central-1": "mirror" },
    up: { "us-east-1": true, "eu-central-1": true },
  };
  expect(runStack(world, "us-east-1", "us-east-1")).toEqual({});
  expect(runStack(world, "eu-central-1", "us-east-1")).toEqual({});
  expectSound(world);
  expect(answered(world)).toEqual(["us-east-1"]);
  return world;
}

describe("dns failover sequences", () => {
  it("first provisioning in either order: each stack creates only its own record", () => {
    const world: World = {
      zone: emptyZone,
      streams: { "us-east-1": "mirror", "eu-central-1": "mirror" },
      up: { "us-east-1": true, "eu-central-1": true },
    };
    expect(runStack(world, "eu-central-1", "us-east-1")).toEqual({});
    expect(answered(world)).toEqual(["eu-central-1"]);
    expect(runStack(world, "us-east-1", "us-east-1")).toEqual({});
    expect(answered(world)).toEqual(["us-east-1"]);
    expect(runStack(world, "eu-central-1", "us-east-1")).toEqual({});
    expect(Object.fromEntries([...world.zone.values()].map((record) => [record.setIdentifier, record.policy]))).toEqual(
      {
        "us-east-1": { kind: "weighted", weight: 1 },
        "eu-central-1": { kind: "weighted", weight: 0 },
      },
    );
    expectSound(world);
  });

  it("planned failover to eu-central-1: eu stack, then us stack; every step valid", () => {
    const world = steadyUs();
    expect(runStack(world, "eu-central-1", "eu-central-1")).toEqual({});
    expectSound(world);
    // Between the two runs both records carry weight 1: us-east-1 is fenced, eu-central-1 writable.
    expect(world.streams).toEqual({ "us-east-1": "fenced", "eu-central-1": "primary" });
    expect(answered(world)).toEqual(["eu-central-1", "us-east-1"]);
    expect(runStack(world, "us-east-1", "eu-central-1")).toEqual({});
    expectSound(world);
    expect(answered(world)).toEqual(["eu-central-1"]);
  });

  it("failback to us-east-1 after a planned failover", () => {
    const world = steadyUs();
    runStack(world, "eu-central-1", "eu-central-1");
    runStack(world, "us-east-1", "eu-central-1");
    expect(runStack(world, "us-east-1", "us-east-1")).toEqual({});
    expectSound(world);
    expect(answered(world)).toEqual(["eu-central-1", "us-east-1"]);
    expect(runStack(world, "eu-central-1", "us-east-1")).toEqual({});
    expectSound(world);
    expect(answered(world)).toEqual(["us-east-1"]);
    expect(world.streams).toEqual({ "us-east-1": "primary", "eu-central-1": "mirror" });
  });

  it("unplanned failover: health checks move clients before anyone runs; the surviving stack runs alone", () => {
    const world = steadyUs();
    world.up["us-east-1"] = false;
    // Nobody has run anything: the active record is unhealthy, the zero-weight one answers.
    expect(answered(world)).toEqual(["eu-central-1"]);
    expect(runStack(world, "us-east-1", "eu-central-1")).toEqual({ error: "us-east-1 is down; its stack cannot run" });
    expect(runStack(world, "eu-central-1", "eu-central-1")).toEqual({});
    expectSound(world);
    expect(answered(world)).toEqual(["eu-central-1"]);
    // Route53 keeps answering eu-central-1 whatever the dead region's record says.
    expect([...world.zone.values()].find((record) => record.setIdentifier === "us-east-1")?.policy).toEqual({
      kind: "weighted",
      weight: 1,
    });
  });

  it("with the stacks' defaults a dead region's record stops being answered, nobody running anything", () => {
    const world = steadyUs();
    world.up["us-east-1"] = false;
    /** Route53's verdict on each region's check as the stack declares it with `dns` settings. */
    const health = (oldDefault = false) =>
      Object.fromEntries(
        (["us-east-1", "eu-central-1"] as const).map((region) => {
          const config = kubernetesConfig(region, { dns: { hostedZoneId: "Z0123456789EXAMPLE", hostname: HOST } });
          const { healthCheck } = config.dns!;
          const spec = healthCheckSpec(
            {
              ...healthCheck,
              type: oldDefault ? "TCP" : healthCheckTypeOf(healthCheck.type, config.kubernetes !== undefined),
            },
            region,
          );
          const scheme = config.kubernetes!.loadBalancerAnnotations[LOAD_BALANCER_SCHEME];
          const verdict = checkVerdict(spec, {
            up: world.up[region],
            reachableFromInternet: scheme === "internet-facing",
          });
          return [check(region), verdict];
        }),
      );
    const answeredWith = (oldDefault = false) =>
      answer(world.zone, HOST, "CNAME", health(oldDefault)).map((record) => record.setIdentifier);
    expect(answeredWith()).toEqual(["eu-central-1"]);
    // The old default, a TCP check of the internal load balancer (refused by the config now): both
    // checks fail, Route53 answers as if both were healthy, and the dead region keeps its clients.
    expect(health(true)).toEqual({ [check("us-east-1")]: false, [check("eu-central-1")]: false });
    expect(answeredWith(true)).toEqual(["us-east-1"]);
    world.up["us-east-1"] = true;
    expect(answeredWith()).toEqual(["us-east-1"]);
  });

  it("the dead region comes back: its stack demotes it and drops its weight; then failback", () => {
    const world = steadyUs();
    world.up["us-east-1"] = false;
    runStack(world, "eu-central-1", "eu-central-1");
    world.up["us-east-1"] = true;
    // Its streams are still primaries until its stack runs (docs/failover.md: run it promptly).
    expect(world.streams["us-east-1"]).toBe("primary");
    expect(answered(world)).toEqual(["eu-central-1", "us-east-1"]);
    expect(runStack(world, "us-east-1", "eu-central-1")).toEqual({});
    expectSound(world);
    expect(answered(world)).toEqual(["eu-central-1"]);
    runStack(world, "us-east-1", "us-east-1");
    runStack(world, "eu-central-1", "us-east-1");
    expectSound(world);
    expect(answered(world)).toEqual(["us-east-1"]);
  });

  it("rejected design: per-stack failover records (PRIMARY iff active) deadlock a planned failover", () => {
    // Each stack owns one failover record: PRIMARY in activeRegion, SECONDARY elsewhere.
    const upsert = (zone: Zone, region: DefaultRegion, activeRegion: DefaultRegion) =>
      applyBatch(zone, [
        {
          action: "UPSERT",
          record: failoverRecord(region, region === activeRegion ? "PRIMARY" : "SECONDARY", endpoint(region)),
        },
      ]);
    let zone = upsert(emptyZone, "us-east-1", "us-east-1").zone;
    zone = upsert(zone, "eu-central-1", "us-east-1").zone;
    // Becoming-active stack first: eu-central-1 cannot become PRIMARY while us-east-1 is PRIMARY.
    expect(upsert(zone, "eu-central-1", "eu-central-1").error).toMatch(/both failover PRIMARY/);
    // The other order fails too: us-east-1 cannot become SECONDARY while eu-central-1 is SECONDARY.
    expect(upsert(zone, "us-east-1", "eu-central-1").error).toMatch(/both failover SECONDARY/);
    // So DNS stays on the fenced old primary: with only us healthy-and-PRIMARY, no writable region is answered.
    expect(answer(zone, HOST, "CNAME", {}).map((record) => record.setIdentifier)).toEqual(["us-east-1"]);
  });
});
