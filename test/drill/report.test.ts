// The drill's pure report parts: percentiles, lag summaries, gaps, series, tables.
import { describe, expect, it } from "vitest";
import { buildSeries, longestGap, percentile, summarizeLag } from "../../drill/report/stats";
import {
  describeRun,
  formatMs,
  formatTable,
  renderReport,
  renderScenario,
  renderSummary,
} from "../../drill/report/table";
import type { DrillReport } from "../../drill/report/types";
import { figures, result } from "./fixtures";

describe("drill report - statistics", () => {
  it("percentile is nearest-rank and null for no values", () => {
    const values = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([3, 1, 2], 0)).toBe(1);
    expect(percentile([], 99)).toBeNull();
    expect(() => percentile([1], 101)).toThrow(/0\.\.100/);
  });

  it("lag summary leaves out missing samples and keeps a resync apart", () => {
    const summary = summarizeLag([
      { at: 0, lagMs: 10, lagMsgs: 1 },
      { at: 1, lagMs: null, lagMsgs: null },
      { at: 2, lagMs: 30, lagMsgs: 3 },
      { at: 3, lagMs: 9000, lagMsgs: 900, resync: true },
      { at: 5003, lagMs: 50, lagMsgs: 400, resync: true },
    ]);
    expect(summary).toEqual({
      samples: 2,
      maxMs: 30,
      p99Ms: 30,
      p50Ms: 10,
      maxMsgs: 3,
      p99Msgs: 3,
      resyncMs: 5000,
      resyncMaxMsgs: 900,
    });
    expect(summarizeLag([])).toMatchObject({ samples: 0, maxMs: null, p99Ms: null, resyncMs: null });
  });

  it("longest gap counts the edges of the window", () => {
    expect(longestGap([100, 200, 900], 0, 1000)).toBe(700);
    expect(longestGap([], 0, 500)).toBe(500);
    expect(longestGap([50, 5000], 0, 100)).toBe(50);
    expect(longestGap([1], 10, 10)).toBeNull();
  });

  it("series turns 100 ms acknowledgement buckets into rates and keeps the worst lag", () => {
    const acks = new Map([
      [0, 10],
      [1, 20],
      [5, 5],
    ]);
    const lag = [
      { at: 50, lagMs: 5, lagMsgs: 1 },
      { at: 150, lagMs: 40, lagMsgs: 4 },
      { at: 160, lagMs: 9999, lagMsgs: 999, resync: true },
    ];
    expect(buildSeries(acks, lag, 1000, 500)).toEqual([
      { at: 0, publishRate: 60, lagMs: 40, lagMsgs: 4 },
      { at: 500, publishRate: 10, lagMs: null, lagMsgs: null },
    ]);
  });
});

describe("drill report - tables", () => {
  it("columns align, numbers to the right", () => {
    const lines = formatTable(
      ["scenario", "RTO"],
      [
        ["planned", "412 ms"],
        ["partition", "n/a"],
      ],
    );
    expect(lines).toEqual(["scenario      RTO", "---------  ------", "planned    412 ms", "partition     n/a"]);
  });

  it("durations switch to seconds from 10 s", () => {
    expect(formatMs(412.4)).toBe("412 ms");
    expect(formatMs(12_345)).toBe("12.3 s");
    expect(formatMs(null)).toBe("n/a");
  });

  it("a scenario block shows the figures, the stack runs and every check", () => {
    const text = renderScenario(
      result({
        checks: [
          {
            name: "RTO (flip -> first write in the new region)",
            target: "< 2000 ms",
            actual: "2500",
            ok: false,
            timing: true,
          },
        ],
        passed: false,
        notes: ["look here"],
      }),
    ).join("\n");
    expect(text).toMatch(/^== planned failover us-east-1 -> eu-central-1 \(11\.0 s\) =+ FAIL$/m);
    expect(text).toContain("RTO (flip -> first write)      412 ms");
    expect(text).toContain("published / stored / consumed  1,602 / 1,602 / 2,410 (21 publish retries)");
    expect(text).toContain(
      "mirror lag                     max 120 ms (32 msgs), p99 95 ms (20 msgs), p50 10 ms; 10 samples",
    );
    expect(text).toContain(
      "stack drill-eu-central-1       activeRegion eu-central-1, pulumi up 9420 ms (engine done at 8610 ms, activeRegion set 281 ms), ok: 2 updated, 5 unchanged; update pulumi:providers:pulumi-nodejs::default [diff: ~nats-dr:activeRegion] 28 ms; update jetstream-stream-events [diff: ~role] 412 ms",
    );
    expect(text).toContain("    MISS  RTO (flip -> first write in the new region): 2500 (target < 2000 ms)");
    expect(text).toContain("  note: look here");
  });

  it("a failed stack run shows the engine's error on one line", () => {
    const run = {
      ...figures().stackRuns[0]!,
      ok: false,
      completedMs: null,
      configMs: 0,
      error: "jetstream-stream-events: error: stream update failed:\n  no responders",
      resourceChanges: { same: 4 },
      changes: ["update jetstream-stream-events [diff: ~role] 2010 ms (failed)"],
    };
    expect(describeRun(run)).toBe(
      "activeRegion eu-central-1, pulumi up 9420 ms, FAILED: jetstream-stream-events: error: stream update failed: | no responders: 4 unchanged; update jetstream-stream-events [diff: ~role] 2010 ms (failed)",
    );
  });

  it("the RTO is the slowest stream's, each stream's shown beside it", () => {
    const text = renderScenario(
      result({ figures: figures({ rtoMs: 16_500, rtoByStream: { events: 981, audit: 16_500 } }) }),
    ).join("\n");
    expect(text).toContain("RTO (flip -> first write)      16.5 s (events 981 ms, audit 16.5 s)");
  });

  it("losses from an earlier scenario are told apart", () => {
    const text = renderScenario(result({ figures: figures({ lost: 3, lostHere: 1 }) })).join("\n");
    expect(text).toContain(
      "RPO at end                     3 acknowledged messages missing (2 since an earlier scenario)",
    );
  });

  it("the summary lists every scenario and each missed target", () => {
    const report: DrillReport = {
      startedAt: "2026-01-01T00:00:00.000Z",
      totalMs: 61_000,
      passed: false,
      failures: ["planned failover: RTO was 2500, target < 2000 ms"],
      settings: {},
      environment: {},
      scenarios: [
        result(),
        result({ id: "partition", passed: false, figures: figures({ rtoMs: null, lostAtFailover: null }) }),
      ],
      series: [],
      events: [],
      notes: ["a note"],
    };
    const summary = renderSummary(report);
    expect(summary[0]).toMatch(/^scenario\s+verdict\s+RTO\s+RPO@failover/);
    expect(summary[2]).toMatch(/^planned\s+PASS\s+412 ms\s+0\s+0\s+1,602/);
    expect(summary[3]).toMatch(/^partition\s+FAIL\s+n\/a\s+n\/a/);
    expect(summary).toContain("drill FAILED in 61.0 s");
    expect(summary).toContain("  missed: planned failover: RTO was 2500, target < 2000 ms");
    expect(renderReport(report)).toContain("notes:\n  - a note");
    expect(renderReport(report)).toBe(renderReport(report));
  });
});
