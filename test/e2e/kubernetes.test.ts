// Issue 10: the Kubernetes half of a region stack with the real Pulumi CLI, the real Kubernetes
// provider and a real kube-apiserver (etcd, controller manager, scheduler; kwok plays the nodes).
// One stack, one cluster, the tests in order: each starts from what the one before left.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StepCollector, resourceNameOfUrn } from "../../drill/pulumi/events";
import type { Json } from "../harness/kube";
import { waitFor } from "../harness/wait";
import { startKubeWorld, type KubeWorld } from "./kubernetes-support";

let world: KubeWorld;
/** The `nats-dr:kubernetes` overrides the tests so far have made (each test adds its own). */
let current: Record<string, unknown> = {};

async function changeKubernetes(overrides: Record<string, unknown>): Promise<void> {
  current = { ...current, ...overrides };
  await world.setKubernetes(current);
}

/** What the preview says it would change: `name op [keys]`, sorted. */
async function previewSteps(): Promise<string[]> {
  const steps = new StepCollector();
  await world.stack.preview({ onEvent: steps.onEvent, diff: true });
  return steps.changes().map(({ name, op, diffs }) => `${name} ${op} [${diffs.join(",")}]`);
}

/** The paths of every object the stack declares on Kubernetes (namespace nats). */
const objects = {
  namespace: "/api/v1/namespaces/nats",
  config: "/api/v1/namespaces/nats/configmaps/nats-config",
  secret: "/api/v1/namespaces/nats/secrets/nats-credentials",
  serviceAccount: "/api/v1/namespaces/nats/serviceaccounts/nats",
  headless: "/api/v1/namespaces/nats/services/nats-headless",
  loadBalancer: "/api/v1/namespaces/nats/services/nats-lb",
  statefulSet: "/apis/apps/v1/namespaces/nats/statefulsets/nats",
  pdb: "/apis/policy/v1/namespaces/nats/poddisruptionbudgets/nats",
  networkPolicy: "/apis/networking.k8s.io/v1/namespaces/nats/networkpolicies/nats",
} as const;

async function statefulSet(): Promise<Json> {
  const found = await world.cluster.api.get(objects.statefulSet);
  if (found === undefined) throw new Error("StatefulSet nats/nats is missing");
  return found;
}

beforeAll(async () => {
  world = await startKubeWorld("kubernetes");
}, 300_000);

afterAll(async () => {
  await world?.stop();
}, 60_000);

describe("e2e kubernetes", { timeout: 300_000 }, () => {
  it("pulumi up creates every object and the API server accepts each", async () => {
    const steps = new StepCollector();
    try {
      await world.stack.up({ onEvent: steps.onEvent });
    } catch (error) {
      throw new Error(`${String(error)}\n${world.cluster.logs()}`, { cause: error });
    }
    const created = new Set(steps.steps.filter((step) => step.op === "create").map((step) => step.type));
    for (const type of [
      "pulumi:providers:kubernetes",
      "kubernetes:core/v1:Namespace",
      "kubernetes:core/v1:ConfigMap",
      "kubernetes:core/v1:Secret",
      "kubernetes:core/v1:ServiceAccount",
      "kubernetes:core/v1:Service",
      "kubernetes:apps/v1:StatefulSet",
      "kubernetes:policy/v1:PodDisruptionBudget",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy",
      "pulumi-nodejs:dynamic/natsdr:JetStreamStream",
    ]) {
      expect(created, type).toContain(type);
    }
    for (const [what, path] of Object.entries(objects)) {
      expect(await world.cluster.api.get(path), what).toBeDefined();
    }
    const status = (await statefulSet())["status"] as { readyReplicas?: number };
    expect(status.readyReplicas).toBe(3);
    const outputs = await world.stack.outputs();
    expect(outputs["natsClientEndpoint"]?.value).toBe("nats-lb-nats.elb.local");
  });

  it("a second pulumi up changes nothing", async () => {
    expect(await previewSteps()).toEqual([]);
    const result = await world.stack.up();
    expect(Object.keys(result.summary.resourceChanges ?? {})).toEqual(["same"]);
  });

  it("a stack made before ConfigMaps and Secrets were mutable: only its provider updates", async () => {
    // The state as the previous version left it: the provider without the two options.
    const state = await world.stack.exportStack();
    const resources = (state.deployment as { resources: { type: string; inputs?: Json; outputs?: Json }[] }).resources;
    const provider = resources.find((resource) => resource.type === "pulumi:providers:kubernetes");
    for (const values of [provider?.inputs, provider?.outputs]) {
      expect(values?.["enableConfigMapMutable"]).toBe("true");
      delete values?.["enableConfigMapMutable"];
      delete values?.["enableSecretMutable"];
    }
    await world.stack.importStack(state);
    const steps = new StepCollector();
    await world.stack.preview({ onEvent: steps.onEvent });
    // A provider replacement would replace every object; its DiffConfig replaces only for another cluster.
    expect(steps.steps.filter((step) => step.op !== "same").map((step) => `${step.name} ${step.op}`)).toEqual([
      "nats-kubernetes update",
    ]);
    await world.stack.up();
    expect(await previewSteps()).toEqual([]);
  });

  it("pulumi refresh after an edit made with the API shows the drift, and up puts it back", async () => {
    await world.cluster.api.mergePatch(objects.config, { data: { "nats.conf": "# edited with kubectl\n" } });
    const refreshed = await world.stack.refresh();
    expect(refreshed.summary.resourceChanges?.["update"]).toBe(1);
    // Updated in place (enableConfigMapMutable): the same object, never a moment without it.
    expect(await previewSteps()).toEqual(["nats-config update [data]"]);
    const uid = await uidOf(objects.config);
    await world.stack.up();
    const data = (await world.cluster.api.get(objects.config))?.["data"] as Record<string, string>;
    expect(data["nats.conf"]).toContain("jetstream");
    expect(await uidOf(objects.config)).toBe(uid);
  });

  it("replicas 3 -> 5 updates the StatefulSet in place and five servers become ready", async () => {
    await changeKubernetes({ replicas: 5 });
    // The config lists every server's route, and the alert rules the expected server count.
    expect(await previewSteps()).toEqual([
      "monitoring-prometheus-files update [data]",
      "nats-config update [data]",
      "nats-statefulset update [spec]",
    ]);
    await world.stack.up();
    await waitFor("5 ready servers", async () => {
      const status = (await statefulSet())["status"] as { readyReplicas?: number };
      return status.readyReplicas === 5;
    });
  });

  it("an image bump updates the StatefulSet in place", async () => {
    await changeKubernetes({ images: { nats: "nats:2.14.10-alpine" } });
    expect(await previewSteps()).toEqual(["nats-statefulset update [metadata,spec]"]);
    await world.stack.up();
    const spec = (await statefulSet())["spec"] as { template: { spec: { containers: { image: string }[] } } };
    expect(spec.template.spec.containers.map((container) => container.image)).toContain("nats:2.14.10-alpine");
  });

  it("resources: a change updates the StatefulSet in place, and the API server's quantities cause no diff after", async () => {
    // Written as users do; the API server keeps quantities in canonical form ("1.5" -> "1500m").
    const resources = { requests: { cpu: "1.5", memory: "3Gi" }, limits: { cpu: "2000m", memory: "3Gi" } };
    await changeKubernetes({ resources });
    expect(await previewSteps()).toEqual(["nats-statefulset update [spec]"]);
    await world.stack.up();
    const nats = natsContainer(await statefulSet());
    expect(nats["resources"]).toEqual({
      requests: { cpu: "1500m", memory: "3Gi" },
      limits: { cpu: "2", memory: "3Gi" },
    });
    const env = nats["env"] as { name: string; value?: string }[];
    expect(env.find((variable) => variable.name === "GOMEMLIMIT")?.value).toBe(String(Math.floor(3 * 1024 ** 3 * 0.9)));
    expect(await previewSteps()).toEqual([]);
  });

  it("allowed client ranges update the NetworkPolicy in place and leave the load balancer alone", async () => {
    await changeKubernetes({ allowedClientCidrs: ["203.0.113.0/24"], allowedClientNamespaces: ["apps"] });
    expect(await previewSteps()).toEqual(["nats-network-policy update [spec]"]);
    const serviceBefore = await world.cluster.api.get(objects.loadBalancer);
    await world.stack.up();
    const policy = (await world.cluster.api.get(objects.networkPolicy))?.["spec"] as {
      ingress: { ports: { port: number }[]; from: Json[] }[];
    };
    const client = policy.ingress.find((rule) => rule.ports.some((port) => port.port === 4222));
    expect(client?.from).toEqual([
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "apps" } } },
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "nats" } } },
      { ipBlock: { cidr: "203.0.113.0/24" } },
    ]);
    // The load balancer keeps no source ranges of its own (docs/configuration.md says why).
    const service = await world.cluster.api.get(objects.loadBalancer);
    expect((service?.["metadata"] as Json)["resourceVersion"]).toBe(
      (serviceBefore?.["metadata"] as Json)["resourceVersion"],
    );
    expect((service?.["spec"] as Json)["loadBalancerSourceRanges"]).toBeUndefined();
  });

  it("TLS on: refused beside the lab opt-out, then the config and the pod template change in place", async () => {
    // What cert-manager would have issued: a kubernetes.io/tls Secret with ca.crt.
    const pem = (label: string) =>
      Buffer.from(`-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----\n`).toString("base64");
    await world.cluster.api.create("/api/v1/namespaces/nats/secrets", {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "nats-tls" },
      type: "kubernetes.io/tls",
      data: { "tls.crt": pem("CERTIFICATE"), "tls.key": pem("PRIVATE KEY"), "ca.crt": pem("CERTIFICATE") },
    });
    await world.stack.setConfig("nats-dr:tls", { value: JSON.stringify({ secretName: "nats-tls" }) });
    await expect(world.stack.preview()).rejects.toThrow(/nats-dr:insecureLabWithoutLinkTls.*remove it/s);
    await world.stack.removeConfig("nats-dr:insecureLabWithoutLinkTls");
    // The checkpointer verifies the servers' certificate from then on (it mounts ca.crt).
    expect(await previewSteps()).toEqual([
      "checkpointer-deployment update [spec]",
      "nats-config update [data]",
      "nats-statefulset update [spec]",
    ]);
    await world.stack.up();
    const config = ((await world.cluster.api.get(objects.config))?.["data"] as Record<string, string>)["nats.conf"];
    expect(config).toContain("tls://nats-0.nats-headless.nats.svc:6222");
    expect(config).toContain("/etc/nats-tls/tls.crt");
    const set = await statefulSet();
    const pod = (set["spec"] as { template: { spec: { volumes: Json[]; containers: Json[] } } }).template.spec;
    expect(pod.volumes).toContainEqual({ name: "tls", secret: { secretName: "nats-tls", defaultMode: 420 } });
    for (const container of pod.containers.filter((c) => c["name"] !== "exporter")) {
      expect(container["volumeMounts"], String(container["name"])).toContainEqual({
        name: "tls",
        mountPath: "/etc/nats-tls",
        readOnly: true,
      });
    }
    await waitFor("5 ready servers after the TLS roll", async () => {
      const status = (await statefulSet())["status"] as { readyReplicas?: number; updatedReplicas?: number };
      return status.readyReplicas === 5 && status.updatedReplicas === 5;
    });
  });

  it("a password rotation updates the credentials Secret in place and rolls the pods", async () => {
    // The leafnode password: appPassword is also the stream provider's, which the local servers fix.
    await world.stack.setConfig("nats-dr:leafnodePassword", { value: "leaf-password-2", secret: true });
    // The engine lists no keys of the Secret, its data being secret. The servers and the
    // checkpointer roll: their templates carry the credentials' checksum.
    expect(await previewSteps()).toEqual([
      "checkpointer-deployment update [spec]",
      "nats-credentials update []",
      "nats-statefulset update [spec]",
    ]);
    const uid = await uidOf(objects.secret);
    const checksumBefore = credentialsAnnotation(await statefulSet());
    await world.stack.up();
    const secret = await world.cluster.api.get(objects.secret);
    const data = secret?.["data"] as Record<string, string>;
    expect(Buffer.from(data["leafnode-password"] ?? "", "base64").toString()).toBe("leaf-password-2");
    expect(await uidOf(objects.secret)).toBe(uid);
    expect(credentialsAnnotation(await statefulSet())).not.toBe(checksumBefore);
  });

  it("storageSize: refused in the preview, a replacement when allowed, and the documented procedure", async () => {
    await changeKubernetes({ storageSize: "20Gi" });
    await expect(world.stack.preview()).rejects.toThrow(
      /nats-dr:kubernetes\.storageSize from 10Gi to 20Gi.*cannot change the volume claim template/s,
    );
    await changeKubernetes({ allowVolumeTemplateChange: true });
    const allowed = await previewSteps();
    // The checkpointer Deployment (which names the StatefulSet) is replaced with it.
    expect(allowed).toEqual([
      "checkpointer-deployment replace []",
      "nats-config update [data]",
      "nats-statefulset replace [spec]",
      "nats-volume-template update [allowChange,storageSize]",
    ]);

    // "Changing the volumes" in docs/configuration.md, step by step against the API server.
    // The servers' claims (the checkpointer has one of its own).
    const claims = (await world.cluster.api.list("/api/v1/namespaces/nats/persistentvolumeclaims")).filter((claim) =>
      (claim["metadata"] as { name: string }).name.startsWith("jetstream-nats-"),
    );
    expect(claims).toHaveLength(5);
    for (const claim of claims) {
      const name = (claim["metadata"] as { name: string }).name;
      await world.cluster.api.mergePatch(`/api/v1/namespaces/nats/persistentvolumeclaims/${name}`, {
        spec: { resources: { requests: { storage: "20Gi" } } },
      });
    }
    const podsBefore = await podUids();
    expect(podsBefore).toHaveLength(5);
    await world.cluster.api.delete(objects.statefulSet, "Orphan");
    await waitFor("the StatefulSet gone", async () => (await world.cluster.api.get(objects.statefulSet)) === undefined);
    expect(await podUids()).toEqual(podsBefore);
    const refreshed = await world.stack.refresh();
    expect(refreshed.summary.resourceChanges?.["delete"]).toBe(1);
    const recreate = await previewSteps();
    expect(recreate).toContain("nats-config update [data]");
    expect(recreate).toContain("nats-volume-template update [allowChange,storageSize]");
    expect(recreate.filter((step) => step.startsWith("nats-statefulset "))).toEqual(["nats-statefulset create []"]);
    await world.stack.up();
    // The new StatefulSet adopted the pods the old one left (then rolled them for the new config).
    const owners = (await serverPods()).map(
      (pod) => ((pod["metadata"] as { ownerReferences?: { kind: string }[] }).ownerReferences ?? [])[0]?.kind,
    );
    expect(owners).toEqual(["StatefulSet", "StatefulSet", "StatefulSet", "StatefulSet", "StatefulSet"]);
    const template = ((await statefulSet())["spec"] as { volumeClaimTemplates: Json[] }).volumeClaimTemplates[0];
    expect(template?.["spec"]).toMatchObject({ resources: { requests: { storage: "20Gi" } } });
    await changeKubernetes({ allowVolumeTemplateChange: false });
    expect(await previewSteps()).toEqual(["nats-volume-template update [allowChange]"]);
    await world.stack.up();
  });

  it("prometheusOperator: PodMonitor and PrometheusRule pass the operator's CRD schemas, kept as declared", async () => {
    // The schemas are enforced: a PodMonitor with a malformed field is refused (422), not stored.
    const podMonitors = "/apis/monitoring.coreos.com/v1/namespaces/nats/podmonitors";
    const refused = world.cluster.api.create(podMonitors, {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PodMonitor",
      metadata: { name: "malformed" },
      spec: { selector: {}, podMetricsEndpoints: [{ port: "metrics", interval: "every 15 seconds" }] },
    });
    await expect(refused).rejects.toMatchObject({ status: 422 });
    await expect(refused).rejects.toThrow(/podMetricsEndpoints\[0\]\.interval/);

    await world.stack.setConfig("nats-dr:monitoring", { value: JSON.stringify({ prometheusOperator: true }) });
    expect(await previewSteps()).toEqual([
      "monitoring-pod-monitor create []",
      "monitoring-prometheus-files delete []",
      "monitoring-prometheus-rule create []",
    ]);
    await world.stack.up();
    expect(await world.cluster.api.get("/api/v1/namespaces/nats/configmaps/nats-dr-prometheus")).toBeUndefined();
    // A structural schema drops fields it does not know without an error: what the API server
    // kept must be all the stack declared.
    const declared = await declaredInputs();
    for (const [name, path] of [
      ["monitoring-pod-monitor", `${podMonitors}/nats`],
      ["monitoring-prometheus-rule", "/apis/monitoring.coreos.com/v1/namespaces/nats/prometheusrules/nats-dr"],
    ] as const) {
      const stored = await world.cluster.api.get(path);
      expect(stored?.["spec"], name).toEqual(declared.get(name)?.["spec"]);
    }
    const rules = (declared.get("monitoring-prometheus-rule")?.["spec"] as { groups: { rules: unknown[] }[] }).groups;
    expect(rules.flatMap((group) => group.rules).length).toBeGreaterThan(10);
    // The Grafana dashboard, in Grafana's namespace with the sidecar's label.
    const dashboard = await world.cluster.api.get("/api/v1/namespaces/monitoring/configmaps/nats-dr-dashboard");
    expect((dashboard?.["metadata"] as { labels: Record<string, string> }).labels).toMatchObject({
      grafana_dashboard: "1",
    });
    const json = JSON.parse((dashboard?.["data"] as Record<string, string>)["nats-dr.json"] ?? "") as Json;
    expect(json["panels"]).toBeInstanceOf(Array);
    expect(await previewSteps()).toEqual([]);
  });

  it("pulumi destroy stops at the protected Namespace and keeps it", async () => {
    await expect(world.stack.destroy()).rejects.toThrow(/protected/);
    expect(await world.cluster.api.get(objects.namespace)).toBeDefined();
  });
});

/** The inputs the stack's state holds for each resource, by resource name. */
async function declaredInputs(): Promise<Map<string, Json>> {
  const state = await world.stack.exportStack();
  const resources = (state.deployment as { resources?: { urn: string; inputs?: Json }[] }).resources ?? [];
  return new Map(resources.map((resource) => [resourceNameOfUrn(resource.urn), resource.inputs ?? {}]));
}

async function uidOf(path: string): Promise<string> {
  const found = await world.cluster.api.get(path);
  if (found === undefined) throw new Error(`${path} is missing`);
  return (found["metadata"] as { uid: string }).uid;
}

function credentialsAnnotation(set: Json): string | undefined {
  const template = (set["spec"] as { template: { metadata: { annotations?: Record<string, string> } } }).template;
  return template.metadata.annotations?.["checksum/credentials"];
}

function natsContainer(set: Json): Json {
  const containers = (set["spec"] as { template: { spec: { containers: Json[] } } }).template.spec.containers;
  const nats = containers.find((container) => container["name"] === "nats");
  if (nats === undefined) throw new Error("the StatefulSet's pod template has no container nats");
  return nats;
}

async function podUids(): Promise<string[]> {
  const pods = await serverPods();
  return pods.map((pod) => (pod["metadata"] as { uid: string }).uid).sort();
}

/** The NATS servers' pods (nats-0 ...), not the checkpointer's. */
async function serverPods(): Promise<Json[]> {
  return (await world.cluster.api.list("/api/v1/namespaces/nats/pods")).filter((pod) =>
    /^nats-\d+$/.test((pod["metadata"] as { name: string }).name),
  );
}
