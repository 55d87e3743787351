// NatsCluster under Pulumi mocks: the Kubernetes objects with their real input values, every one
// created with the stack's explicit provider.
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { DefaultRegion } from "../../infra/config";
import type * as KubernetesModule from "../../infra/kubernetes";
import { renderNatsConf } from "../../infra/nats";
import { kubernetesConfig, passwords } from "./kubernetes-support";
import { isSecretInput, plainText, promiseOf } from "./support";

interface Registered {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  readonly provider: string | undefined;
}
const registered: Registered[] = [];
const LB_HOSTNAME = "nats-lb-123.elb.us-east-1.amazonaws.com";
let kubernetes: typeof KubernetesModule;

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const inputs = args.inputs as Record<string, unknown> & { spec?: { type?: unknown } };
        registered.push({ type: args.type, name: args.name, inputs, provider: args.provider });
        // Kubernetes reports the load balancer's address in the Service's status.
        const status =
          inputs.spec?.type === "LoadBalancer" ? { loadBalancer: { ingress: [{ hostname: LB_HOSTNAME }] } } : undefined;
        return { id: `${args.name}-id`, state: { ...inputs, ...(status ? { status } : {}) } };
      },
      call: (args) => args.inputs as Record<string, unknown>,
    },
    "nats-dr",
    "unit",
    false,
  );
  kubernetes = await import("../../infra/kubernetes/index.js");
});

/** A child's recorded inputs, read as the Kubernetes object it declares (the mocks hold resolved values). */
function declared<T>(child: Registered | undefined): T {
  if (!child) throw new Error("the object was not registered");
  return child.inputs as T;
}

/** Declares the region's servers as the stack does and waits for every object. */
async function declare(name: string, region: DefaultRegion, overrides: Record<string, unknown> = {}) {
  const config = kubernetesConfig(region, overrides);
  const cluster = kubernetes.declareNats(config, name)!;
  await Promise.all([promiseOf(cluster.clientEndpoint), promiseOf(cluster.urn), promiseOf(cluster.namespace)]);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const deployment = kubernetes.natsDeployment(config, config.kubernetes!);
  const children = Object.fromEntries(
    registered.filter((r) => r.name.startsWith(`${name}-`)).map((r) => [r.name.slice(name.length + 1), r]),
  );
  return { cluster, deployment, children };
}

describe("kubernetes cluster", () => {
  it("declares every object of a region under the component, named <name>-<role>", async () => {
    const { children } = await declare("names", "us-east-1");
    expect(Object.fromEntries(Object.entries(children).map(([role, r]) => [role, r.type]))).toEqual({
      kubernetes: "pulumi:providers:kubernetes",
      "volume-template": "pulumi-nodejs:dynamic/natsdr:VolumeTemplateGuard",
      namespace: "kubernetes:core/v1:Namespace",
      config: "kubernetes:core/v1:ConfigMap",
      credentials: "kubernetes:core/v1:Secret",
      "service-account": "kubernetes:core/v1:ServiceAccount",
      headless: "kubernetes:core/v1:Service",
      "load-balancer": "kubernetes:core/v1:Service",
      statefulset: "kubernetes:apps/v1:StatefulSet",
      pdb: "kubernetes:policy/v1:PodDisruptionBudget",
      "network-policy": "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    });
    expect(registered.find((r) => r.name === "names")?.type).toBe("natsdr:kubernetes:NatsCluster");
  });

  it("ConfigMaps and Secrets are updated in place, and an edit made with kubectl is taken back", async () => {
    const { children } = await declare("in-place", "us-east-1");
    const provider = children["kubernetes"]!.inputs;
    // A provider's inputs reach the engine as strings.
    expect(provider["enableConfigMapMutable"]).toBe("true");
    expect(provider["enableSecretMutable"]).toBe("true");
    // Every object lets the provider's server-side apply take over fields changed by hand.
    for (const [role, child] of Object.entries(children)) {
      if (role === "kubernetes" || role === "volume-template") continue;
      const metadata = declared<{ metadata: k8s.types.input.meta.v1.ObjectMeta }>(child).metadata;
      expect({ role, force: (metadata.annotations as Record<string, string>)["pulumi.com/patchForce"] }).toEqual({
        role,
        force: "true",
      });
    }
  });

  it("the Namespace (whose deletion takes the volumes) is protected and retained on delete", async () => {
    const config = kubernetesConfig("us-east-1");
    const options = new Map<string, pulumi.ResourceOptions>();
    const cluster = new kubernetes.NatsCluster(
      "guarded",
      {
        provider: kubernetes.createKubernetesProvider("guarded-kubernetes", config.kubernetes!),
        deployment: kubernetes.natsDeployment(config, config.kubernetes!),
        appPassword: passwords.app,
        leafnodePassword: passwords.leafnode,
      },
      {
        transformations: [
          (args) => {
            options.set(args.name, args.opts);
            return undefined;
          },
        ],
      },
    );
    await Promise.all([promiseOf(cluster.urn), promiseOf(cluster.namespace)]);
    expect(options.get("guarded-namespace")).toMatchObject({ protect: true, retainOnDelete: true });
    // The other objects hold no data: a destroy removes them (the StatefulSet keeps its volumes).
    for (const role of ["config", "credentials", "statefulset", "load-balancer"])
      expect(options.get(`guarded-${role}`)?.protect, role).toBeUndefined();
  });

  it("only the StatefulSet and its pods carry the server version label", async () => {
    const { children } = await declare("labels", "us-east-1");
    const version = (r: Registered) =>
      (r.inputs as { metadata?: { labels?: Record<string, string> } }).metadata?.labels?.["app.kubernetes.io/version"];
    const objects = Object.entries(children).filter(([, r]) => r.type.startsWith("kubernetes:"));
    expect(objects.filter(([, r]) => version(r) !== undefined).map(([role]) => role)).toEqual(["statefulset"]);
    const statefulSet = declared<k8s.types.output.apps.v1.StatefulSet>(children["statefulset"]);
    expect(statefulSet.metadata.labels["app.kubernetes.io/version"]).toBe("2.14.9-alpine");
    expect(statefulSet.spec.template.metadata.labels["app.kubernetes.io/version"]).toBe("2.14.9-alpine");
  });

  it("every object gets the stack's provider explicitly, made from kubeconfig and context", async () => {
    const { children, cluster } = await declare("prov", "us-east-1", {
      kubeconfig: pulumi.secret("apiVersion: v1\nkind: Config\n"),
      kubernetes: { context: "eks-use1", peerCidrs: ["10.20.0.0/16"] },
    });
    const objects = Object.values(children).filter((r) => r.type.startsWith("kubernetes:"));
    expect(objects).toHaveLength(9);
    for (const object of objects)
      expect(object.provider, object.name).toMatch(
        /::pulumi:providers:kubernetes::prov-kubernetes::prov-kubernetes-id$/,
      );
    expect(children["kubernetes"]!.inputs["context"]).toBe("eks-use1");
    expect(isSecretInput(children["kubernetes"]!.inputs["kubeconfig"])).toBe(true);
    expect(await promiseOf(cluster.provider.urn)).toMatch(/prov-kubernetes$/);
  });

  it("StatefulSet: replicas, parallel start, volume class and size, pinned images", async () => {
    const { children } = await declare("sts", "us-east-1", {
      kubernetes: { peerCidrs: ["10.20.0.0/16"], storageClass: "io2", storageSize: "250Gi" },
    });
    const statefulSet = declared<k8s.types.output.apps.v1.StatefulSet>(children["statefulset"]);
    expect(statefulSet.metadata).toMatchObject({ name: "nats", namespace: "nats" });
    const spec = statefulSet.spec;
    expect(spec).toMatchObject({ replicas: 3, podManagementPolicy: "Parallel", serviceName: "nats-headless" });
    expect(spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: "Retain", whenScaled: "Retain" });
    expect(spec.volumeClaimTemplates).toEqual([
      {
        metadata: {
          name: "jetstream",
          labels: { "app.kubernetes.io/name": "nats", "app.kubernetes.io/instance": "nats" },
        },
        spec: {
          accessModes: ["ReadWriteOnce"],
          storageClassName: "io2",
          resources: { requests: { storage: "250Gi" } },
        },
      },
    ]);
    const containers = spec.template.spec.containers;
    expect(containers.map((c) => [c.name, c.image])).toEqual([
      ["nats", "nats:2.14.9-alpine"],
      ["reloader", "natsio/nats-server-config-reloader:0.23.0"],
      ["exporter", "natsio/prometheus-nats-exporter:0.20.1"],
    ]);
    expect(containers[0]!.resources).toEqual({ requests: { cpu: "1", memory: "2Gi" }, limits: { memory: "2Gi" } });
    expect(containers[0]!.volumeMounts).toContainEqual({ name: "jetstream", mountPath: "/data" });
  });

  it("the pod runs restricted: non-root, read-only root, no capabilities, RuntimeDefault seccomp, no API token", async () => {
    const { children } = await declare("restricted", "eu-central-1", { tls: { secretName: "nats-tls" } });
    const pod = declared<k8s.types.output.apps.v1.StatefulSet>(children["statefulset"]).spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
      fsGroupChangePolicy: "OnRootMismatch",
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod.containers.map((container) => container.name)).toEqual(["nats", "reloader", "exporter"]);
    for (const container of pod.containers) {
      expect(container.securityContext, container.name).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
    }
    // With a read-only root, everything the server writes is on a volume: the store, the pid file.
    const nats = pod.containers[0]!;
    const mounted = nats.volumeMounts.map((mount) => mount.mountPath);
    expect(mounted).toEqual(expect.arrayContaining(["/data", "/var/run/nats"]));
    expect(pod.volumes.find((volume) => volume.name === "pid")).toEqual({ name: "pid", emptyDir: {} });
  });

  it("probes hit /healthz on the monitor port with the JetStream options", async () => {
    const { children } = await declare("probes", "us-east-1");
    const nats = declared<k8s.types.output.apps.v1.StatefulSet>(children["statefulset"]).spec.template.spec
      .containers[0]!;
    expect(nats.ports).toEqual([
      { name: "client", containerPort: 4222 },
      { name: "cluster", containerPort: 6222 },
      { name: "leafnode", containerPort: 7422 },
      { name: "monitor", containerPort: 8222 },
    ]);
    expect(nats.startupProbe).toMatchObject({
      httpGet: { path: "/healthz", port: "monitor" },
      periodSeconds: 10,
      failureThreshold: 90,
    });
    expect(nats.readinessProbe).toMatchObject({
      httpGet: { path: "/healthz?js-server-only=true", port: "monitor" },
      failureThreshold: 3,
    });
    expect(nats.livenessProbe).toMatchObject({
      httpGet: { path: "/healthz?js-enabled-only=true", port: "monitor" },
      periodSeconds: 30,
    });
  });

  it("lame duck before termination, and a grace period that covers it", async () => {
    const { children } = await declare("ldm", "us-east-1");
    const pod = declared<k8s.types.output.apps.v1.StatefulSet>(children["statefulset"]).spec.template.spec;
    expect(pod.containers[0]!.lifecycle).toEqual({
      preStop: { exec: { command: ["nats-server", "--signal", "ldm=/var/run/nats/nats.pid"] } },
    });
    expect(pod.terminationGracePeriodSeconds).toBe(30 + 10 + 20);
    expect(pod.shareProcessNamespace).toBe(true);
    expect(pod.containers[1]!.args).toEqual([
      "-pid",
      "/var/run/nats/nats.pid",
      "-config",
      "/etc/nats-config/nats.conf",
      // With TLS (the default the fixture follows) the reloader also watches the certificate files.
      "-config",
      "/etc/nats-tls/tls.crt",
      "-config",
      "/etc/nats-tls/tls.key",
      "-config",
      "/etc/nats-tls/ca.crt",
    ]);
    expect(pod.containers[2]!.args).toContain("http://localhost:8222");
    expect(pod.containers[2]!.ports).toEqual([{ name: "metrics", containerPort: 7777 }]);
  });

  it("the ConfigMap holds renderNatsConf's text and the pod mounts it where --config points", async () => {
    const { children, deployment, cluster } = await declare("conf", "eu-central-1");
    const expected = renderNatsConf(kubernetes.kubernetesTopology(deployment));
    const configMap = declared<k8s.types.output.core.v1.ConfigMap>(children["config"]);
    expect(configMap.data).toEqual({ "nats.conf": expected });
    expect(cluster.configText).toBe(expected);
    const pod = declared<k8s.types.output.apps.v1.StatefulSet>(children["statefulset"]).spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: "config", configMap: { name: configMap.metadata.name } });
    expect(pod.containers[0]!.volumeMounts).toContainEqual({ name: "config", mountPath: "/etc/nats-config" });
    expect(pod.containers[0]!.args).toEqual(["--config", "/etc/nats-config/nats.conf"]);
    expect(
      declared<k8s.types.output.apps.v1.StatefulSet>(children["statefulset"]).spec.template.metadata.annotations[
        "checksum/config"
      ],
    ).toBe(kubernetes.configChecksum(expected));
  });

  it("the Secret holds the passwords as a secret and the pod reads the ones the config names", async () => {
    const { children } = await declare("secret", "eu-central-1");
    const secret = children["credentials"]!.inputs;
    expect(isSecretInput(secret["stringData"])).toBe(true);
    const data = (secret["stringData"] as { value: Record<string, string> }).value;
    expect(data).toMatchObject({
      "app-password": passwords.app,
      "conf-app-password": JSON.stringify(passwords.app),
      "conf-leafnode-url-1": JSON.stringify(
        "nats-leaf://leaf:leaf%3Ap%40ss%2Fw%23rd@nats-leaf.us-east-1.example.com:7422",
      ),
    });
    for (const { inputs } of Object.values(children)) {
      const text = plainText(inputs);
      for (const password of Object.values(passwords)) expect(text).not.toContain(password);
    }
    const env = declared<k8s.types.output.apps.v1.StatefulSet>(children["statefulset"]).spec.template.spec
      .containers[0]!.env;
    const fromSecret = Object.fromEntries(
      env.filter((e) => e.valueFrom?.secretKeyRef).map((e) => [e.name, e.valueFrom.secretKeyRef]),
    );
    expect(fromSecret).toEqual({
      NATS_APP_PASSWORD: { name: "nats-credentials", key: "conf-app-password" },
      NATS_SYSTEM_PASSWORD: { name: "nats-credentials", key: "conf-system-password" },
      NATS_LEAFNODE_URL_1: { name: "nats-credentials", key: "conf-leafnode-url-1" },
    });
    for (const name of Object.keys(fromSecret))
      expect(declared<k8s.types.output.core.v1.ConfigMap>(children["config"]).data["nats.conf"]).toContain(`$${name}`);
  });

  it("headless and load-balancer Services, PodDisruptionBudget", async () => {
    const { children, cluster } = await declare("svc", "us-east-1");
    const names = (spec: k8s.types.output.core.v1.ServiceSpec) => spec.ports.map((p) => `${p.name}:${p.port}`);
    const headless = declared<k8s.types.output.core.v1.Service>(children["headless"]).spec;
    expect(headless).toMatchObject({ clusterIP: "None", publishNotReadyAddresses: true });
    expect(names(headless)).toEqual(["client:4222", "cluster:6222", "leafnode:7422", "monitor:8222"]);
    const lb = declared<k8s.types.output.core.v1.Service>(children["load-balancer"]);
    expect(lb.spec.type).toBe("LoadBalancer");
    expect(names(lb.spec)).toEqual(["client:4222", "leafnode:7422"]);
    expect(lb.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"]).toBe(
      "preserve_client_ip.enabled=true",
    );
    expect(children["pdb"]!.inputs["spec"]).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { "app.kubernetes.io/name": "nats", "app.kubernetes.io/instance": "nats" } },
    });
    expect(await promiseOf(cluster.clientEndpoint)).toBe(LB_HOSTNAME);
    expect(await promiseOf(cluster.namespace)).toBe("nats");
    expect(await promiseOf(cluster.headlessServiceName)).toBe("nats-headless");
  });

  it("NetworkPolicy admits each port only from its peers", async () => {
    const selector = { matchLabels: { "app.kubernetes.io/name": "nats", "app.kubernetes.io/instance": "nats" } };
    const ns = (name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } });
    const { children: listener } = await declare("np-us", "us-east-1");
    expect(listener["network-policy"]!.inputs["spec"]).toEqual({
      podSelector: selector,
      policyTypes: ["Ingress"],
      ingress: [
        {
          ports: [{ port: 4222, protocol: "TCP" }],
          from: [ns("apps"), ns("nats"), { ipBlock: { cidr: "10.30.0.0/16" } }],
        },
        { ports: [{ port: 6222, protocol: "TCP" }], from: [{ podSelector: selector }] },
        { ports: [{ port: 7422, protocol: "TCP" }], from: [{ ipBlock: { cidr: "10.20.0.0/16" } }] },
        {
          ports: [
            { port: 8222, protocol: "TCP" },
            { port: 7777, protocol: "TCP" },
          ],
          from: [ns("monitoring")],
        },
      ],
    });
    const { children: dialer } = await declare("np-eu", "eu-central-1");
    const ports = declared<k8s.types.output.networking.v1.NetworkPolicy>(dialer["network-policy"]).spec.ingress.flatMap(
      (rule) => rule.ports.map((p) => p.port),
    );
    expect(ports).toEqual([4222, 6222, 8222, 7777]);
    const dialerPod = declared<k8s.types.output.apps.v1.StatefulSet>(dialer["statefulset"]).spec.template.spec;
    expect(dialerPod.containers[0]!.ports.map((p) => p.name)).toEqual(["client", "cluster", "monitor"]);
  });

  it("activeRegion changes no input of any object", async () => {
    for (const region of ["us-east-1", "eu-central-1"] as const) {
      const before = await declare(`ar-${region}-a`, region, { activeRegion: "us-east-1" });
      const after = await declare(`ar-${region}-b`, region, { activeRegion: "eu-central-1" });
      expect(Object.keys(after.children)).toEqual(Object.keys(before.children));
      for (const [role, object] of Object.entries(before.children))
        expect(plainText(after.children[role]!.inputs), role).toBe(plainText(object.inputs));
    }
  });
});
