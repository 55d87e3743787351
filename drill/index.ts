// The local two-region failover drill (npm run drill) and the status command (npm run status).
export { Stack, dependentsFirst, describeDiff, up } from "./engine";
export type { DesiredResource, RunOptions, RunResult, StateEntry, StepOp, StepRecord } from "./engine";
export { USAGE, parseDrillArgs, resolveScenarios } from "./options";
export type { DrillOptions } from "./options";
export { runDrill } from "./run";
export type { DrillRun } from "./run";
export {
  catalogStreamNames,
  desiredResources,
  drillRawConfig,
  drillStackConfig,
  replicatedStreams,
  selectCatalog,
} from "./stacks";
export type { DrillStackSettings } from "./stacks";
