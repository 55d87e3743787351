// The Kubernetes provider of a region's stack, made from its config. Every Kubernetes object of
// the stack is created with it explicitly: the ambient default provider would follow whatever
// cluster the operator's shell points at.
import type * as k8s from "@pulumi/kubernetes";
import { kubernetesPackage } from "../packages";
import type * as pulumi from "@pulumi/pulumi";
import type { KubernetesStackConfig } from "../config";

/** The provider's inputs: kubeconfig (path or contents, secret) and context when configured. */
export function kubernetesProviderArgs(
  config: Pick<KubernetesStackConfig, "kubeconfig" | "context">,
): k8s.ProviderArgs {
  return {
    ...(config.kubeconfig === undefined ? {} : { kubeconfig: config.kubeconfig }),
    ...(config.context === undefined ? {} : { context: config.context }),
  };
}

/** Creates the stack's Kubernetes provider (`<name>` names it in the state). */
export function createKubernetesProvider(
  name: string,
  config: Pick<KubernetesStackConfig, "kubeconfig" | "context">,
  opts?: pulumi.CustomResourceOptions,
): k8s.Provider {
  return new (kubernetesPackage().Provider)(name, kubernetesProviderArgs(config), opts);
}
