export { STATUS_USAGE, parseStatusArgs } from "./args";
export type { StatusOptions } from "./args";
export { collectStatus, isHealthy, monitorHealth, regionStatus, serverHealth } from "./collect";
export type { MonitorHealth, RegionStatus, RegionTarget, ServerHealth, StatusCredentials } from "./collect";
export { statusCommandLine } from "./command";
export type { StatusRegion } from "./command";
export { renderStatus } from "./render";
