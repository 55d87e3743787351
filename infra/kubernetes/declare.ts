// The Kubernetes part of a region's stack: its provider and its NATS servers, from the config.
import type { KubernetesStackConfig, StackConfig } from "../config";
import type { NatsDeployment } from "./deployment";
import { NatsCluster } from "./natsCluster";
import { createKubernetesProvider } from "./provider";

/** The deployment of the stack's region. Pure; activeRegion plays no part. */
export function natsDeployment(
  config: Pick<StackConfig, "region" | "regions">,
  kubernetes: KubernetesStackConfig,
): NatsDeployment {
  const {
    kubeconfig: _kubeconfig,
    appPassword: _app,
    leafnodePassword: _leaf,
    systemPassword,
    ...settings
  } = kubernetes;
  return {
    region: config.region,
    domain: config.regions[config.region].domain,
    settings,
    systemUser: systemPassword !== undefined,
  };
}

/**
 * Declares the stack's Kubernetes provider (`<name>-kubernetes`) and NATS servers (`<name>`), or
 * nothing when `nats-dr:kubernetes` is not set (the servers run elsewhere).
 */
export function declareNats(config: StackConfig, name = "nats"): NatsCluster | undefined {
  const kubernetes = config.kubernetes;
  if (kubernetes === undefined) return undefined;
  const provider = createKubernetesProvider(`${name}-kubernetes`, kubernetes);
  return new NatsCluster(name, {
    provider,
    deployment: natsDeployment(config, kubernetes),
    appPassword: kubernetes.appPassword,
    leafnodePassword: kubernetes.leafnodePassword,
    ...(kubernetes.systemPassword === undefined ? {} : { systemPassword: kubernetes.systemPassword }),
  });
}
