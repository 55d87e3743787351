export { answer, applyBatch, emptyZone, zoneProblems } from "./model";
export type { Change, Health, ModelRecord, RoutingPolicy, Zone } from "./model";
export {
  ACTIVE_WEIGHT,
  STANDBY_WEIGHT,
  checkVerdict,
  clientRecordSpec,
  healthCheckSpec,
  toModelRecord,
} from "./records";
export type { CheckedRegion, ClientRecordSpec, HealthCheckSpec } from "./records";
export { RegionDns } from "./regionDns";
export type { RegionDnsArgs } from "./regionDns";
export { NlbHealthAlarm, arnSuffix, nlbAlarmSpec, nlbNameOfHostname } from "./nlbAlarm";
export type { NlbHealthAlarmArgs } from "./nlbAlarm";
