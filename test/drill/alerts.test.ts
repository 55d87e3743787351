// The drill's alert timeline: the rules run with the real promtool over scraped series; each
// alert's condition is reported with when it started, how long it held and when it would fire.
import { describe, expect, it } from "vitest";
import { alertTimeline, durationMs, inputSeries } from "../../drill/alerts/timeline";
import { pageAt, renderAlerts } from "../../drill/report/table";
import type { MetricsSnapshot } from "../../drill/alerts/sampler";
import { renderRuleGroups } from "../../infra/monitoring";
import { ruleInput } from "../monitoring/scenarios";
import { serverLabels } from "../monitoring/series";

/** Ten scrapes a second apart of three servers; the leafnode drops at the sixth. */
function snapshots(): MetricsSnapshot[] {
  return Array.from({ length: 10 }, (_, step) => ({
    at: 1000 + step * 1000,
    samples: [0, 1, 2].flatMap((index) => [
      { name: "nats_healthz_status_value", labels: serverLabels(index, { value: "ok" }), value: "1" },
      { name: "nats_varz_leafnodes", labels: serverLabels(index), value: step < 5 ? "1" : "0" },
    ]),
  }));
}

describe("drill alerts", () => {
  it("series get one value per scrape, _ before they appear and stale once after they go", () => {
    const [first] = inputSeries(
      [
        { at: 2000, samples: [{ name: "x", labels: { a: "1" }, value: "5" }] },
        { at: 3000, samples: [{ name: "x", labels: { a: "1" }, value: "6" }] },
      ],
      1000,
      5,
    );
    expect(first).toEqual({ series: 'x{a="1"}', values: "_ 5 6 stale _" });
  });

  it("a leafnode cut shows as NatsDrLeafnodeDown from the cut, held to the end, firing only after its for", () => {
    const observations = alertTimeline(snapshots(), 1000, 10_000, renderRuleGroups(ruleInput));
    expect(observations.find((o) => o.alert === "NatsDrLeafnodeDown")).toEqual({
      alert: "NatsDrLeafnodeDown",
      severity: "critical",
      subject: "eu-central-1",
      conditionAtMs: 5000,
      heldMs: 5000,
      forMs: 60_000,
      firedAtMs: null,
      heldToEnd: true,
    });
    expect(observations.map((o) => o.alert)).not.toContain("NatsDrServersDown");
  });

  it("Prometheus durations", () => {
    expect([durationMs("0s"), durationMs("2m"), durationMs("1m15s"), durationMs("1h")]).toEqual([
      0, 120_000, 75_000, 3_600_000,
    ]);
  });
});

describe("drill alerts - report", () => {
  const observation = (alert: string, severity: string, conditionAtMs: number, heldToEnd: boolean, forMs = 60_000) => ({
    alert,
    severity,
    subject: "us-east-1",
    conditionAtMs,
    heldMs: 3000,
    forMs,
    firedAtMs: null,
    heldToEnd,
  });

  it("the summary names the first page a lasting failure brings, and none for passing conditions", () => {
    expect(pageAt(undefined)).toBe("-");
    expect(pageAt([observation("NatsDrLeafnodeDown", "critical", 1000, false)])).toBe("-");
    expect(
      pageAt([
        observation("NatsDrServersDown", "warning", 0, true, 120_000),
        observation("NatsDrMirrorInactive", "critical", 3000, true),
        observation("NatsDrQuorumLost", "critical", 2000, true),
      ]),
    ).toBe("NatsDrQuorumLost +62.0 s");
  });

  it("a scenario lists each alert once with its first condition, longest hold and firing", () => {
    const lines = renderAlerts([
      observation("NatsDrStreamNoLeader", "critical", 2000, false),
      {
        ...observation("NatsDrStreamNoLeader", "critical", 4000, true),
        subject: "us-east-1 audit",
        heldMs: 70_000,
        firedAtMs: 64_000,
      },
    ]);
    expect(lines[0]).toMatch(/^ {2}alerts \(/);
    expect(lines[1]).toMatch(/^ {4}alert\s+severity\s+for\s+first\s+longest\s+at end\s+subjects\s+fired$/);
    expect(lines[3]).toMatch(
      /^ {4}NatsDrStreamNoLeader\s+critical\s+60\.0 s\s+\+2000 ms\s+70\.0 s\s+yes\s+2\s+\+64\.0 s$/,
    );
    expect(renderAlerts([])).toEqual(["  alerts: no alert condition held"]);
  });
});
