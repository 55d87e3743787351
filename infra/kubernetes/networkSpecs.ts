// Services, PodDisruptionBudget and NetworkPolicy of a region's NATS servers. Pure.
import type * as k8s from "@pulumi/kubernetes";
import { Ports, listensForLeafnode, selectorLabels } from "./deployment";
import type { NatsDeployment, ObjectNames } from "./deployment";

type ServiceSpec = k8s.types.input.core.v1.ServiceSpec;
type ServicePort = k8s.types.input.core.v1.ServicePort;
type PodDisruptionBudgetSpec = k8s.types.input.policy.v1.PodDisruptionBudgetSpec;
type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;

function port(name: string, number: number): ServicePort {
  return { name, port: number, targetPort: name, protocol: "TCP", appProtocol: "tcp" };
}

function leafnodePorts(deployment: NatsDeployment): ServicePort[] {
  return listensForLeafnode(deployment) ? [port("leafnode", deployment.settings.leafnode.port)] : [];
}

/**
 * The headless Service that gives each pod its DNS name for the routes. Not-ready pods are
 * published too: a starting server must find its peers to become healthy at all.
 */
export function headlessServiceSpec(deployment: NatsDeployment, names: ObjectNames): ServiceSpec {
  return {
    clusterIP: "None",
    publishNotReadyAddresses: true,
    selector: selectorLabels(names),
    ports: [
      port("client", Ports.client),
      ...(deployment.settings.replicas > 1 ? [port("cluster", Ports.cluster)] : []),
      ...leafnodePorts(deployment),
      port("monitor", Ports.monitor),
    ],
  };
}

/** The LoadBalancer for clients and, in the listening region, the other region's leafnode. */
export function loadBalancerServiceSpec(deployment: NatsDeployment, names: ObjectNames): ServiceSpec {
  return {
    type: "LoadBalancer",
    selector: selectorLabels(names),
    ports: [port("client", Ports.client), ...leafnodePorts(deployment)],
  };
}

/** One server may be down at a time (voluntarily): a 3-node JetStream keeps its quorum. */
export function podDisruptionBudgetSpec(names: ObjectNames): PodDisruptionBudgetSpec {
  return { maxUnavailable: 1, selector: { matchLabels: selectorLabels(names) } };
}

const namespacePeer = (namespace: string): NetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
});
const cidrPeer = (cidr: string): NetworkPolicyPeer => ({ ipBlock: { cidr } });
const tcp = (number: number) => ({ port: number, protocol: "TCP" });

/**
 * Ingress to the NATS pods, port by port. Only ingress is restricted: the dialing region must
 * reach the other region's load balancer, and DNS must work. Kubelet probes are not subject to
 * NetworkPolicy, so the monitor port needs no rule for them.
 */
export function networkPolicySpec(deployment: NatsDeployment, names: ObjectNames): NetworkPolicySpec {
  const { settings } = deployment;
  const ownPods: NetworkPolicyPeer = { podSelector: { matchLabels: selectorLabels(names) } };
  // The servers' own namespace always reaches the client port: the backup job runs there.
  const clientNamespaces = [...new Set([settings.namespace, ...settings.allowedClientNamespaces])].sort();
  const ingress: k8s.types.input.networking.v1.NetworkPolicyIngressRule[] = [
    {
      ports: [tcp(Ports.client)],
      from: [...clientNamespaces.map(namespacePeer), ...settings.allowedClientCidrs.map(cidrPeer)],
    },
  ];
  if (settings.replicas > 1) ingress.push({ ports: [tcp(Ports.cluster)], from: [ownPods] });
  // An empty `from` would admit every source, so without peer ranges the port gets no rule at all.
  if (listensForLeafnode(deployment) && settings.peerCidrs.length > 0) {
    ingress.push({ ports: [tcp(settings.leafnode.port)], from: settings.peerCidrs.map(cidrPeer) });
  }
  ingress.push({
    ports: [tcp(Ports.monitor), tcp(Ports.metrics)],
    from: [namespacePeer(settings.monitoringNamespace)],
  });
  return { podSelector: { matchLabels: selectorLabels(names) }, policyTypes: ["Ingress"], ingress };
}
