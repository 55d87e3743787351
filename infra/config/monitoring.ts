// Config of the region's monitoring: `nats-dr:monitoring`. The stack scrapes, alerts on and charts
// the servers it runs on Kubernetes (infra/monitoring); every default is documented here and in
// docs/configuration.md and docs/monitoring.md.
import { z } from "zod";
import { isPlainObject } from "../catalog/merge";
import { strictObject } from "./fields";
import { dnsLabel, seconds, text } from "./kubernetesValues";
import type { Issue } from "./problems";

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

function labelsSchema() {
  return z
    .record(
      z.string(),
      text('a label value such as "kube-prometheus-stack"').regex(
        LABEL_VALUE,
        "must be a Kubernetes label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
      ),
      {
        error: (issue) =>
          issue.code === "invalid_type"
            ? 'must map label names to strings, e.g. { release: "kube-prometheus-stack" }'
            : undefined,
      },
    )
    .superRefine((labels, context) => {
      // Checked here rather than as the record's key schema, whose failure zod reports without our message.
      for (const key of Object.keys(labels).filter((name) => !LABEL_KEY.test(name)))
        context.addIssue({
          code: "custom",
          path: [key],
          message: 'is not a Kubernetes label name; use e.g. "release" or "example.com/team"',
        });
    })
    .default({});
}

function count(what: string, example: number) {
  return z
    .number({ error: () => `must be a whole number of ${what}, e.g. ${example}` })
    .int(`must be a whole number of ${what}, e.g. ${example}`)
    .min(1, `must be at least 1 ${what}`);
}

function thresholdsSchema() {
  return strictObject({
    /** Messages a mirror may be behind its primary. @default 1000 */
    mirrorLagMessages: count("messages", 1000).default(1000),
    /** Estimated time a mirror may be behind (its lag over its arrival rate). @default "1m" */
    mirrorLagTime: seconds(1).default(60),
    /** Time without contact from the primary before a mirror counts as inactive. @default "30s" */
    mirrorInactive: seconds(1).default(30),
    /** Unprocessed messages of a consumer on a primary. @default 10000 */
    consumerPendingMessages: count("messages", 10000).default(10000),
    /** Messages being redelivered that a consumer may add within 5 minutes. @default 100 */
    redeliveries: count("messages", 100).default(100),
    /** Share of a stream's maxBytes/maxMsgs or of a server's file store that warns. @default 80 */
    usedPercent: z
      .number({ error: () => "must be a percentage from 1 to 99, e.g. 80" })
      .min(1, "must be a percentage from 1 to 99, e.g. 80")
      .max(99, "must be a percentage from 1 to 99, e.g. 80")
      .default(80),
    /** How long a stream may be primary in both regions (a fenced, half-done failover) before it alerts. @default "5m" */
    twoPrimaries: seconds(60).default(300),
  }).prefault({});
}

export function monitoringSchema() {
  return strictObject({
    /** Declare the scrape object, the alert rules and the dashboard. @default true */
    enabled: z.boolean({ error: () => "must be true or false" }).default(true),
    /**
     * The cluster runs the Prometheus Operator: declare a PodMonitor and a PrometheusRule. False:
     * a ConfigMap with the rules file and a scrape config to add to Prometheus. @default true
     */
    prometheusOperator: z.boolean({ error: () => "must be true or false" }).default(true),
    /** Labels of the PodMonitor and PrometheusRule, for the operator's selectors. @default {} */
    labels: labelsSchema(),
    /** How often Prometheus scrapes the exporter. @default "15s" */
    scrapeInterval: seconds(5).default(15),
    /** Namespace of the dashboard ConfigMap (Grafana's sidecar). @default nats-dr:kubernetes.monitoringNamespace */
    dashboardNamespace: dnsLabel("the namespace Grafana's dashboard sidecar watches").optional(),
    /** Where docs/monitoring.md is published; each alert links to its section. @default "docs/monitoring.md" */
    runbookUrl: text('a URL such as "https://git.example.com/nats-dr/blob/main/docs/monitoring.md"')
      .refine(
        (url) => /^https?:\/\/[^\s#]+$/.test(url) || /^[^\s#:]+\.md$/.test(url),
        'must be an http(s) URL of docs/monitoring.md without "#" (each alert adds its own anchor), or the relative path "docs/monitoring.md"',
      )
      .default("docs/monitoring.md"),
    /** When the alerts fire. */
    thresholds: thresholdsSchema(),
  });
}

export type MonitoringConfig = z.output<ReturnType<typeof monitoringSchema>>;

/** The monitoring config of a stack that does not set `nats-dr:monitoring`: every default. */
export function defaultMonitoringConfig(): MonitoringConfig {
  return monitoringSchema().parse({});
}

/** `nats-dr:monitoring` configures objects in the servers' Kubernetes cluster: it needs `nats-dr:kubernetes`. */
export function monitoringIssues(value: unknown): Issue[] {
  if (!isPlainObject(value) || value["monitoring"] === undefined || value["kubernetes"] !== undefined) return [];
  return [
    {
      path: ["monitoring"],
      message:
        "is set but nats-dr:kubernetes is not; the stack scrapes and alerts on the servers it runs on Kubernetes, so set nats-dr:kubernetes or remove nats-dr:monitoring",
    },
  ];
}
