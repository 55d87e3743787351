// The monitoring objects of one region, created with the stack's Kubernetes provider: a PodMonitor
// and a PrometheusRule for the Prometheus Operator (or, without it, a ConfigMap holding the rules
// file and a scrape config), and the Grafana dashboard ConfigMap. Their content comes from the pure
// renderers in rules.ts, scrape.ts and dashboard.ts.
import type * as k8s from "@pulumi/kubernetes";
import { kubernetesPackage } from "../packages";
import * as pulumi from "@pulumi/pulumi";
import { renderDashboardJson } from "./dashboard";
import type { MonitoringSettings } from "./plan";
import { renderRuleGroups, renderRulesFile } from "./rules";
import { podMonitorSpec, renderScrapeConfigFile } from "./scrape";
import { ownedAnnotations } from "../kubernetes/provider";

export interface NatsMonitoringArgs {
  /** The Kubernetes provider of the region's cluster; every object is created with it. */
  readonly provider: k8s.Provider;
  /** Namespace of the NATS servers; the PodMonitor, PrometheusRule and rules ConfigMap go there. */
  readonly namespace: pulumi.Input<string>;
  /** What to declare (monitoringSettings). A plain value: it decides which objects exist. */
  readonly settings: MonitoringSettings;
}

/** Object names and labels; fixed so that nothing is renamed between runs. */
export const MonitoringNames = {
  podMonitor: "nats",
  prometheusRule: "nats-dr",
  rulesConfigMap: "nats-dr-prometheus",
  dashboardConfigMap: "nats-dr-dashboard",
  dashboardFile: "nats-dr.json",
  rulesFile: (region: string) => `nats-dr-${region}.rules.yaml`,
  scrapeFile: (region: string) => `nats-dr-${region}.scrape.yaml`,
} as const;

/** The sidecar of Grafana's Helm chart loads ConfigMaps with this label as dashboards. */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;

export class NatsMonitoring extends pulumi.ComponentResource {
  constructor(name: string, args: NatsMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("natsdr:monitoring:NatsMonitoring", name, {}, opts);
    const { apiextensions, core } = kubernetesPackage();
    const { settings, provider } = args;
    const child = pulumi.mergeOptions({ parent: this }, { provider });
    const labels = {
      "app.kubernetes.io/part-of": "nats-dr",
      "app.kubernetes.io/managed-by": "pulumi",
      "nats-dr/region": settings.region,
    };
    const groups = renderRuleGroups(settings.rules);

    if (settings.prometheusOperator) {
      const metadata = (objectName: string) => ({
        name: objectName,
        namespace: args.namespace,
        labels: { ...labels, ...settings.labels },
        annotations: ownedAnnotations(),
      });
      new apiextensions.CustomResource(
        `${name}-pod-monitor`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PodMonitor",
          metadata: metadata(MonitoringNames.podMonitor),
          spec: podMonitorSpec(settings.scrape),
        },
        child,
      );
      new apiextensions.CustomResource(
        `${name}-prometheus-rule`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PrometheusRule",
          metadata: metadata(MonitoringNames.prometheusRule),
          spec: { groups },
        },
        child,
      );
    } else {
      new core.v1.ConfigMap(
        `${name}-prometheus-files`,
        {
          metadata: {
            name: MonitoringNames.rulesConfigMap,
            namespace: args.namespace,
            labels,
            annotations: ownedAnnotations(),
          },
          data: {
            [MonitoringNames.rulesFile(settings.region)]: renderRulesFile(groups),
            [MonitoringNames.scrapeFile(settings.region)]: renderScrapeConfigFile(settings.scrape),
          },
        },
        child,
      );
    }
    new core.v1.ConfigMap(
      `${name}-dashboard`,
      {
        metadata: {
          name: MonitoringNames.dashboardConfigMap,
          namespace: settings.dashboardNamespace,
          labels: { ...labels, ...GRAFANA_DASHBOARD_LABEL },
          annotations: ownedAnnotations(),
        },
        data: { [MonitoringNames.dashboardFile]: renderDashboardJson() },
      },
      child,
    );
    this.registerOutputs({});
  }
}
