// The NATS servers of one region on Kubernetes: namespace, rendered config, credentials,
// StatefulSet, Services, PodDisruptionBudget and NetworkPolicy, all created with the provider the
// stack passes in. The object specs come from pure functions (statefulSetSpec.ts, networkSpecs.ts).
import type * as k8s from "@pulumi/kubernetes";
import { kubernetesPackage } from "../packages";
import * as pulumi from "@pulumi/pulumi";
import { confString, renderNatsConf } from "../nats";
import {
  SecretKeys,
  commonLabels,
  kubernetesTopology,
  leafnodeUrls,
  listensForLeafnode,
  objectNames,
  serverLabels,
} from "./deployment";
import type { NatsDeployment } from "./deployment";
import {
  headlessServiceSpec,
  loadBalancerServiceSpec,
  networkPolicySpec,
  podDisruptionBudgetSpec,
} from "./networkSpecs";
import { credentialsChecksum, natsStatefulSetSpec } from "./statefulSetSpec";
import { ownedAnnotations } from "./provider";
import { VolumeTemplateGuard } from "./volumeGuard";

export interface NatsClusterArgs {
  /** The Kubernetes provider of the region's cluster; every object is created with it. */
  readonly provider: k8s.Provider;
  /**
   * Region, domain and settings. A plain value, not an Input: it decides which objects exist
   * and the config text, both of which `pulumi preview` must show.
   */
  readonly deployment: NatsDeployment;
  /** Password of user "app" in account APP (applications, the provider, the backup job). */
  readonly appPassword: pulumi.Input<string>;
  /** Password of user "leaf" the two regions' leafnode authenticates with; the same in both stacks. */
  readonly leafnodePassword: pulumi.Input<string>;
  /** Password of user "sys" in the system account. @default none: nobody logs in as system */
  readonly systemPassword?: pulumi.Input<string>;
  /**
   * The listener hosts the dialing region dials, when they come from the listening stack's output
   * (leafnode.listenerStack). @default deployment.settings.leafnode.listenerHosts
   */
  readonly listenerHosts?: pulumi.Input<readonly string[]>;
  /** Base name of the Kubernetes objects (the StatefulSet's name). @default "nats" */
  readonly objectName?: string;
}

/** The passwords as the credentials Secret holds them (plain and config-quoted). Pure. */
export function credentialSecretData(
  deployment: NatsDeployment,
  passwords: { readonly app: string; readonly leafnode: string; readonly system?: string },
  listenerHosts?: readonly string[],
): Record<string, string> {
  const data: Record<string, string> = {};
  const put = (key: string, password: string) => {
    data[key] = password;
    data[SecretKeys.conf(key)] = confString(password);
  };
  put(SecretKeys.appPassword, passwords.app);
  put(SecretKeys.leafnodePassword, passwords.leafnode);
  if (passwords.system !== undefined) put(SecretKeys.systemPassword, passwords.system);
  if (!listensForLeafnode(deployment)) {
    leafnodeUrls(deployment, passwords.leafnode, listenerHosts).forEach(
      (url, index) => (data[SecretKeys.leafnodeUrl(index)] = confString(url)),
    );
  }
  return data;
}

/** One region's JetStream cluster (3 servers by default) with its leafnode end. */
export class NatsCluster extends pulumi.ComponentResource {
  /** The Kubernetes provider every object was created with (for objects others add, e.g. the backup CronJob). */
  public readonly provider: k8s.Provider;
  /** The namespace of the servers. */
  public readonly namespace: pulumi.Output<string>;
  /** Host name (or IP) of the client/leafnode load balancer; "" until Kubernetes reports one. */
  public readonly clientEndpoint: pulumi.Output<string>;
  /** The headless Service; `<pod>.<service>.<namespace>.svc` reaches one server. */
  public readonly headlessServiceName: pulumi.Output<string>;
  /** The credentials Secret (keys in SecretKeys). */
  public readonly credentialsSecretName: pulumi.Output<string>;
  /** The servers; resources that talk to them on the first `pulumi up` can depend on it. */
  public readonly statefulSet: k8s.apps.v1.StatefulSet;
  /** The rendered nats-server.conf the ConfigMap holds. */
  public readonly configText: string;

  constructor(name: string, args: NatsClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("natsdr:kubernetes:NatsCluster", name, {}, opts);
    const { apps, core, networking, policy } = kubernetesPackage();
    const { deployment, provider } = args;
    const names = objectNames(args.objectName);
    const labels = commonLabels(deployment, names);
    const podLabels = serverLabels(deployment, names);
    const { settings } = deployment;
    // Every object waits for the guard, so a refused volume change stops the update before any
    // of them is touched.
    const guard = new VolumeTemplateGuard(
      `${name}-volume-template`,
      {
        statefulSet: `${settings.namespace}/${names.statefulSet}`,
        storageClass: settings.storageClass,
        storageSize: settings.storageSize,
        allowChange: settings.allowVolumeTemplateChange,
      },
      { parent: this },
    );
    const child = pulumi.mergeOptions({ parent: this }, { provider, dependsOn: [guard] });
    this.provider = provider;
    this.configText = renderNatsConf(kubernetesTopology(deployment, names));

    // Deleting a Namespace deletes its PersistentVolumeClaims, and with them every message,
    // whatever the StatefulSet's retention policy says. Protected: `pulumi destroy` and a renamed
    // namespace (a replacement) stop with an error; retained: even after `pulumi state unprotect`
    // a destroy leaves the namespace for an operator to delete (README, "Removing a region").
    const namespace = new core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: settings.namespace, labels, annotations: ownedAnnotations() } },
      pulumi.mergeOptions(child, { protect: true, retainOnDelete: true }),
    );
    // Every namespaced object names the Namespace's output, so it is created after it.
    const metadata = (
      objectName: string,
      extra: { annotations?: Record<string, string>; labels?: Record<string, string> } = {},
    ) => ({
      name: objectName,
      namespace: namespace.metadata.name,
      labels,
      ...extra,
      annotations: ownedAnnotations(extra.annotations),
    });

    const config = new core.v1.ConfigMap(
      `${name}-config`,
      { metadata: metadata(names.configMap), data: { "nats.conf": this.configText } },
      child,
    );
    const passwords = pulumi
      .all([args.appPassword, args.leafnodePassword, args.systemPassword, args.listenerHosts])
      .apply(([app, leafnode, system, hosts]) =>
        credentialSecretData(deployment, { app, leafnode, ...(system === undefined ? {} : { system }) }, hosts),
      );
    const secret = new core.v1.Secret(
      `${name}-credentials`,
      { metadata: metadata(names.secret), type: "Opaque", stringData: pulumi.secret(passwords) },
      child,
    );
    const serviceAccount = new core.v1.ServiceAccount(
      `${name}-service-account`,
      { metadata: metadata(names.serviceAccount) },
      child,
    );
    const headless = new core.v1.Service(
      `${name}-headless`,
      { metadata: metadata(names.headlessService), spec: headlessServiceSpec(deployment, names) },
      child,
    );
    const loadBalancer = new core.v1.Service(
      `${name}-load-balancer`,
      {
        metadata: metadata(names.loadBalancer, { annotations: { ...deployment.settings.loadBalancerAnnotations } }),
        spec: loadBalancerServiceSpec(deployment, names),
      },
      child,
    );
    this.statefulSet = new apps.v1.StatefulSet(
      `${name}-statefulset`,
      {
        metadata: metadata(names.statefulSet, { labels: podLabels }),
        // The checksum is no secret (credentialsChecksum), so the preview shows it change.
        spec: natsStatefulSetSpec(
          deployment,
          names,
          podLabels,
          this.configText,
          pulumi.unsecret(passwords.apply(credentialsChecksum)),
        ),
      },
      // The pods read the ConfigMap, the Secret and the ServiceAccount at start and need the
      // headless Service's DNS names to find each other.
      pulumi.mergeOptions(child, { dependsOn: [config, secret, serviceAccount, headless] }),
    );
    new policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      { metadata: metadata(names.podDisruptionBudget), spec: podDisruptionBudgetSpec(names) },
      child,
    );
    new networking.v1.NetworkPolicy(
      `${name}-network-policy`,
      { metadata: metadata(names.networkPolicy), spec: networkPolicySpec(deployment, names) },
      child,
    );

    this.namespace = namespace.metadata.name;
    this.headlessServiceName = headless.metadata.name;
    this.credentialsSecretName = secret.metadata.name;
    this.clientEndpoint = loadBalancer.status.apply((status) => {
      const ingress = status?.loadBalancer?.ingress?.[0];
      return ingress?.hostname ?? ingress?.ip ?? "";
    });
    this.registerOutputs({
      namespace: this.namespace,
      clientEndpoint: this.clientEndpoint,
      headlessServiceName: this.headlessServiceName,
      credentialsSecretName: this.credentialsSecretName,
    });
  }
}
