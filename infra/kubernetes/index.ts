export { LISTENER_OUTPUT, declareNats, listenerEndpointHost, natsDeployment } from "./declare";
export {
  EnvVars,
  Paths,
  Ports,
  SecretKeys,
  Users,
  commonLabels,
  kubernetesTopology,
  leafnodeUrls,
  listensForLeafnode,
  objectNames,
  selectorLabels,
  serverLabels,
} from "./deployment";
export type { NatsDeployment, NatsSettings, ObjectNames } from "./deployment";
export { NatsCluster, credentialSecretData } from "./natsCluster";
export type { NatsClusterArgs } from "./natsCluster";
export {
  headlessServiceSpec,
  loadBalancerServiceSpec,
  networkPolicySpec,
  podDisruptionBudgetSpec,
} from "./networkSpecs";
export { createKubernetesProvider, kubernetesProviderArgs } from "./provider";
export {
  ProbePaths,
  SHUTDOWN_MARGIN_SECONDS,
  configChecksum,
  exporterArgs,
  natsEnv,
  NATS_UID,
  natsPodSpec,
  restrictedContainer,
  natsStatefulSetSpec,
  terminationGracePeriodSeconds,
} from "./statefulSetSpec";
