export { REGION_OPTIONS, STATUS_USAGE, parseRegionConnection, parseStatusArgs } from "./args";
export type { RegionConnectionOptions, RegionOptionValues, StatusOptions } from "./args";
export {
  collectStatus,
  connectTarget,
  isHealthy,
  resolveCredentials,
  monitorHealth,
  regionStatus,
  serverHealth,
} from "./collect";
export type { MonitorHealth, RegionStatus, RegionTarget, ServerHealth, StatusCredentials } from "./collect";
export { statusCommandLine } from "./command";
export type { StatusRegion } from "./command";
export { renderStatus } from "./render";
