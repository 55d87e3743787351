export {
  legacyNatsServerBinary,
  natsCliBinary,
  natsExporterBinary,
  natsServerBinary,
  newestNatsServerBinary,
  promtoolBinary,
  PROJECT_ROOT,
  TOOLS_BIN_DIR,
} from "./binaries";
export { liveChildCount, makeTempDir, orphanSafeCommand, removeTempDir, trackChild } from "./cleanup";
export { connectApp } from "./client";
export {
  ACCOUNTS,
  CREDENTIALS,
  JETSTREAM_LIMITS,
  leafnodeUrl,
  renderServerConfig,
  type ClusterConfig,
  type ServerConfigOptions,
} from "./config";
export {
  getMonitorJson,
  healthz,
  jsz,
  leafz,
  type Healthz,
  type Jsz,
  type LeafConnection,
  type Leafz,
  type MetaCluster,
  type MetaPeer,
} from "./monitor";
export { freePort, freePorts } from "./ports";
export {
  planRegion,
  startRegion,
  waitForMetaCluster,
  type MemberPlan,
  type Region,
  type RegionPlan,
  type RegionSpec,
  type RunningRegion,
} from "./region";
export { relayGroup, startRelay, type CutMode, type Relay, type RelayGroup } from "./relay";
export { startServer, type ServerDirs, type ServerHandle, type StartServerOptions } from "./server";
export {
  startCluster,
  startStandalone,
  type Cluster,
  type ClusterOptions,
  type Standalone,
  type StandaloneOptions,
} from "./topologies";
export {
  DOMAINS,
  jetStreamApiAnswers,
  startTwoDomains,
  waitForLink,
  type TwoDomains,
  type TwoDomainsOptions,
} from "./twoDomains";
export { settlesWithin, sleep, waitFor, type WaitOptions } from "./wait";
