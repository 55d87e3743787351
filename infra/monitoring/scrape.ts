// How Prometheus scrapes the exporter beside each NATS server: a PodMonitor for the Prometheus
// Operator, or the same as a plain scrape config for a Prometheus without it. Both set the label
// `region` the rules select on. Pure.
import { dump } from "js-yaml";
import type { Region } from "../config";

export interface ScrapeInput {
  readonly region: Region;
  /** Namespace of the NATS pods. */
  readonly namespace: string;
  /** Labels that select the NATS pods (selectorLabels). */
  readonly podLabels: Readonly<Record<string, string>>;
  /** Seconds. */
  readonly intervalSeconds: number;
}

/** The container port name of the exporter (statefulSetSpec.ts). */
export const METRICS_PORT_NAME = "metrics";

/** A scrape may take most of the interval, never more than 10 s (the exporter asks each endpoint in turn). */
function scrapeTimeoutSeconds(intervalSeconds: number): number {
  return Math.min(10, Math.max(1, intervalSeconds - 1));
}

/** spec of the PodMonitor (monitoring.coreos.com/v1). */
export function podMonitorSpec(input: ScrapeInput): Record<string, unknown> {
  return {
    selector: { matchLabels: { ...input.podLabels } },
    namespaceSelector: { matchNames: [input.namespace] },
    podMetricsEndpoints: [
      {
        port: METRICS_PORT_NAME,
        path: "/metrics",
        interval: `${input.intervalSeconds}s`,
        scrapeTimeout: `${scrapeTimeoutSeconds(input.intervalSeconds)}s`,
        relabelings: [{ action: "replace", targetLabel: "region", replacement: input.region }],
      },
    ],
  };
}

/** Prometheus' relabel name of a pod label ("app.kubernetes.io/name" -> "..._app_kubernetes_io_name"). */
function podLabelMeta(label: string): string {
  return `__meta_kubernetes_pod_label_${label.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

/** One `scrape_configs` entry that finds the same pods through Kubernetes service discovery. */
export function scrapeConfig(input: ScrapeInput): Record<string, unknown> {
  const labels = Object.entries(input.podLabels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    job_name: `nats-dr-${input.region}`,
    scrape_interval: `${input.intervalSeconds}s`,
    scrape_timeout: `${scrapeTimeoutSeconds(input.intervalSeconds)}s`,
    kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [input.namespace] } }],
    relabel_configs: [
      ...labels.map(([label, value]) => ({ action: "keep", source_labels: [podLabelMeta(label)], regex: value })),
      { action: "keep", source_labels: ["__meta_kubernetes_pod_container_port_name"], regex: METRICS_PORT_NAME },
      { action: "replace", source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
      { action: "replace", source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
      { action: "replace", target_label: "region", replacement: input.region },
    ],
  };
}

/** The scrape config as a file to paste under `scrape_configs:`. */
export function renderScrapeConfigFile(input: ScrapeInput): string {
  return dump({ scrape_configs: [scrapeConfig(input)] }, { lineWidth: -1, noRefs: true });
}
