export { checkpointerArgs, planCheckpoints, renderCheckpointerScript } from "./plan";
export type { CheckpointedConsumer, CheckpointPlan } from "./plan";
export { Checkpointer, checkpointerDeployment, CHECKPOINTER_NAME } from "./checkpointer";
export type { CheckpointerArgs } from "./checkpointer";
