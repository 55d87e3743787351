// What a region's monitoring declares, from the stack config: the rule, scrape and dashboard
// inputs. Pure; the component (natsMonitoring.ts) only turns this into Kubernetes objects.
import type { MonitoringConfig, Region, StackConfig } from "../config";
import { BACKUP_NAME } from "../backup/objects";
import { objectNames, selectorLabels } from "../kubernetes/deployment";
import { planCheckpoints } from "../checkpoints/plan";
import { planRegionStreams } from "../streams/plan";
import { durationToNanos } from "../../streams/units";
import type { RuleInput } from "./rules";
import { longestScheduleGapSeconds } from "./schedule";
import type { ScrapeInput } from "./scrape";

export interface MonitoringSettings {
  readonly region: Region;
  /** PodMonitor + PrometheusRule (true) or a ConfigMap with the rules and a scrape config (false). */
  readonly prometheusOperator: boolean;
  /** Labels of the PodMonitor and PrometheusRule (nats-dr:monitoring.labels). */
  readonly labels: Readonly<Record<string, string>>;
  /** Namespace of the dashboard ConfigMap. */
  readonly dashboardNamespace: string;
  readonly rules: RuleInput;
  readonly scrape: ScrapeInput;
}

/** The monitoring of the stack, or undefined when it runs no servers on Kubernetes or monitoring is off. */
export function monitoringSettings(config: StackConfig): MonitoringSettings | undefined {
  const kubernetes = config.kubernetes;
  const monitoring: MonitoringConfig = config.monitoring;
  if (kubernetes === undefined || !monitoring.enabled) return undefined;
  const planned = planRegionStreams(config);
  const streams = planned.map(({ name, role }) => ({ name, role }));
  const checkpoints = planCheckpoints({
    domain: config.self.domain,
    enabled: config.checkpoints.enabled,
    interval: config.checkpoints.interval,
    streams: planned,
  });
  // The backup CronJob exists where backups are on and the servers run on Kubernetes (infra/regionAws.ts).
  const backup = config.backup.enabled
    ? {
        namespace: kubernetes.namespace,
        cronJob: BACKUP_NAME,
        intervalSeconds: longestScheduleGapSeconds(config.backup.schedule),
      }
    : undefined;
  return {
    region: config.region,
    prometheusOperator: monitoring.prometheusOperator,
    labels: monitoring.labels,
    dashboardNamespace: monitoring.dashboardNamespace ?? kubernetes.monitoringNamespace,
    rules: {
      region: config.region,
      activeRegion: config.activeRegion,
      replicas: kubernetes.replicas,
      streams,
      ...(backup === undefined ? {} : { backup }),
      ...(checkpoints === undefined
        ? {}
        : {
            checkpoints: {
              stream: checkpoints.stream.name,
              windowSeconds: checkpointWindowSeconds(checkpoints.interval, monitoring.scrapeInterval),
            },
          }),
      thresholds: monitoring.thresholds,
      runbookUrl: monitoring.runbookUrl,
    },
    scrape: {
      region: config.region,
      namespace: kubernetes.namespace,
      podLabels: selectorLabels(objectNames()),
      intervalSeconds: monitoring.scrapeInterval,
    },
  };
}

/**
 * How long without a checkpoint counts as stopped: ten intervals, four scrapes, and never under 2
 * minutes (a restarted checkpointer pod is back well within that). Whole seconds. Pure.
 */
export function checkpointWindowSeconds(interval: string, scrapeIntervalSeconds: number): number {
  return Math.max(120, Math.ceil((10 * durationToNanos(interval)) / 1e9), 4 * scrapeIntervalSeconds);
}
