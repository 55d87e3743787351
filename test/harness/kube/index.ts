export { KubeApi, KubeApiError, type Json, type KubeApiOptions } from "./api";
export { startKubeCluster, type KubeCluster, type KubeClusterOptions } from "./cluster";
export { PROMETHEUS_OPERATOR_CRDS, installCrds, readCrd } from "./crds";
export { renderKubeconfig, startControlPlane, type ControlPlane } from "./controlPlane";
export {
  FAKE_NODE_ANNOTATION,
  ZONES,
  fakeNodes,
  loadBalancerHostname,
  startKwok,
  startLoadBalancerStandIn,
  storageObjects,
  type StorageOptions,
} from "./fakes";
export { startProcess, type ProcessOptions, type RunningProcess } from "./process";
