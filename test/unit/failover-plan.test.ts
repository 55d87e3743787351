// The failover plan's decisions, from answers the servers could give (the real CLI and servers are
// in test/e2e/failover-plan.test.ts). Pure: planned streams and an observation in, entries out.
import type { ConsumerInfo, StreamInfo } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { failoverPlan, makeFailoverPlan, planLines, type Observation } from "../../infra/failoverPlan";
import type { CopyAnswer } from "../../infra/failoverPlan/observe";
import { planRegionStreams, type PlannedStream } from "../../infra/streams";
import { parsed, rawConfig } from "./support";

const context = {
  region: "eu-central-1",
  peerRegion: "us-east-1",
  domain: "eu-central-1",
  peerDomain: "us-east-1",
  peerTimeoutMs: 3000,
  peerSettleMs: 15000,
};

const CREATED = "2026-12-01T00:00:00Z";

function info(fields: { mirror?: boolean; lastSeq: number; metadata?: Record<string, string>; lag?: number }) {
  return {
    config: {
      name: "orders",
      metadata: fields.metadata ?? {},
      ...(fields.mirror ? { mirror: { name: "orders", external: { api: "$JS.us-east-1.API" } } } : {}),
    },
    created: CREATED,
    state: { last_seq: fields.lastSeq },
    ...(fields.mirror ? { mirror: { name: "orders", lag: fields.lag ?? 0, active: 250_000_000 } } : {}),
  } as unknown as StreamInfo;
}

const consumer = (name: string, ackFloor: number) =>
  ({ name, config: { durable_name: name }, ack_floor: { stream_seq: ackFloor } }) as unknown as ConsumerInfo;

const copy = (streamInfo: StreamInfo, consumers: ConsumerInfo[] = []): CopyAnswer => ({
  kind: "stream",
  info: streamInfo,
  consumers,
});

const orders = (role: "primary" | "mirror"): PlannedStream => ({
  name: "orders",
  role,
  peerDomain: "us-east-1",
  replicated: true,
  spec: {} as PlannedStream["spec"],
  consumers: [],
});

function observed(local: CopyAnswer, peer: CopyAnswer | { silent: string }): Observation {
  return {
    kind: "observed",
    at: "2026-12-02T10:00:00Z",
    local: { orders: local },
    peer: "silent" in peer ? { kind: "silent", reason: peer.silent } : { kind: "answered", streams: { orders: peer } },
  };
}

describe("failover plan", () => {
  it("streams that keep their role give no entry", () => {
    const mirror = observed(copy(info({ mirror: true, lastSeq: 5 })), copy(info({ lastSeq: 5 })));
    expect(failoverPlan([orders("mirror")], mirror, context).streams).toEqual([]);
    const primary = observed(copy(info({ lastSeq: 5 })), copy(info({ mirror: true, lastSeq: 5 })));
    expect(failoverPlan([orders("primary")], primary, context).streams).toEqual([]);
    // Absent here: a create, not a flip.
    expect(failoverPlan([orders("primary")], observed({ kind: "absent" }, { silent: "x" }), context).streams).toEqual(
      [],
    );
  });

  it("a promotion while the peer answers is planned, carrying the peer's positions", () => {
    const plan = failoverPlan(
      [orders("primary")],
      observed(
        copy(info({ mirror: true, lastSeq: 90, lag: 3, metadata: { "natsdr.origin-created": CREATED } })),
        copy(info({ lastSeq: 93 }), [consumer("settle", 80), consumer("natsdr-mirror-feed", 93)]),
      ),
      context,
    );
    expect(plan.streams).toEqual([
      expect.objectContaining({
        stream: "orders",
        change: "promote",
        mode: "planned",
        localLastSequence: 90,
        peerLastSequence: 93,
        mirrorLag: { messages: 3, lastContactMs: 250 },
        consumers: { from: "peer", positions: [{ name: "settle", ackFloor: 80 }] },
      }),
    ]);
  });

  it("a silent, empty or mirrored peer makes it unplanned, with local positions and the RPO", () => {
    const local = copy(info({ mirror: true, lastSeq: 90, lag: 7 }), [consumer("settle", 60)]);
    const silent = failoverPlan([orders("primary")], observed(local, { silent: "no answer" }), context).streams[0]!;
    expect(silent).toMatchObject({ change: "promote", mode: "unplanned", consumers: { from: "local" } });
    expect(silent.why).toMatch(/^no answer; pulumi up asks it for 3000 ms \(up to 15000 ms/);
    expect(silent.rpo).toBe(
      "what us-east-1 stored after this mirror's last message (sequence 90; 7 behind at its last contact 250 ms ago); the old primary keeps it as orphans when its stack runs",
    );
    const absent = failoverPlan([orders("primary")], observed(local, { kind: "absent" }), context).streams[0]!;
    expect(absent.why).toBe("us-east-1 has no stream orders (its origin is gone), so this mirror is promoted as it is");
    const mirrored = failoverPlan(
      [orders("primary")],
      observed(local, copy(info({ mirror: true, lastSeq: 1 }))),
      context,
    ).streams[0]!;
    expect(mirrored).toMatchObject({ mode: "unplanned" });
    expect(mirrored.why).toMatch(/is a mirror too/);
  });

  it("a mirror whose origin was re-created is refused until repaired", () => {
    const plan = failoverPlan(
      [orders("primary")],
      observed(
        copy(info({ mirror: true, lastSeq: 900, metadata: { "natsdr.origin-created": "2026-01-01T00:00:00Z" } })),
        copy(info({ lastSeq: 4 })),
      ),
      context,
    );
    expect(plan.streams[0]?.change).toBe("refuse");
    expect(plan.streams[0]?.brokenMirror).toMatch(/another history/);
    expect(planLines(plan)[0]).toMatch(/repair the mirror first with `pulumi up --refresh` in the eu-central-1 stack/);
  });

  it("a demotion counts the orphans beyond the peer's promotion point; too early, it says run the peer first", () => {
    const promotedPeer = copy(
      info({
        lastSeq: 120,
        metadata: { "natsdr.promoted-from": "eu-central-1", "natsdr.promoted-at-seq": "95" },
      }),
    );
    const demotion = failoverPlan([orders("mirror")], observed(copy(info({ lastSeq: 98 })), promotedPeer), context);
    expect(demotion.streams[0]).toMatchObject({
      change: "demote",
      orphansExpected: { messages: 3, stream: "orders-orphans-95" },
    });
    const early = failoverPlan(
      [orders("mirror")],
      observed(copy(info({ lastSeq: 98 })), copy(info({ mirror: true, lastSeq: 98 }))),
      context,
    );
    expect(early.streams[0]).toMatchObject({ change: "refuse", mode: "none" });
    expect(early.streams[0]!.why).toMatch(/"us-east-1" has not been promoted yet/);
  });

  it("a primary fenced by the peer, which is silent, is taken back unplanned", () => {
    const fenced = copy(info({ lastSeq: 50, metadata: { "natsdr.fenced-by": "us-east-1" } }));
    const plan = failoverPlan([orders("primary")], observed(fenced, { silent: "nobody" }), context);
    expect(plan.streams[0]).toMatchObject({ change: "take-back", mode: "unplanned" });
  });

  it("the old primary back as a writable primary after an unplanned failover: will fence", () => {
    const promoted = copy(
      info({
        lastSeq: 200,
        metadata: {
          "natsdr.promoted-from": "us-east-1",
          "natsdr.promoted-at": "2026-12-02T10:00:00Z",
          "natsdr.promotion-mode": "unplanned",
        },
      }),
    );
    const plan = failoverPlan([orders("primary")], observed(promoted, copy(info({ lastSeq: 150 }))), context);
    expect(plan.streams).toEqual([
      expect.objectContaining({ stream: "orders", change: "fence-peer", mode: "none", peerLastSequence: 150 }),
    ]);
    expect(planLines(plan)[0]).toMatch(
      /^failover plan for eu-central-1: orders: fence-peer: peer returned as primary: will fence\. stream orders in "us-east-1" is a primary, writable.*natsdr\.fenced\.us-east-1\.orders.*; RPO 0: /,
    );
    // Fenced already, a mirror again, or silent: no entry, so a later preview is quiet.
    const fencedPeer = copy(info({ lastSeq: 150, metadata: { "natsdr.fenced-by": "eu-central-1" } }));
    for (const peer of [fencedPeer, copy(info({ mirror: true, lastSeq: 200 })), { silent: "nobody" }] as const)
      expect(failoverPlan([orders("primary")], observed(promoted, peer), context).streams).toEqual([]);
  });

  it("unreachable here: one line saying so; a run without a flip writes a stable output", async () => {
    const config = parsed(rawConfig("eu-central-1", { activeRegion: "us-east-1" }));
    const planned = planRegionStreams(config);
    const unreachable = await makeFailoverPlan(config, planned, undefined, () =>
      Promise.resolve({ kind: "unreachable", reason: "connection refused" }),
    );
    expect(planLines(unreachable)).toEqual([
      "failover plan for eu-central-1: the servers of eu-central-1 did not answer from here (connection refused), so the plan cannot tell whether any stream's role changes; pulumi up needs them too: run it where they can be reached.",
    ]);
    const asked: string[][] = [];
    const quiet = await makeFailoverPlan(config, planned, undefined, (request) => {
      asked.push([...request.streams]);
      return Promise.resolve({
        kind: "observed",
        at: new Date().toISOString(),
        local: {},
        peer: { kind: "silent", reason: "-" },
      });
    });
    expect(quiet).toEqual({ region: "eu-central-1", peerRegion: "us-east-1", streams: [] });
    // Only replicated streams are asked about (not the GDPR home streams).
    expect(asked).toEqual([["audit", "events", "metrics", "notifications"]]);
  });
});
