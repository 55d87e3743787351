// Which of our alerts a scenario would have raised, and when: the rules of both stacks run with
// the real promtool over the series the drill's exporters reported during the scenario. Each
// alert's `for` is set to 0 so promtool lists the moments its condition held; the report adds the
// rule's `for` to say when it would fire (scenarios last seconds, most `for`s are minutes).
import { dump } from "js-yaml";
import type { AlertingRule, RuleGroup } from "../../infra/monitoring/rules";
import { renderRulesFile } from "../../infra/monitoring/rules";
import { seriesText } from "./exposition";
import { runPromtool } from "./promtool";
import { SCRAPE_INTERVAL_MS, type MetricsSnapshot } from "./sampler";

export interface AlertObservation {
  readonly alert: string;
  readonly severity: string;
  /** The labels that say what it is about: region, stream, consumer, server. */
  readonly subject: string;
  /** When its condition first held, ms after the scenario started. */
  readonly conditionAtMs: number;
  /** How long it held (to the last second it held), ms. */
  readonly heldMs: number;
  /** The rule's `for`, ms: it fires once the condition has held that long. */
  readonly forMs: number;
  /** Firing time after the scenario started when it held `for` long; null when it did not. */
  readonly firedAtMs: number | null;
  /** It still held at the scenario's end: a lasting failure, not a passing one. */
  readonly heldToEnd: boolean;
}

const SUBJECT_LABELS = ["region", "stream_name", "consumer_name", "server_id"] as const;

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** A Prometheus duration ("2m", "1m15s") in ms. */
export function durationMs(text: string): number {
  if (!/^(\d+(ms|s|m|h))+$/.test(text)) throw new Error(`not a Prometheus duration: ${text}`);
  let total = 0;
  for (const part of text.matchAll(/(\d+)(ms|s|m|h)/g)) total += Number(part[1]) * UNITS[part[2] as keyof typeof UNITS];
  return total;
}

/**
 * promtool input series over the window, one value per scrape interval: "_" before a series
 * appears, "stale" once when it disappears (as Prometheus marks a series a scrape no longer has).
 */
export function inputSeries(
  snapshots: readonly MetricsSnapshot[],
  from: number,
  steps: number,
): { series: string; values: string }[] {
  const table = new Map<string, (string | undefined)[]>();
  for (const snapshot of snapshots) {
    const step = Math.round((snapshot.at - from) / SCRAPE_INTERVAL_MS);
    if (step < 0 || step >= steps) continue;
    for (const sample of snapshot.samples) {
      const key = seriesText(sample.name, sample.labels);
      const values = table.get(key) ?? new Array<string | undefined>(steps).fill(undefined);
      values[step] = sample.value;
      table.set(key, values);
    }
  }
  return [...table.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([series, values]) => {
      let seen = false;
      const tokens = values.map((value, index) => {
        if (value !== undefined) {
          seen = true;
          return value;
        }
        // A value missing after one was there: the series went away (it may come back).
        const marked = seen && values[index - 1] !== undefined;
        return marked ? "stale" : "_";
      });
      return { series, values: tokens.join(" ") };
    });
}

/** The groups with every alert's `for` set to 0, and the original `for` of each alert. */
function conditionRules(groups: readonly RuleGroup[]): { groups: RuleGroup[]; forMs: Map<string, number> } {
  const forMs = new Map<string, number>();
  const zeroed = groups.map((group) => ({
    name: group.name,
    rules: group.rules.map((rule) => {
      if (!("alert" in rule)) return rule;
      forMs.set(rule.alert, durationMs(rule.for));
      return { ...rule, for: "0s" } satisfies AlertingRule;
    }),
  }));
  return { groups: zeroed, forMs };
}

/** The firing alerts promtool lists in its failures: alertname, eval time (s) and the labels of each. */
export function parseFailures(output: string): { alert: string; second: number; labels: Record<string, string> }[] {
  const found: { alert: string; second: number; labels: Record<string, string> }[] = [];
  for (const block of output.split(/\n\s*alertname: /).slice(1)) {
    const head = /^(\w+), time: ([\dhms]+),/.exec(block);
    const got = block.indexOf("got:[");
    if (head === null || got < 0) continue;
    const second = durationMs(head[2]!) / 1000;
    for (const labels of block.slice(got).matchAll(/Labels:\{([^}]*)\}/g)) {
      const map = Object.fromEntries(
        [...labels[1]!.matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]),
      );
      found.push({ alert: head[1]!, second, labels: map });
    }
  }
  return found;
}

/** The alert observations of a scenario from `from` to `to` (ms since the drill started). */
export function alertTimeline(
  snapshots: readonly MetricsSnapshot[],
  from: number,
  to: number,
  groups: readonly RuleGroup[],
): AlertObservation[] {
  const steps = Math.max(1, Math.floor((to - from) / SCRAPE_INTERVAL_MS) + 1);
  const { groups: zeroed, forMs } = conditionRules(groups);
  const alerts = [...forMs.keys()];
  const seconds = Array.from({ length: steps }, (_, index) => index);
  const tests = {
    rule_files: ["rules.yaml"],
    evaluation_interval: `${SCRAPE_INTERVAL_MS / 1000}s`,
    tests: [
      {
        interval: `${SCRAPE_INTERVAL_MS / 1000}s`,
        input_series: inputSeries(snapshots, from, steps),
        alert_rule_test: seconds.flatMap((second) =>
          alerts.map((alertname) => ({ eval_time: `${second}s`, alertname, exp_alerts: [] })),
        ),
      },
    ],
  };
  const result = runPromtool(["test", "rules", "tests.yaml"], {
    "rules.yaml": renderRulesFile(zeroed),
    "tests.yaml": dump(tests, { lineWidth: -1, noRefs: true }),
  });
  // Success means no condition held at any second; anything else must be the listed failures.
  if (result.status !== 0 && !result.output.includes("FAILED:")) throw new Error(`promtool failed: ${result.output}`);
  const spans = new Map<string, { alert: string; labels: Record<string, string>; first: number; last: number }>();
  for (const { alert, second, labels } of parseFailures(result.output)) {
    const subject = SUBJECT_LABELS.flatMap((label) => (labels[label] ? [labels[label]] : [])).join(" ");
    const key = `${alert} ${subject}`;
    const span = spans.get(key);
    if (span === undefined) spans.set(key, { alert, labels, first: second, last: second });
    else spans.set(key, { ...span, first: Math.min(span.first, second), last: Math.max(span.last, second) });
  }
  return [...spans.entries()]
    .map(([key, span]) => {
      const heldMs = (span.last - span.first + 1) * SCRAPE_INTERVAL_MS;
      const ruleFor = forMs.get(span.alert)!;
      return {
        alert: span.alert,
        severity: span.labels["severity"] ?? "",
        subject: key.slice(span.alert.length + 1),
        conditionAtMs: span.first * SCRAPE_INTERVAL_MS,
        heldMs,
        forMs: ruleFor,
        firedAtMs: heldMs >= ruleFor ? span.first * SCRAPE_INTERVAL_MS + ruleFor : null,
        heldToEnd: span.last === steps - 1,
      };
    })
    .sort((a, b) => a.conditionAtMs - b.conditionAtMs || (a.alert < b.alert ? -1 : 1));
}
