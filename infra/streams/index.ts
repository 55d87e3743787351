export { planRegionStreams } from "./plan";
export type { PlanInput, PlannedConsumer, PlannedStream } from "./plan";
export { RegionStreams } from "./regionStreams";
export type { RegionStreamsArgs, StreamEvidence } from "./regionStreams";
