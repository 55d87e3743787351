export { buildSeries, longestGap, maxOf, minOf, percentile, summarizeLag } from "./stats";
export { niceMax, renderChart } from "./svg";
export type { ChartSpan } from "./svg";
export { formatCount, formatMs, formatTable, renderReport, renderScenario, renderSummary } from "./table";
export { ScenarioIds, scenarioOrder } from "./types";
export type {
  Check,
  DrillReport,
  LagSummary,
  OrphanFigures,
  ScenarioFigures,
  ScenarioId,
  ScenarioResult,
  SeriesPoint,
  StackRunSummary,
  TimelineEvent,
} from "./types";
export { defaultTargets, failureLines, judge } from "./verdict";
export type { Targets } from "./verdict";
