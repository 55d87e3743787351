// The dashboard, the scrape objects and the schedule arithmetic: pure renderers, checked with the
// real promtool where Prometheus reads their text.
import { dump } from "js-yaml";
import { describe, expect, it } from "vitest";
import {
  GRAFANA_DASHBOARD_LABEL,
  dashboardQueries,
  dashboardRows,
  knownSeries,
  longestScheduleGapSeconds,
  podMonitorSpec,
  renderDashboard,
  renderDashboardJson,
  renderScrapeConfigFile,
} from "../../infra/monitoring";
import { runPromtool } from "./promtool";
import { usedSeries } from "./queries";

const scrape = {
  region: "us-east-1" as const,
  namespace: "nats",
  podLabels: { "app.kubernetes.io/name": "nats", "app.kubernetes.io/instance": "nats" },
  intervalSeconds: 15,
};

describe("dashboard", () => {
  it("every panel query uses only series of the rules' list", () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(20);
    for (const query of queries)
      for (const name of usedSeries(query.expr)) expect(knownSeries, `${name} in ${query.expr}`).toContain(name);
  });

  it("every panel query is valid PromQL (promtool check rules, Grafana variables filled in)", () => {
    const rules = dashboardQueries().map((query, index) => ({
      record: `dashboard:query_${index}`,
      expr: query.expr.replaceAll("$region", ".*").replaceAll("$__rate_interval", "5m"),
    }));
    const result = runPromtool(["check", "rules", "dashboard.yaml"], {
      "dashboard.yaml": dump({ groups: [{ name: "dashboard", rules }] }),
    });
    expect(result.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(result.status).toBe(0);
  });

  it("has the rows an SRE looks for, each panel filtered by the region variable", () => {
    expect(dashboardRows().map((row) => row.title)).toEqual([
      "Cluster health",
      "Replication",
      "Traffic",
      "Consumers",
      "Storage",
      "Resources",
      "Failover state",
    ]);
    const exprs = dashboardQueries().map((query) => query.expr);
    // Panels comparing the regions read every region on purpose.
    const global = exprs.filter((expr) => !expr.includes('region=~"$region"'));
    expect(global).toEqual([
      "natsdr:stack_active_region:info",
      'count by (stream_name) (natsdr:stream_observed_role:info{role="primary"}) > 1',
    ]);
  });

  it("JSON is deterministic, with sorted keys, unique panel ids and no overlapping panels", () => {
    const text = renderDashboardJson();
    expect(renderDashboardJson()).toBe(text);
    const parsed = JSON.parse(text) as {
      uid: string;
      panels: { id: number; gridPos: { x: number; y: number; w: number } }[];
    };
    expect(parsed.uid).toBe("nats-dr");
    expect(Object.keys(parsed)).toEqual([...Object.keys(parsed)].sort());
    const ids = parsed.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = parsed.panels.map((panel) => `${panel.gridPos.y}:${panel.gridPos.x}`);
    expect(new Set(cells).size).toBe(cells.length);
    expect(parsed.panels.every((panel) => panel.gridPos.x + panel.gridPos.w <= 24)).toBe(true);
    expect((renderDashboard()["templating"] as { list: { name: string }[] }).list.map((v) => v.name)).toEqual([
      "datasource",
      "region",
    ]);
    expect(GRAFANA_DASHBOARD_LABEL).toEqual({ grafana_dashboard: "1" });
  });
});

describe("scrape", () => {
  it("the PodMonitor selects the NATS pods' metrics port and labels every series with the region", () => {
    expect(podMonitorSpec(scrape)).toEqual({
      selector: { matchLabels: scrape.podLabels },
      namespaceSelector: { matchNames: ["nats"] },
      podMetricsEndpoints: [
        {
          port: "metrics",
          path: "/metrics",
          interval: "15s",
          scrapeTimeout: "10s",
          relabelings: [{ action: "replace", targetLabel: "region", replacement: "us-east-1" }],
        },
      ],
    });
  });

  it("the plain scrape config is valid Prometheus config (promtool check config)", () => {
    const text = renderScrapeConfigFile(scrape);
    expect(text).toContain("job_name: nats-dr-us-east-1");
    expect(text).toContain("__meta_kubernetes_pod_label_app_kubernetes_io_name");
    expect(text).toContain("replacement: us-east-1");
    const result = runPromtool(["check", "config", "prometheus.yaml"], { "prometheus.yaml": text });
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });
});

describe("backup schedule", () => {
  it.each([
    ["0 * * * *", 3600],
    ["*/15 * * * *", 900],
    ["@hourly", 3600],
    ["@daily", 86400],
    ["30 2 * * 1-5", 3 * 86400],
    ["0 0,12 * * *", 12 * 3600],
    ["0 6 1 * *", 31 * 86400],
  ])("the longest gap of %s is %i s", (schedule, seconds) => {
    expect(longestScheduleGapSeconds(schedule)).toBe(seconds);
  });
});
