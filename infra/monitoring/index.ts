export { DASHBOARD_UID, dashboardQueries, dashboardRows, renderDashboard, renderDashboardJson } from "./dashboard";
export type { PanelQuery } from "./dashboard";
export {
  EXPORTER_PREFIX,
  ExporterMetrics,
  KEPT_STREAM_PATTERN,
  KubeStateMetrics,
  RecordedSeries,
  knownSeries,
} from "./metrics";
export { GRAFANA_DASHBOARD_LABEL, MonitoringNames, NatsMonitoring } from "./natsMonitoring";
export type { NatsMonitoringArgs } from "./natsMonitoring";
export { monitoringSettings } from "./plan";
export type { MonitoringSettings } from "./plan";
export { Severities, alertNames, promDuration, renderRuleGroups, renderRulesFile, runbookLink } from "./rules";
export type { AlertingRule, RecordingRule, Rule, RuleGroup, RuleInput } from "./rules";
export { longestScheduleGapSeconds } from "./schedule";
export { METRICS_PORT_NAME, podMonitorSpec, renderScrapeConfigFile, scrapeConfig } from "./scrape";
export type { ScrapeInput } from "./scrape";
