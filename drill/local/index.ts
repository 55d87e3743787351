export { PROJECT_ROOT, TOOLS_BIN_DIR, legacyNatsServerBinary, natsCliBinary, natsServerBinary } from "./binaries";
export {
  descendantPids,
  killAllChildren,
  killDescendants,
  liveChildCount,
  makeTempDir,
  removeTempDir,
} from "./cleanup";
export { waitForMetaCluster } from "./meta";
export { freePort, freePorts } from "./ports";
export { startLocalRegions } from "./regions";
export type { LocalRegion, LocalRegions, LocalRegionsOptions } from "./regions";
export { relayGroup, startRelay } from "./relay";
export type { CutMode, Relay, RelayGroup } from "./relay";
export { startServer } from "./server";
export type { ServerDirs, ServerHandle, StartServerOptions } from "./server";
export { settlesWithin, sleep, waitFor } from "./wait";
export type { WaitOptions } from "./wait";
export { startLocalCheckpointer } from "./checkpointer";
export type { LocalCheckpointer } from "./checkpointer";
