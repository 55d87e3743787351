export { JetStreamConsumer, JetStreamStream } from "./resources";
export type { JetStreamConsumerArgs, JetStreamStreamArgs } from "./resources";
export { nameProblem, subjectProblem, subjectsOverlap } from "./names";
export {
  AckPolicies,
  Compressions,
  DeliverModes,
  DeliverPolicies,
  DiscardPolicies,
  RetentionPolicies,
  StorageTypes,
  StreamRoles,
} from "./spec";
export { connectionSchema, consumerSpecSchema, credentialsSchema, failoverSchema, streamSpecSchema } from "./schemas";
export type {
  ConnectionSpec,
  ConsumerSpec,
  CredentialsSpec,
  DemotionRecord,
  FailoverSpec,
  MirrorRepairRecord,
  PromotionRecord,
  StreamRole,
  StreamSpec,
} from "./spec";
export type { HistoryCheck, HistoryVerdict } from "./history";
export type { PeerFenceRecord } from "./returnedPeer";
export { canonicalDuration, canonicalSize, formatDuration, formatSize, parseDuration, parseSize } from "./units";
export {
  CHECKPOINT_STREAM,
  checkpointRequestSubject,
  checkpointStreamSubjects,
  checkpointSubject,
} from "./checkpoints";
export { ACK_STREAM, ackCaptureIdleSubject, ackCaptureSubject } from "./capturedAcks";
