export { failback } from "./failback";
export { nodeLoss } from "./nodeLoss";
export { partition } from "./partition";
export { planned, steady } from "./planned";
export { unplanned } from "./unplanned";
export type { Scenario, ScenarioOutcome } from "./types";
