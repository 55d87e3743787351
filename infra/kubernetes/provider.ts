// The Kubernetes provider of a region's stack, made from its config. Every Kubernetes object of
// the stack is created with it explicitly: the ambient default provider would follow whatever
// cluster the operator's shell points at.
import type * as k8s from "@pulumi/kubernetes";
import { kubernetesPackage } from "../packages";
import type * as pulumi from "@pulumi/pulumi";
import type { KubernetesStackConfig } from "../config";

/**
 * The provider's inputs: kubeconfig (path or contents, secret) and context when configured, and
 * ConfigMaps and Secrets updated in place. Without that, provider v4 replaces the nats-config
 * ConfigMap and the credentials Secret on any change of their data, and since their names are
 * fixed it deletes each before creating it again: a server that starts in between cannot mount
 * its config or read its passwords, and an interrupted run leaves the region without them. The
 * product needs no new object per version: the pods roll because their template carries the
 * config's and the credentials' checksums. Set here, not left to the provider's environment
 * variables (PULUMI_K8S_ENABLE_CONFIGMAP_MUTABLE ...), so every operator's preview is the same.
 */
/** The provider's annotation that makes its server-side apply take over fields another manager set. */
export const PATCH_FORCE_ANNOTATION = "pulumi.com/patchForce";

/**
 * The annotations of every object nats-dr declares on Kubernetes, `extra` included. The objects are
 * nats-dr's: a field someone changed with kubectl is drift that the next `pulumi up` puts back, so
 * server-side apply takes such fields over instead of failing with a field-manager conflict (which
 * ConfigMaps and Secrets, updated in place, would otherwise meet too).
 */
export function ownedAnnotations<T = string>(extra: Record<string, T> = {}): Record<string, T | string> {
  return { ...extra, [PATCH_FORCE_ANNOTATION]: "true" };
}

export function kubernetesProviderArgs(
  config: Pick<KubernetesStackConfig, "kubeconfig" | "context">,
): k8s.ProviderArgs {
  return {
    ...(config.kubeconfig === undefined ? {} : { kubeconfig: config.kubeconfig }),
    ...(config.context === undefined ? {} : { context: config.context }),
    enableConfigMapMutable: true,
    enableSecretMutable: true,
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
