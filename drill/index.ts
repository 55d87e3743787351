// The local two-region failover drill (npm run drill), and the operator commands it shares code with:
// status (npm run status, drill/status/) and orphans (npm run orphans, drill/orphans/).
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
