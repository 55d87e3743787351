// The alert timeline of one scenario: the rules both stacks declare (the drill's servers per
// region, the product's thresholds) over the series the exporters reported from its start to its
// end. What the stacks' recording rules would publish (each stack's activeRegion and declared
// roles) changes when a stack runs, so it enters as series that follow the drill's stack runs.
import { defaultMonitoringConfig } from "../../infra/config/monitoring";
import { type Region, inRegion } from "../../infra/config/regions";
import { RecordedSeries } from "../../infra/monitoring/metrics";
import { renderRuleGroups, type RuleGroup } from "../../infra/monitoring/rules";
import { planRegionStreams } from "../../infra/streams/plan";
import { drillStackName, type DrillContext } from "../context";
import { SCRAPE_INTERVAL_MS, type MetricsSnapshot } from "./sampler";
import { alertTimeline, type AlertObservation } from "./timeline";

type Ctx = Pick<DrillContext, "stacks" | "local">;

/** Both regions' alert and recording rules without the stack-published series; the cross-region group once. */
export function drillRuleGroups(ctx: Ctx): RuleGroup[] {
  const monitoring = defaultMonitoringConfig();
  const published: readonly string[] = [RecordedSeries.stackActiveRegion, RecordedSeries.declaredRole];
  const groups = ctx.local.pair.flatMap((region) =>
    renderRuleGroups({
      region,
      activeRegion: ctx.stacks.activeRegion,
      replicas: inRegion(ctx.local.regions, region).servers.length,
      streams: planRegionStreams(ctx.stacks.config(region)).map(({ name, role }) => ({ name, role })),
      thresholds: monitoring.thresholds,
      runbookUrl: monitoring.runbookUrl,
    }),
  );
  return groups
    .filter((group, index) => groups.findIndex((other) => other.name === group.name) === index)
    .map((group) => ({
      name: group.name,
      rules: group.rules.filter((rule) => !("record" in rule && published.includes(rule.record))),
    }));
}

/** The activeRegion a region's stack last ran with at `at` (ms since the drill started). */
function activeRegionAt(ctx: Ctx, region: Region, at: number): Region | undefined {
  const runs = ctx.stacks.runs.filter((run) => run.stack === drillStackName(region) && run.at <= at);
  return runs.at(-1)?.activeRegion;
}

/** The stacks' published series at every scrape of the window, as their PrometheusRules hold them. */
export function stackSeries(ctx: Ctx, from: number, to: number): MetricsSnapshot[] {
  const snapshots: MetricsSnapshot[] = [];
  for (let at = from; at <= to; at += SCRAPE_INTERVAL_MS) {
    const samples = ctx.local.pair.flatMap((region) => {
      const active = activeRegionAt(ctx, region, at);
      if (active === undefined) return [];
      return [
        { name: RecordedSeries.stackActiveRegion, labels: { region, active_region: active }, value: "1" },
        ...planRegionStreams(ctx.stacks.config(region, active)).map((planned) => ({
          name: RecordedSeries.declaredRole,
          labels: { region, stream_name: planned.name, role: planned.role },
          value: "1",
        })),
      ];
    });
    snapshots.push({ at, samples });
  }
  return snapshots;
}

export function scenarioAlerts(ctx: DrillContext, startedAt: number, endedAt: number): AlertObservation[] {
  const snapshots = [...ctx.alerts.snapshots, ...stackSeries(ctx, startedAt, endedAt)];
  return alertTimeline(snapshots, startedAt, endedAt, drillRuleGroups(ctx));
}
