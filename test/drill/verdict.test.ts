// The targets each drill scenario is judged by.
import { describe, expect, it } from "vitest";
import { storedAfterFence } from "../../drill/scenarios/failback";
import { defaultTargets, failureLines, judge } from "../../drill/report/verdict";
import { figures } from "./fixtures";

const failed = (checks: ReturnType<typeof judge>) => checks.filter((check) => !check.ok).map((check) => check.name);

describe("drill verdicts", () => {
  it("a clean planned failover passes every check", () => {
    const checks = judge(
      "planned",
      figures({ promotion: { events: "planned", audit: "planned" }, demotionOrphans: 0 }),
    );
    expect(failed(checks)).toEqual([]);
    expect(checks.map((check) => check.name)).toContain("RTO (flip -> first write in the new region)");
  });

  it("a planned failover fails on loss, redelivery, an unplanned promotion, orphans and a slow RTO", () => {
    const checks = judge(
      "planned",
      figures({
        lostAtFailover: 1,
        lostHere: 1,
        redeliveredAcked: 3,
        promotion: { events: "unplanned" },
        demotionOrphans: 5,
        rtoMs: 5000,
      }),
    );
    expect(failed(checks)).toEqual([
      "promotions that were planned (peer fenced, positions carried)",
      "RPO at failover (acknowledged, missing from the new primary)",
      "acknowledged messages lost",
      "redeliveries of acknowledged messages",
      "orphans kept by the old region's demotion",
      "RTO (flip -> first write in the new region)",
    ]);
    expect(checks.find((check) => check.name.startsWith("RTO"))).toMatchObject({
      timing: true,
      actual: "5000",
      target: "< 5000 ms",
    });
  });

  it("a planned failover fails when the interest stream lost messages across the restarts", () => {
    const interestHeld = (lost: number) => ({
      stream: "drill-interest",
      held: 200,
      afterRestart: [{ restarted: "eu-central-1", counts: { "eu-central-1": 200 - lost, "us-east-1": 200 } }],
      lost,
    });
    const base = { promotion: { events: "planned" }, demotionOrphans: 0 };
    expect(failed(judge("planned", figures({ ...base, interestHeld: interestHeld(0) })))).toEqual([]);
    expect(failed(judge("planned", figures({ ...base, interestHeld: interestHeld(200) })))).toEqual([
      "interest-stream messages lost across region restarts after the failover",
    ]);
  });

  it("a failover that never became writable fails its RTO with n/a", () => {
    const check = judge("planned", figures({ rtoMs: null })).find((item) => item.name.startsWith("RTO"))!;
    expect(check).toMatchObject({ ok: false, actual: "n/a" });
  });

  it("losses charged to an earlier scenario do not fail a later one", () => {
    expect(failed(judge("partition", figures({ lost: 4, lostHere: 0, catchUpMs: 500 })))).toEqual([]);
    expect(failed(judge("partition", figures({ catchUpMs: null })))).toEqual(["mirror catch-up after heal"]);
  });

  it("an unplanned failover may lose only what was unreplicated at the kill", () => {
    const allowed = { redeliveryAllowance: 0 };
    expect(failed(judge("unplanned", figures({ ...allowed, lostAtFailover: 3, unreplicatedAtKill: 3 })))).toEqual([]);
    expect(failed(judge("unplanned", figures({ ...allowed, lostAtFailover: 4, unreplicatedAtKill: 3 })))).toEqual([
      "RPO at failover <= unreplicated at the kill",
    ]);
    expect(failed(judge("unplanned", figures({ ...allowed, rtoMs: null, unreplicatedAtKill: 0 })))).toEqual([
      "promoted without the killed region",
    ]);
  });

  it("an unplanned failover redelivers at most what was acknowledged in the last checkpoint intervals", () => {
    const base = { lostAtFailover: 0, unreplicatedAtKill: 0 };
    const target = "redeliveries of acknowledged messages <= one checkpoint interval of traffic + in flight";
    expect(failed(judge("unplanned", figures({ ...base, redeliveredAcked: 40, redeliveryAllowance: 40 })))).toEqual([]);
    expect(failed(judge("unplanned", figures({ ...base, redeliveredAcked: 41, redeliveryAllowance: 40 })))).toEqual([
      target,
    ]);
    // A run that could not measure the allowance does not pass by default.
    expect(failed(judge("unplanned", figures({ ...base, redeliveredAcked: 0 })))).toEqual([target]);
  });

  it("a failback must find every unreplicated message among the orphans and lose nothing", () => {
    const clean = figures({
      promotion: { events: "planned" },
      orphans: { found: 5, republished: 5, alreadyPresent: 3, missingFromOrphans: 0 },
    });
    expect(failed(judge("failback", clean))).toEqual([]);
    const bad = figures({
      promotion: { events: "planned" },
      lostHere: 2,
      orphans: { found: 1, republished: 1, alreadyPresent: 0, missingFromOrphans: 2 },
    });
    expect(failed(judge("failback", bad))).toEqual([
      "unreplicated messages not found among the orphans",
      "RPO after failback (acknowledged, missing)",
    ]);
  });

  it("after the active stack's fence the returned region stores nothing (a count, not a time)", () => {
    const target = "writes the returned region stored after the active stack fenced it";
    const failback = (storedAfterFence: number | null) =>
      judge(
        "failback",
        figures({
          promotion: { events: "planned" },
          orphans: { found: 5, republished: 5, alreadyPresent: 3, missingFromOrphans: 0 },
          splitBrain: {
            windowMs: 60_000,
            afterStreamsAnsweredMs: 9000,
            writes: 900,
            duplicateDeliveries: 400,
            storedAfterFence,
            duplicatesAfterFence: 3,
          },
        }),
      );
    // However long the window took on a loaded machine, only what was stored after the fence counts.
    expect(failed(failback(0))).toEqual([]);
    expect(failed(failback(1))).toEqual([target]);
    // A stream the stack did not fence gives no figure, and does not pass.
    expect(failed(failback(null))).toEqual([target]);
    expect(failback(0).find((item) => item.name === target)?.timing).toBe(false);
  });

  it("stored after the fence: each stream's last sequence before its demotion beyond the fence's", () => {
    const fence = (peerLastSequence: number) => ({
      at: "2026-12-02T22:00:00Z",
      peerDomain: "us-east-1",
      fenced: true,
      reason: "peer returned as primary: will fence.",
      peerLastSequence,
    });
    const last = new Map<string, number | undefined>([
      ["orders", 120],
      ["events", 40],
    ]);
    expect(storedAfterFence(["orders", "events"], [fence(120), fence(40)], last)).toBe(0);
    expect(storedAfterFence(["orders", "events"], [fence(118), fence(40)], last)).toBe(2);
    // Not fenced (the peer was silent) or no answer: no figure.
    expect(storedAfterFence(["orders", "events"], [fence(120), { ...fence(40), fenced: false }], last)).toBeNull();
    expect(storedAfterFence(["orders"], [fence(120)], new Map([["orders", undefined]]))).toBeNull();
  });

  it("node loss: 10 s, or 2 s after the old region's last election when that came late; no redelivery", () => {
    const elections = (lastAfterFlipMs: number) => ({
      lastAfterFlipMs,
      elected: { audit: lastAfterFlipMs },
      unelected: [],
    });
    const nodeLoss = (rtoMs: number, lastAfterFlipMs: number, redeliveredAcked = 0) =>
      judge(
        "node-loss",
        figures({ promotion: { events: "planned" }, rtoMs, redeliveredAcked, elections: elections(lastAfterFlipMs) }),
      );
    expect(failed(nodeLoss(9_900, 5_000))).toEqual([]);
    expect(failed(nodeLoss(defaultTargets.nodeLossRtoMs, 5_000))).toEqual([
      "RTO (flip -> first write in the new region)",
    ]);
    // Elections 9.5 s after the flip: the server's; 2 s after them is the target.
    const late = nodeLoss(11_400, 9_500);
    expect(failed(late)).toEqual([]);
    expect(late.find((check) => check.name.startsWith("RTO"))?.target).toBe(
      "< 11500 ms (the old region's last election 9500 ms + 2000)",
    );
    expect(failed(nodeLoss(11_600, 9_500))).toEqual(["RTO (flip -> first write in the new region)"]);
    // Elections 8 s after the flip leave the 10 s target as it is.
    expect(failed(nodeLoss(10_100, 8_000))).toEqual(["RTO (flip -> first write in the new region)"]);
    // No elections measured (none led by the killed server): 10 s.
    expect(failed(judge("node-loss", figures({ promotion: { events: "planned" }, rtoMs: 10_500 })))).toEqual([
      "RTO (flip -> first write in the new region)",
    ]);
    expect(failed(nodeLoss(7_000, 5_000, 2))).toEqual(["redeliveries of acknowledged messages"]);
  });

  it("steady load judges the mirror lag", () => {
    const lag = (p99Ms: number) =>
      figures({
        mirrorLag: {
          samples: 5,
          maxMs: p99Ms,
          p99Ms,
          p50Ms: 1,
          maxMsgs: 1,
          p99Msgs: 1,
          resyncMs: null,
          resyncMaxMsgs: null,
        },
      });
    expect(failed(judge("steady", lag(999)))).toEqual([]);
    expect(failed(judge("steady", lag(1000)))).toEqual(["mirror lag p99"]);
  });

  it("failure lines name the scenario, the check, the value and the target", () => {
    expect(
      failureLines(
        "planned failover",
        judge("planned", figures({ redeliveredAcked: 2, promotion: { events: "planned" } })),
      ),
    ).toEqual(["planned failover: redeliveries of acknowledged messages was 2, target 0"]);
  });
});
