// What a region's monitoring declares, from the stack config: the rule, scrape and dashboard
// inputs. Pure; the component (natsMonitoring.ts) only turns this into Kubernetes objects.
import type { MonitoringConfig, Region, StackConfig } from "../config";
import { BACKUP_NAME } from "../backup/objects";
import { objectNames, selectorLabels } from "../kubernetes/deployment";
import { planRegionStreams } from "../streams/plan";
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
  const streams = planRegionStreams(config).map(({ name, role }) => ({ name, role }));
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
