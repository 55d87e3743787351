// The Kubernetes part of a region's stack: its provider and its NATS servers, from the config.
import * as pulumi from "@pulumi/pulumi";
import type { KubernetesStackConfig, StackConfig } from "../config";
import type { NatsDeployment } from "./deployment";
import { NatsCluster } from "./natsCluster";
import { createKubernetesProvider } from "./provider";

/** The deployment of the stack's region. Pure; activeRegion plays no part. */
export function natsDeployment(
  config: Pick<StackConfig, "region" | "self">,
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
    domain: config.self.domain,
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
  const { listenerStack } = kubernetes.leafnode;
  return new NatsCluster(name, {
    provider,
    deployment: natsDeployment(config, kubernetes),
    appPassword: kubernetes.appPassword,
    leafnodePassword: kubernetes.leafnodePassword,
    ...(kubernetes.systemPassword === undefined ? {} : { systemPassword: kubernetes.systemPassword }),
    ...(listenerStack === undefined
      ? {}
      : { listenerHosts: listenerHostsOf(`${name}-leafnode-listener`, listenerStack) }),
  });
}

/**
 * The listening region's load balancer host, read from its stack's output natsClientEndpoint (a
 * StackReference), so a re-created load balancer reaches the dialing region's leafnode URL on its
 * next `pulumi up` instead of silently breaking replication.
 */
function listenerHostsOf(name: string, stack: string): pulumi.Output<string[]> {
  const reference = new pulumi.StackReference(name, { name: stack });
  return reference.getOutput(LISTENER_OUTPUT).apply((value: unknown) => [listenerEndpointHost(stack, value)]);
}

/** The output of the listening stack that names its load balancer (infra/outputs.ts). */
export const LISTENER_OUTPUT = "natsClientEndpoint";

/** The host in the listening stack's output, or an error naming the key and the fix. Pure. */
export function listenerEndpointHost(stack: string, value: unknown): string {
  if (typeof value === "string" && /^[A-Za-z0-9.-]+$/.test(value)) return value;
  const found =
    value === undefined
      ? `stack "${stack}" has no output ${LISTENER_OUTPUT}`
      : `the output ${LISTENER_OUTPUT} of stack "${stack}" is ${JSON.stringify(value)}, not a host name`;
  throw new Error(
    `nats-dr:leafnode.listenerStack: ${found}; run pulumi up in that stack first (it exports its load balancer's host once Kubernetes reports one), check the stack name ("org/project/stack" for another project or organization), or list the host in nats-dr:leafnode.listenerHosts instead`,
  );
}
