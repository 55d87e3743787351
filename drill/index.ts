// The local two-region failover drill (npm run drill) and the status command (npm run status).
export { DrillStacks, drillStackName } from "./context";
export type { DrillStackRun, DrillStacksOptions } from "./context";
export { USAGE, parseDrillArgs, resolveScenarios } from "./options";
export type { DrillOptions } from "./options";
export { runDrill } from "./run";
export type { DrillRun } from "./run";
export {
  catalogStreamNames,
  drillConfigMap,
  drillRawConfig,
  drillStackConfig,
  replicatedStreams,
  selectCatalog,
} from "./stacks";
export type { DrillCredentials, DrillStackSettings } from "./stacks";
