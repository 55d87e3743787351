// The drill from start to report: set up, run the scenarios in order, judge each, write the
// report, the chart and the evidence, and print the status of both regions.
import fs from "node:fs";
import path from "node:path";
import { scenarioAlerts } from "./alerts/scenario";
import { drillStackName, type DrillContext } from "./context";
import type { LagSample } from "./load/lag";
import type { DrillOptions } from "./options";
import { buildSeries } from "./report/stats";
import { renderChart } from "./report/svg";
import { formatMs, renderReport } from "./report/table";
import type { DrillReport, ScenarioId, ScenarioResult, StackRunSummary } from "./report/types";
import { defaultTargets, failureLines, judge } from "./report/verdict";
import { surprises } from "./surprises";
import { failback, nodeLoss, partition, planned, steady, unplanned, type Scenario } from "./scenarios";
import { deliveryEvidence, snapshot } from "./scenarios/common";
import { environment, setUpDrill } from "./setup";
import { collectStatus } from "./status/collect";
import { PHASE_LOG_ENV } from "../streams/phaseLog";
import { statusCommandLine } from "./status/command";
import { renderStatus } from "./status/render";

const SCENARIOS: Record<ScenarioId, Scenario> = {
  steady,
  planned,
  partition,
  "node-loss": nodeLoss,
  unplanned,
  failback,
};

export interface DrillRun {
  readonly report: DrillReport;
  /** The printed report (tables). */
  readonly text: string;
  /** Status of both regions at the end, as `npm run status` prints it. */
  readonly statusText: string;
  /** `npm run status` command line for the drill's regions (with its throwaway password). */
  readonly statusCommand: string;
  /** Every mirror lag sample (also in mirror-lag.json). */
  readonly lagSamples: readonly LagSample[];
  /** Stops the regions and removes their temp dirs (already done unless keepRunning). */
  stop(): Promise<void>;
}

async function runScenarios(ctx: DrillContext, results: ScenarioResult[], failures: string[]): Promise<void> {
  for (const [index, id] of ctx.options.scenarios.entries()) {
    const label = `${String(index + 1).padStart(2, "0")}-${id}`;
    ctx.status.scenario = id;
    ctx.progress.log(`--- scenario ${index + 1}/${ctx.options.scenarios.length}: ${id}`);
    await snapshot(ctx, `${label}-before`);
    const startedAt = ctx.clock();
    try {
      const outcome = await SCENARIOS[id](ctx);
      await snapshot(ctx, `${label}-after`);
      ctx.evidence.write(`evidence/${label}-sequences.json`, outcome.comparisons);
      ctx.evidence.write(`evidence/${label}-deliveries.json`, deliveryEvidence(ctx, startedAt, ctx.clock()));
      const checks = judge(id, outcome.figures, defaultTargets);
      const endedAt = ctx.clock();
      const result: ScenarioResult = {
        id,
        alerts: scenarioAlerts(ctx, startedAt, endedAt),
        title: outcome.title,
        startedAt,
        endedAt,
        figures: outcome.figures,
        checks,
        passed: checks.every((item) => item.ok),
        notes: outcome.notes,
      };
      results.push(result);
      failures.push(...failureLines(outcome.title, checks));
      ctx.progress.log(`${outcome.title}: ${result.passed ? "PASS" : "FAIL"}`);
    } catch (error) {
      // The regions are in an unknown state: later scenarios would measure the wrong thing.
      failures.push(`${id}: could not complete: ${String((error as Error)?.message ?? error)}`);
      ctx.evidence.write(`evidence/${label}-error.json`, {
        at: ctx.clock(),
        error: String((error as Error)?.stack ?? error),
      });
      await snapshot(ctx, `${label}-after-error`).catch(() => undefined);
      ctx.progress.log(`${id}: ERROR ${String((error as Error)?.message ?? error)}`);
      break;
    }
  }
}

function statusCommand(ctx: DrillContext): string {
  return statusCommandLine(Object.values(ctx.local.regions), ctx.local.users.app);
}

/** Copies each server's log into the output dir before the temp dirs go. */
function keepLogs(ctx: DrillContext): void {
  for (const region of Object.values(ctx.local.regions)) {
    for (const server of region.servers) {
      try {
        fs.mkdirSync(path.join(ctx.options.outDir, "logs"), { recursive: true });
        fs.copyFileSync(server.logFile, path.join(ctx.options.outDir, "logs", `${server.name}.log`));
      } catch {
        // A server that never started has no log.
      }
    }
  }
}

export async function runDrill(options: DrillOptions, stderr: NodeJS.WriteStream): Promise<DrillRun> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const clock = () => Math.round(performance.now() - started);
  // The stacks' providers (started by the engine with this environment) time their promotions'
  // phases into the evidence (streams/phaseLog.ts).
  fs.mkdirSync(path.join(options.outDir, "evidence"), { recursive: true });
  process.env[PHASE_LOG_ENV] = path.resolve(options.outDir, "evidence", "provider-phases.jsonl");
  const ctx = await setUpDrill(options, clock, stderr);
  const results: ScenarioResult[] = [];
  const failures: string[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    ctx.alerts.stop();
    keepLogs(ctx);
    await ctx.clients.close();
    await ctx.local.stop();
  };
  try {
    await runScenarios(ctx, results, failures);
    await ctx.publisher.pause();
    ctx.sampler.stop();
    await Promise.all(ctx.consumers.map((worker) => worker.stop()));
    ctx.progress.stop();

    const totalMs = clock();
    // Buckets of two or more lag samples, so one skipped sample does not break the line.
    const series = buildSeries(ctx.publisher.ackBuckets, ctx.sampler.samples, totalMs, totalMs > 120_000 ? 1000 : 500);
    const version = (await ctx.clients.get("observe", ctx.stacks.activeRegion).catch(() => undefined))?.info?.version;
    const notes = [
      `stacks ${options.pair.map(drillStackName).join(" and ")} run by \`pulumi up${options.refresh ? " --refresh" : ""}\` (Pulumi CLI ${ctx.stacks.pulumiVersion}, file backend in ${path.join(options.outDir, "pulumi")}); nats-dr:failover ${JSON.stringify(ctx.stacks.config(options.pair[0]).failover)}, nats-dr:connection ${JSON.stringify(ctx.stacks.config(options.pair[0]).connection)}`,
      `the regions' servers, exporters and checkpointer ran at niceness ${options.serverNice} (--server-nice): in production the operator's pulumi up does not share the NATS nodes' CPU; a flip sets activeRegion in the stack's settings file (the edit a reviewed change makes), then runs pulumi up`,
      `publishers: ${options.rate}/s of ${options.size} B over ${ctx.streams.join(", ")}, message ids, retries with backoff 20-250 ms; ${ctx.publisher.gaveUp} messages given up when the load stopped`,
      ...surprises(ctx.stacks.runs).map((line) => `not explained by the flip: ${line}`),
    ];
    notes.push(engineTime(ctx.stacks.runs, totalMs));
    const report: DrillReport = {
      startedAt,
      totalMs,
      passed: failures.length === 0 && results.length === options.scenarios.length,
      failures,
      settings: { ...options, targets: defaultTargets },
      environment: environment(version, ctx.stacks.pulumiVersion),
      scenarios: results,
      series,
      events: ctx.events,
      notes,
    };
    const text = renderReport(report);
    const statusText = renderStatus(
      await collectStatus(
        Object.values(ctx.local.regions).map((region) => ({
          region: region.region,
          domain: region.domain,
          servers: region.clientUrls,
          monitors: region.monitorUrls,
        })),
        ctx.local.users.app,
      ),
    );
    ctx.evidence.write(
      "stack-runs.json",
      ctx.stacks.runs.map(({ stdout: _stdout, ...run }) => run),
    );
    ctx.stacks.runs.forEach((run, index) =>
      ctx.evidence.writeText(`stack-runs/${String(index + 1).padStart(2, "0")}-${run.stack}.txt`, run.stdout),
    );
    ctx.evidence.write("publish-failures.json", Object.fromEntries(ctx.publisher.failures));
    ctx.evidence.write("mirror-lag.json", ctx.sampler.samples);
    ctx.evidence.write(
      "alerts.json",
      results.map((result) => ({ scenario: result.id, alerts: result.alerts ?? [] })),
    );
    ctx.evidence.write("client-moves.json", ctx.router.moves);
    ctx.evidence.writeText(
      "chart.svg",
      renderChart(
        series,
        ctx.events,
        results.map((result) => ({ from: result.startedAt, to: result.endedAt, label: result.id })),
        totalMs,
        `nats-dr drill ${startedAt}: ${report.passed ? "passed" : "FAILED"}`,
      ),
    );
    ctx.evidence.writeText("report.txt", `${text}\nstatus at the end:\n${statusText}`);
    ctx.evidence.write("report.json", report);
    const command = statusCommand(ctx);
    if (!options.keepRunning) await stop();
    return { report, text, statusText, statusCommand: command, lagSamples: ctx.sampler.samples, stop };
  } catch (error) {
    ctx.progress.stop();
    await stop();
    throw error;
  }
}

/** How much of the drill the engine took. Pure. */
export function engineTime(runs: readonly StackRunSummary[], totalMs: number): string {
  const ms = runs.reduce((sum, run) => sum + run.configMs + run.ms, 0);
  const failed = runs.filter((run) => !run.ok).length;
  return `${runs.length} pulumi up runs (${failed} failed) took ${formatMs(ms)} of the drill's ${formatMs(totalMs)}`;
}
