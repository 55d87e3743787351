// Figures and results for the drill report tests.
import type { ScenarioFigures, ScenarioResult } from "../../drill/report/types";

export function figures(overrides: Partial<ScenarioFigures> = {}): ScenarioFigures {
  return {
    from: "us-east-1",
    to: "eu-central-1",
    rtoMs: 412,
    longestWriteGapMs: 380,
    published: 1602,
    publishRetries: 21,
    stored: 1602,
    consumed: 2410,
    duplicatesDelivered: 0,
    redeliveredAcked: 0,
    duplicatesStored: 0,
    lostAtFailover: 0,
    lost: 0,
    lostHere: 0,
    undelivered: 0,
    sequenceMismatches: 0,
    mirrorLag: {
      samples: 10,
      maxMs: 120,
      p99Ms: 95,
      p50Ms: 10,
      maxMsgs: 32,
      p99Msgs: 20,
      resyncMs: null,
      resyncMaxMsgs: null,
    },
    stackRuns: [
      {
        stack: "drill-eu-central-1",
        activeRegion: "eu-central-1",
        at: 3000,
        configMs: 281,
        ms: 9420,
        completedMs: 8610,
        ok: true,
        resourceChanges: { update: 2, same: 5 },
        changes: [
          "update pulumi:providers:pulumi-nodejs::default [diff: ~nats-dr:activeRegion] 28 ms",
          "update jetstream-stream-events [diff: ~role] 412 ms",
        ],
      },
    ],
    ...overrides,
  };
}

export function result(overrides: Partial<ScenarioResult> = {}): ScenarioResult {
  return {
    id: "planned",
    title: "planned failover us-east-1 -> eu-central-1",
    startedAt: 1000,
    endedAt: 12_000,
    figures: figures(),
    checks: [{ name: "acknowledged messages lost", target: "0", actual: "0", ok: true, timing: false }],
    passed: true,
    notes: [],
    ...overrides,
  };
}
