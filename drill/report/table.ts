// The drill's printed report: one block per scenario and a summary table. Pure text.
import type { AlertObservation } from "../alerts/timeline";
import { describeResourceChanges } from "../pulumi/update";
import type { DrillReport, ElectionFigures, LagSummary, ScenarioResult, StackRunSummary } from "./types";

/** Columns padded to their widest cell; numbers right-aligned, text left-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const numeric = header.map(
    (_, column) =>
      rows.length > 0 && rows.every((row) => /^[-+]?[\d.,/ ]+(ms|s|%)?$|^n\/a$|^-$/.test(row[column] ?? "")),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (numeric[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)];
}

export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined) return "n/a";
  return Math.round(value).toLocaleString("en-US");
}

/** "last 8412 ms after the flip; kill -> leader: audit 8390 ms, meta 5120 ms" (slowest first). */
function describeElections(elections: ElectionFigures): string {
  const groups = Object.entries(elections.elected).sort(([, a], [, b]) => b - a);
  const led =
    groups.length === 0
      ? "the killed server led none of the watched groups"
      : `last ${formatMs(elections.lastAfterFlipMs)} after the flip; kill -> leader: ${groups.map(([group, ms]) => `${group} ${formatMs(ms)}`).join(", ")}`;
  return elections.unelected.length === 0
    ? led
    : `${led}; no leader yet when the failover was done: ${elections.unelected.join(", ")}`;
}

export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined) return "n/a";
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

function lag(summary: LagSummary): string {
  const resync =
    summary.resyncMs === null
      ? ""
      : `; re-created mirror resynced ${formatCount(summary.resyncMaxMsgs)} msgs in ~${formatMs(summary.resyncMs)}`;
  if (summary.samples === 0) return `no samples${resync}`;
  return `max ${formatMs(summary.maxMs)} (${formatCount(summary.maxMsgs)} msgs), p99 ${formatMs(summary.p99Ms)} (${formatCount(summary.p99Msgs)} msgs), p50 ${formatMs(summary.p50Ms)}; ${summary.samples} samples${resync}`;
}

/**
 * One `pulumi up` as the engine summed it up: "activeRegion eu-central-1, pulumi up 9.8 s (engine
 * done at 8.9 s, activeRegion set 281 ms), ok: 2 updated, 5 unchanged; update jetstream-stream-events
 * [diff: ~role] 412 ms".
 */
export function describeRun(run: StackRunSummary): string {
  const timing = [
    ...(run.completedMs === null ? [] : [`engine done at ${formatMs(run.completedMs)}`]),
    ...(run.configMs > 0 ? [`activeRegion set ${formatMs(run.configMs)}`] : []),
  ];
  const head = `activeRegion ${run.activeRegion}, pulumi up ${formatMs(run.ms)}${timing.length === 0 ? "" : ` (${timing.join(", ")})`}`;
  const outcome = run.ok ? "ok" : `FAILED: ${(run.error ?? "no error reported").replace(/\s*\n\s*/g, " | ")}`;
  return [`${head}, ${outcome}: ${describeResourceChanges(run.resourceChanges)}`, ...run.changes].join("; ");
}

/** The detail block of one scenario. */
export function renderScenario(result: ScenarioResult): string[] {
  const f = result.figures;
  const verdict = result.passed ? "PASS" : "FAIL";
  const title = `${result.title} (${formatMs(result.endedAt - result.startedAt)})`;
  const rows: [string, string][] = [
    ["active region", f.from === f.to ? f.from : `${f.from} -> ${f.to}`],
    [
      "RTO (flip -> first write)",
      `${formatMs(f.rtoMs)}${
        f.rtoByStream === undefined
          ? ""
          : ` (${Object.entries(f.rtoByStream)
              .map(([stream, ms]) => `${stream} ${formatMs(ms)}`)
              .join(", ")})`
      }`,
    ],
    ...(f.promotion === undefined
      ? []
      : [
          [
            "promotion",
            Object.entries(f.promotion)
              .map(([stream, mode]) => `${stream} ${mode}`)
              .join(", "),
          ] as [string, string],
        ]),
    ["longest write gap", formatMs(f.longestWriteGapMs)],
    [
      "RPO at failover",
      f.lostAtFailover === null ? "n/a" : `${formatCount(f.lostAtFailover)} acknowledged messages missing`,
    ],
    [
      "RPO at end",
      `${formatCount(f.lost)} acknowledged messages missing${f.lost === f.lostHere ? "" : ` (${formatCount(f.lost - f.lostHere)} since an earlier scenario)`}`,
    ],
    ...(f.demotionOrphans === undefined
      ? []
      : [
          ["orphans at demotion", `${formatCount(f.demotionOrphans)} kept aside by the old region's demotion`] as [
            string,
            string,
          ],
        ]),
    [
      "published / stored / consumed",
      `${formatCount(f.published)} / ${formatCount(f.stored)} / ${formatCount(f.consumed)} (${formatCount(f.publishRetries)} publish retries)`,
    ],
    ["duplicates delivered", formatCount(f.duplicatesDelivered)],
    ["redeliveries of acked msgs", formatCount(f.redeliveredAcked)],
    ["duplicate ids stored", formatCount(f.duplicatesStored)],
    ["not yet delivered", formatCount(f.undelivered)],
    ["mirror lag", lag(f.mirrorLag)],
  ];
  if (f.unreplicatedAtKill !== undefined) rows.push(["unreplicated at the kill", formatCount(f.unreplicatedAtKill)]);
  if (f.orphans !== undefined) {
    const o = f.orphans;
    rows.push([
      "orphans",
      `${formatCount(o.found)} found, ${formatCount(o.republished)} re-published (${formatCount(o.alreadyPresent)} already present), ${formatCount(o.missingFromOrphans)} missing`,
    ]);
  }
  if (f.splitBrain !== undefined) {
    const b = f.splitBrain;
    rows.push([
      "split-brain window",
      `${formatMs(b.windowMs)} from the restart to the active stack's fence (${formatMs(b.afterStreamsAnsweredMs)} after its streams answered): ${formatCount(b.writes)} writes stored by both regions, ${formatCount(b.duplicateDeliveries)} duplicate deliveries; after the fence ${b.storedAfterFence === null ? "n/a" : formatCount(b.storedAfterFence)} stored there, ${formatCount(b.duplicatesAfterFence)} duplicate deliveries`,
    ]);
  }
  if (f.catchUpMs !== undefined) rows.push(["catch-up after heal", formatMs(f.catchUpMs)]);
  if (f.elections !== undefined) rows.push(["old region's elections", describeElections(f.elections)]);
  rows.push(["sequence mismatches", formatCount(f.sequenceMismatches)]);
  for (const run of f.stackRuns) rows.push([`stack ${run.stack}`, describeRun(run)]);
  const width = Math.max(...rows.map(([key]) => key.length));
  const lines = [`== ${title} ${"=".repeat(Math.max(3, 78 - title.length - verdict.length))} ${verdict}`];
  lines.push(...rows.map(([key, value]) => `  ${key.padEnd(width)}  ${value}`));
  lines.push("  checks:");
  for (const item of result.checks)
    lines.push(`    ${item.ok ? "ok  " : "MISS"}  ${item.name}: ${item.actual} (target ${item.target})`);
  if (result.alerts !== undefined) lines.push(...renderAlerts(result.alerts));
  for (const note of result.notes) lines.push(`  note: ${note}`);
  return lines;
}

/** Our alerts whose condition held, per alert: first, longest, and when it fired or would have. */
export function renderAlerts(alerts: readonly AlertObservation[]): string[] {
  if (alerts.length === 0) return ["  alerts: no alert condition held"];
  const names = [...new Set(alerts.map((a) => a.alert))];
  const rows = names.map((name) => {
    const of = alerts.filter((a) => a.alert === name);
    const fired = of.flatMap((a) => (a.firedAtMs === null ? [] : [a.firedAtMs]));
    const first = Math.min(...of.map((a) => a.conditionAtMs));
    return [
      name,
      of[0]!.severity,
      formatMs(of[0]!.forMs),
      `+${formatMs(first)}`,
      formatMs(Math.max(...of.map((a) => a.heldMs))),
      of.some((a) => a.heldToEnd) ? "yes" : "no",
      String(of.length),
      fired.length > 0 ? `+${formatMs(Math.min(...fired))}` : "-",
    ];
  });
  return [
    "  alerts (their conditions as the rules saw the drill's exporters; an alert fires once its condition held for its `for`):",
    ...formatTable(["alert", "severity", "for", "first", "longest", "at end", "subjects", "fired"], rows).map(
      (line) => `    ${line}`,
    ),
  ];
}

/**
 * The first page a lasting failure would bring: of the critical conditions that still held at the
 * scenario's end, the one that fires first (its start plus its `for`), e.g. "NatsDrQuorumLost
 * +62.0 s"; "-" when none lasted.
 */
export function pageAt(alerts: readonly AlertObservation[] | undefined): string {
  const lasting = (alerts ?? [])
    .filter((a) => a.severity === "critical" && a.heldToEnd)
    .sort((a, b) => a.conditionAtMs + a.forMs - (b.conditionAtMs + b.forMs));
  const first = lasting[0];
  return first === undefined ? "-" : `${first.alert} +${formatMs(first.conditionAtMs + first.forMs)}`;
}

/** The summary table over all scenarios. */
export function renderSummary(report: DrillReport): string[] {
  const header = [
    "scenario",
    "verdict",
    "RTO",
    "RPO@failover",
    "RPO end",
    "published",
    "stored",
    "consumed",
    "dup",
    "redeliv",
    "lag max",
    "lag p99",
    "page if lasting",
  ];
  const rows = report.scenarios.map((result) => {
    const f = result.figures;
    return [
      result.id,
      result.passed ? "PASS" : "FAIL",
      formatMs(f.rtoMs),
      formatCount(f.lostAtFailover),
      formatCount(f.lost),
      formatCount(f.published),
      formatCount(f.stored),
      formatCount(f.consumed),
      formatCount(f.duplicatesDelivered),
      formatCount(f.redeliveredAcked),
      formatMs(f.mirrorLag.maxMs),
      formatMs(f.mirrorLag.p99Ms),
      pageAt(result.alerts),
    ];
  });
  const verdict = report.passed ? "PASSED" : "FAILED";
  return [
    ...formatTable(header, rows),
    "",
    `drill ${verdict} in ${formatMs(report.totalMs)}`,
    ...report.failures.map((line) => `  missed: ${line}`),
  ];
}

/** The whole printed report. */
export function renderReport(report: DrillReport): string {
  const blocks = report.scenarios.map((result) => renderScenario(result).join("\n"));
  const notes = report.notes.length === 0 ? [] : ["notes:", ...report.notes.map((note) => `  - ${note}`)];
  return `${[...blocks, "", ...renderSummary(report), ...(notes.length ? ["", ...notes] : [])].join("\n")}\n`;
}
