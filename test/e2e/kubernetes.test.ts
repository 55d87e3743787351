// Issue 10: the Kubernetes half of a region stack with the real Pulumi CLI, the real Kubernetes
// provider and a real kube-apiserver (etcd, controller manager, scheduler; kwok plays the nodes).
// One stack, one cluster, the tests in order: each starts from what the one before left.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StepCollector } from "../../drill/pulumi/events";
import type { Json } from "../harness/kube";
import { waitFor } from "../harness/wait";
import { startKubeWorld, type KubeWorld } from "./kubernetes-support";

let world: KubeWorld;

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
  it("e2e kubernetes - pulumi up creates every object and the API server accepts each", async () => {
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

  it("e2e kubernetes - a second pulumi up changes nothing", async () => {
    expect(await previewSteps()).toEqual([]);
    const result = await world.stack.up();
    expect(Object.keys(result.summary.resourceChanges ?? {})).toEqual(["same"]);
  });

  it("e2e kubernetes - pulumi refresh after an edit made with the API shows the drift, and up puts it back", async () => {
    await world.cluster.api.mergePatch(objects.config, { data: { "nats.conf": "# edited with kubectl\n" } });
    const refreshed = await world.stack.refresh();
    expect(refreshed.summary.resourceChanges?.["update"]).toBe(1);
    // The provider replaces a ConfigMap whose data changes (it treats ConfigMaps as immutable).
    expect(await previewSteps()).toEqual(["nats-config replace [data]"]);
    await world.stack.up();
    const data = (await world.cluster.api.get(objects.config))?.["data"] as Record<string, string>;
    expect(data["nats.conf"]).toContain("jetstream");
  });

  it("e2e kubernetes - replicas 3 -> 5 updates the StatefulSet in place and five servers become ready", async () => {
    await world.setKubernetes({ replicas: 5 });
    // The config lists every server's route, and the alert rules the expected server count.
    expect(await previewSteps()).toEqual([
      "monitoring-prometheus-files replace [data]",
      "nats-config replace [data]",
      "nats-statefulset update [spec]",
    ]);
    await world.stack.up();
    await waitFor("5 ready servers", async () => {
      const status = (await statefulSet())["status"] as { readyReplicas?: number };
      return status.readyReplicas === 5;
    });
  });

  it("e2e kubernetes - an image bump updates the StatefulSet in place", async () => {
    await world.setKubernetes({ replicas: 5, images: { nats: "nats:2.14.10-alpine" } });
    expect(await previewSteps()).toEqual(["nats-statefulset update [metadata,spec]"]);
    await world.stack.up();
    const spec = (await statefulSet())["spec"] as { template: { spec: { containers: { image: string }[] } } };
    expect(spec.template.spec.containers.map((container) => container.image)).toContain("nats:2.14.10-alpine");
  });

  it("e2e kubernetes - a password rotation updates the credentials Secret", async () => {
    // The leafnode password: appPassword is also the stream provider's, which the local servers fix.
    await world.stack.setConfig("nats-dr:leafnodePassword", { value: "leaf-password-2", secret: true });
    // A Secret is replaced too; the engine lists no keys, its data being secret. The pods roll
    // (the template carries the credentials' checksum); the checkpointer Deployment is replaced.
    expect(await previewSteps()).toEqual([
      "checkpointer-deployment replace [spec]",
      "nats-credentials replace []",
      "nats-statefulset update [spec]",
    ]);
    await world.stack.up();
    const secret = await world.cluster.api.get(objects.secret);
    const data = secret?.["data"] as Record<string, string>;
    expect(Buffer.from(data["leafnode-password"] ?? "", "base64").toString()).toBe("leaf-password-2");
  });

  it("e2e kubernetes - storageSize: refused in the preview, a replacement when allowed, and the documented procedure", async () => {
    const current = { replicas: 5, images: { nats: "nats:2.14.10-alpine" } };
    await world.setKubernetes({ ...current, storageSize: "20Gi" });
    await expect(world.stack.preview()).rejects.toThrow(
      /nats-dr:kubernetes\.storageSize from 10Gi to 20Gi.*cannot change the volume claim template/s,
    );
    await world.setKubernetes({ ...current, storageSize: "20Gi", allowVolumeTemplateChange: true });
    const allowed = await previewSteps();
    // The checkpointer Deployment (which names the StatefulSet) is replaced with it.
    expect(allowed).toEqual([
      "checkpointer-deployment replace []",
      "nats-config replace [data]",
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
    expect(recreate).toContain("nats-config replace [data]");
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
    await world.setKubernetes({ ...current, storageSize: "20Gi" });
    expect(await previewSteps()).toEqual(["nats-volume-template update [allowChange]"]);
    await world.stack.up();
  });

  it("e2e kubernetes - pulumi destroy stops at the protected Namespace and keeps it", async () => {
    await expect(world.stack.destroy()).rejects.toThrow(/protected/);
    expect(await world.cluster.api.get(objects.namespace)).toBeDefined();
  });
});

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
