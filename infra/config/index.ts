export {
  DEFAULT_BACKUP_IMAGE,
  DEFAULT_NATS_BOX_IMAGE,
  HealthCheckTypes,
  LOAD_BALANCER_SCHEME,
  healthCheckTypeOf,
  SseAlgorithms,
  cronProblem,
  oidcIssuerOfArn,
  oidcIssuerOfUrl,
} from "./aws";
export type { AwsConfig, BackupConfig, DnsConfig, HealthCheckConfig, HealthCheckType, SseAlgorithm } from "./aws";
export { configKeys, secretKeys } from "./keys";
export { defaultImages, defaultLoadBalancerAnnotations } from "./kubernetes";
export { KUBERNETES_APP_USER } from "./serverSecurity";
export type { KubernetesStackConfig } from "./kubernetes";
export { defaultMonitoringConfig } from "./monitoring";
export type { MonitoringConfig } from "./monitoring";
export type { ConfigKey, SecretKey } from "./keys";
export { parseStackConfig } from "./parse";
export type { RawStackConfig } from "./parse";
export { CONFIG_NAMESPACE, configPath } from "./problems";
export { gatherStackConfig, readStackConfig } from "./read";
export { DEFAULT_REGION_PAIR, isRegionOf, peerOf, regionPairSchema } from "./regions";
export type { DefaultRegion, PerRegion, Region, RegionPair } from "./regions";
export { stackConfigSchema } from "./schema";
export { CredentialsMethods } from "./types";
export type { CredentialsMethod, RegionEndpoint, StackConfig } from "./types";
