// The monitoring objects as the whole program declares them (infra/index.ts under mocks): the
// PodMonitor, PrometheusRule and dashboard with the region's labels and the stack's own provider,
// the ConfigMap variant without the Prometheus Operator, and none when monitoring is off.
import { readFileSync } from "node:fs";
import path from "node:path";
import { load } from "js-yaml";
import { describe, expect, it, vi } from "vitest";
import type { Region } from "../../infra/config";
import type { FullRegistration } from "./awsMocks";
import { runProgram } from "./program";
import { kubernetesRaw } from "./kubernetes-support";
import { parsed, problemsOf } from "./support";

type Run = Map<string, FullRegistration>;
const loadProgram = () => import("../../infra/index.js");
const POD_MONITOR = "kubernetes:monitoring.coreos.com/v1:PodMonitor";
const PROMETHEUS_RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";
const CONFIGMAP = "kubernetes:core/v1:ConfigMap";

async function run(stack: Region, active: Region, overrides: Record<string, string | undefined> = {}): Promise<Run> {
  vi.resetModules();
  return runProgram(stack, active, loadProgram, overrides);
}

function registered(found: Run, type: string, name: string): FullRegistration {
  const registration = found.get(`${type}::${name}`);
  if (!registration) throw new Error(`no ${type} named ${name}`);
  return registration;
}

interface RuleGroups {
  groups: { name: string; rules: { alert?: string; record?: string; labels?: Record<string, string> }[] }[];
}

describe("monitoring objects", () => {
  it("the eu-central-1 stack declares its PodMonitor, PrometheusRule and dashboard with the region's labels", async () => {
    const found = await run("eu-central-1", "us-east-1", {
      "nats-dr:monitoring": JSON.stringify({ labels: { release: "kube-prometheus-stack" } }),
    });
    const kubernetesProvider = registered(found, "pulumi:providers:kubernetes", "nats-kubernetes");
    const podMonitor = registered(found, POD_MONITOR, "monitoring-pod-monitor");
    expect(podMonitor.provider).toContain(kubernetesProvider.name);
    expect(podMonitor.inputs).toMatchObject({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PodMonitor",
      metadata: {
        name: "nats",
        namespace: "nats",
        labels: { release: "kube-prometheus-stack", "nats-dr/region": "eu-central-1" },
      },
      spec: {
        selector: { matchLabels: { "app.kubernetes.io/name": "nats", "app.kubernetes.io/instance": "nats" } },
        podMetricsEndpoints: [
          { port: "metrics", relabelings: [{ targetLabel: "region", replacement: "eu-central-1" }] },
        ],
      },
    });

    const rule = registered(found, PROMETHEUS_RULE, "monitoring-prometheus-rule");
    expect(rule.provider).toContain(kubernetesProvider.name);
    expect(rule.inputs).toMatchObject({
      kind: "PrometheusRule",
      metadata: { name: "nats-dr", namespace: "nats", labels: { release: "kube-prometheus-stack" } },
    });
    const { groups } = rule.inputs["spec"] as RuleGroups;
    expect(groups.map((group) => group.name)).toEqual([
      "nats-dr-eu-central-1-recorded",
      "nats-dr-eu-central-1",
      "nats-dr-cross-region",
    ]);
    const declared = groups[0]!.rules.filter((r) => r.record === "natsdr:stream_declared_role:info");
    expect(declared.map((r) => `${r.labels!["stream_name"]}=${r.labels!["role"]}`)).toEqual([
      "audit=mirror",
      "audit-eu-gdpr=primary",
      "events=mirror",
      "events-eu-gdpr=primary",
      "metrics=mirror",
      "notifications=mirror",
    ]);
    expect(groups[0]!.rules[0]).toEqual({
      record: "natsdr:stack_active_region:info",
      expr: "vector(1)",
      labels: { region: "eu-central-1", active_region: "us-east-1" },
    });
    // The backup CronJob of the stack is watched (hourly by default: stale after 2 h).
    const backup = groups[1]!.rules.find((r) => r.alert === "NatsDrBackupStale") as { expr: string };
    expect(backup.expr).toContain(
      'kube_cronjob_status_last_successful_time{namespace="nats",cronjob="nats-backup"}) > 7200',
    );

    const dashboard = registered(found, CONFIGMAP, "monitoring-dashboard");
    expect(dashboard.provider).toContain(kubernetesProvider.name);
    expect(dashboard.inputs).toMatchObject({
      metadata: { name: "nats-dr-dashboard", namespace: "monitoring", labels: { grafana_dashboard: "1" } },
    });
    const json = JSON.parse((dashboard.inputs["data"] as Record<string, string>)["nats-dr.json"]!) as { uid: string };
    expect(json.uid).toBe("nats-dr");
  });

  it("the exporter beside each server serves the endpoints the rules read", async () => {
    const found = await run("us-east-1", "us-east-1");
    const statefulSet = registered(found, "kubernetes:apps/v1:StatefulSet", "nats-statefulset").inputs as {
      spec: { template: { spec: { containers: { name: string; args?: string[] }[] } } };
    };
    const exporter = statefulSet.spec.template.spec.containers.find((container) => container.name === "exporter")!;
    expect(exporter.args).toEqual([
      "-port=7777",
      "-healthz",
      "-varz",
      "-leafz",
      "-jsz=all",
      "-connz",
      "-routez",
      "-subz",
      "-prefix=nats",
      "-use_internal_server_name",
      "http://localhost:8222",
    ]);
  });

  it("without the Prometheus Operator a ConfigMap holds the rules file and a scrape config", async () => {
    const found = await run("us-east-1", "us-east-1", {
      "nats-dr:monitoring": JSON.stringify({ prometheusOperator: false, dashboardNamespace: "grafana" }),
    });
    expect([...found.keys()].filter((key) => key.includes("monitoring.coreos.com"))).toEqual([]);
    const files = registered(found, CONFIGMAP, "monitoring-prometheus-files").inputs["data"] as Record<string, string>;
    expect(Object.keys(files)).toEqual(["nats-dr-us-east-1.rules.yaml", "nats-dr-us-east-1.scrape.yaml"]);
    const rules = load(files["nats-dr-us-east-1.rules.yaml"]!) as RuleGroups;
    expect(rules.groups[1]!.rules.map((r) => r.alert)).toContain("NatsDrMirrorInactive");
    expect(files["nats-dr-us-east-1.scrape.yaml"]).toContain("job_name: nats-dr-us-east-1");
    expect(registered(found, CONFIGMAP, "monitoring-dashboard").inputs).toMatchObject({
      metadata: { namespace: "grafana" },
    });
  });

  it("enabled: false declares none of them", async () => {
    const found = await run("us-east-1", "us-east-1", { "nats-dr:monitoring": JSON.stringify({ enabled: false }) });
    expect([...found.keys()].filter((key) => key.includes("monitoring-"))).toEqual([]);
  });
});

describe("monitoring config", () => {
  it("bad values are named with their key and how to fix them", () => {
    const problems = problemsOf(
      kubernetesRaw("eu-central-1", {
        monitoring: {
          prometheusOperator: "yes",
          labels: { "bad label!": "x", release: "has spaces" },
          scrapeInterval: "2s",
          runbookUrl: "https://docs.example.com/monitoring.md#top",
          thresholds: { mirrorLagMessages: 0, usedPercent: 120, mirrorLagTim: "1m" },
        },
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        "nats-dr:monitoring.prometheusOperator: must be true or false",
        'nats-dr:monitoring.labels["bad label!"]: is not a Kubernetes label name; use e.g. "release" or "example.com/team"',
        expect.stringMatching(/^nats-dr:monitoring\.labels\.release: must be a Kubernetes label value/),
        '"2s" must be whole seconds, at least 5s'.replace(/^/, "nats-dr:monitoring.scrapeInterval: "),
        expect.stringMatching(
          /^nats-dr:monitoring\.runbookUrl: must be an http\(s\) URL of docs\/monitoring\.md without "#"/,
        ),
        "nats-dr:monitoring.thresholds.mirrorLagMessages: must be at least 1 messages",
        "nats-dr:monitoring.thresholds.usedPercent: must be a percentage from 1 to 99, e.g. 80",
        expect.stringMatching(/^nats-dr:monitoring\.thresholds: unknown field "mirrorLagTim"/),
      ]),
    );
  });

  it("the example of docs/configuration.md is valid and sets what it shows", () => {
    const docs = readFileSync(path.join(__dirname, "..", "..", "docs", "configuration.md"), "utf8");
    const example = [...docs.matchAll(/```yaml\n(nats-dr:monitoring:[\s\S]*?)```/g)].map((match) => match[1]!);
    expect(example).toHaveLength(1);
    const { "nats-dr:monitoring": monitoring } = load(example[0]!) as { "nats-dr:monitoring": unknown };
    const config = parsed(kubernetesRaw("eu-central-1", { monitoring }));
    expect(config.monitoring).toMatchObject({
      enabled: true,
      prometheusOperator: true,
      labels: { release: "kube-prometheus-stack" },
      scrapeInterval: 15,
      thresholds: { mirrorLagMessages: 5000, mirrorLagTime: 60, usedPercent: 80 },
    });
  });

  it("is refused without nats-dr:kubernetes, saying why", () => {
    const { kubernetes: _kubernetes, ...withoutKubernetes } = kubernetesRaw("eu-central-1", { monitoring: {} });
    expect(problemsOf(withoutKubernetes)).toContain(
      "nats-dr:monitoring: is set but nats-dr:kubernetes is not; the stack scrapes and alerts on the servers it runs on Kubernetes, so set nats-dr:kubernetes or remove nats-dr:monitoring",
    );
  });
});
