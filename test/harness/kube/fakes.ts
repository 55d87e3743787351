// What a cloud cluster has besides its control plane, faked just enough for the program's objects
// to become ready: kwok plays the kubelets of a few Nodes (Pods are scheduled, get an IP and turn
// Ready; no container runs), static PersistentVolumes of the stack's StorageClass let the claims
// bind, and a stand-in for the AWS Load Balancer Controller gives LoadBalancer Services an address.
import fs from "node:fs";
import path from "node:path";
import { KWOK_STAGE_DIR, kubeToolBinary } from "../../../drill/local/binaries";
import { freePort } from "../ports";
import { sleep } from "../wait";
import type { Json, KubeApi } from "./api";
import { startProcess, type RunningProcess } from "./process";

/** The annotation kwok manages nodes by (its docs' convention). */
export const FAKE_NODE_ANNOTATION = { key: "kwok.x-k8s.io/node", value: "fake" } as const;

/**
 * kwok's own Stage files: nodes become Ready and keep a lease (else the node lifecycle controller
 * would taint them unreachable and evict the pods), pods become Ready, and deleted pods go away.
 */
const STAGE_FILES = [
  "node/fast/node-initialize.yaml",
  "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
  "pod/fast/pod-ready.yaml",
  "pod/fast/pod-complete.yaml",
  "pod/fast/pod-delete.yaml",
] as const;

/** Starts kwok managing the Nodes annotated {@link FAKE_NODE_ANNOTATION}. */
export async function startKwok(dir: string, kubeconfigPath: string): Promise<RunningProcess> {
  const stages = STAGE_FILES.map((file) => path.join(KWOK_STAGE_DIR, file));
  for (const file of stages) {
    if (!fs.existsSync(file)) throw new Error(`kwok Stage file ${file} is missing; run "npm run setup".`);
  }
  const serverPort = await freePort();
  const logFile = path.join(dir, "kwok.log");
  return startProcess({
    name: "kwok",
    file: kubeToolBinary("kwok"),
    args: [
      `--kubeconfig=${kubeconfigPath}`,
      ...stages.map((file) => `--config=${file}`),
      `--manage-nodes-with-annotation-selector=${FAKE_NODE_ANNOTATION.key}=${FAKE_NODE_ANNOTATION.value}`,
      "--node-lease-duration-seconds=40",
      `--server-address=127.0.0.1:${serverPort}`,
      "--cidr=10.244.0.0/16",
    ],
    cwd: dir,
    logFile,
    // kwok serves /healthz on --server-address once its controllers run.
    ready: async () => (await fetch(`http://127.0.0.1:${serverPort}/healthz`)).ok,
    readyTimeoutMs: 60_000,
  });
}

/** Zone labels of the fake nodes, as an AWS region's three availability zones. */
export const ZONES = ["zone-a", "zone-b", "zone-c"] as const;

/** The Node objects: `count` nodes round the zones (fake-0 in zone-a, fake-1 in zone-b, ...). Pure. */
export function fakeNodes(count: number): Json[] {
  return Array.from({ length: count }, (_, index) => ({
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: `fake-${index}`,
      annotations: { [FAKE_NODE_ANNOTATION.key]: FAKE_NODE_ANNOTATION.value },
      labels: {
        "kubernetes.io/hostname": `fake-${index}`,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "topology.kubernetes.io/zone": ZONES[index % ZONES.length],
        type: "kwok",
      },
    },
  }));
}

export interface StorageOptions {
  /** The StorageClass the stack's claims name (`nats-dr:kubernetes.storageClass`). */
  readonly storageClass: string;
  /** How many PersistentVolumes to offer (one per server the tests may run, and spares). */
  readonly volumes: number;
  /** Each volume's capacity; claims of up to this size bind. */
  readonly capacity: string;
}

/**
 * A StorageClass with no provisioner (claims bind only to the static volumes below) that allows
 * expansion, as gp3 does, and `volumes` hostPath PersistentVolumes of it. Pure.
 */
export function storageObjects(options: StorageOptions): { storageClass: Json; volumes: Json[] } {
  return {
    storageClass: {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: options.storageClass },
      provisioner: "kubernetes.io/no-provisioner",
      volumeBindingMode: "Immediate",
      allowVolumeExpansion: true,
    },
    volumes: Array.from({ length: options.volumes }, (_, index) => ({
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: `static-${index}` },
      spec: {
        capacity: { storage: options.capacity },
        accessModes: ["ReadWriteOnce"],
        persistentVolumeReclaimPolicy: "Retain",
        storageClassName: options.storageClass,
        hostPath: { path: `/tmp/nats-dr-static-${index}` },
      },
    })),
  };
}

/** The hostname the stand-in gives `<namespace>/<name>`. Pure. */
export function loadBalancerHostname(namespace: string, name: string): string {
  return `${name}-${namespace}.elb.local`;
}

/**
 * Stand-in for the AWS Load Balancer Controller: every 200 ms, gives each LoadBalancer Service
 * without an address one (status.loadBalancer.ingress[0].hostname). It changes nothing else.
 */
export function startLoadBalancerStandIn(api: KubeApi): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        for (const service of await api.list("/api/v1/services")) {
          const metadata = service["metadata"] as { name: string; namespace: string };
          const spec = service["spec"] as { type?: string };
          const status = service["status"] as { loadBalancer?: { ingress?: unknown[] } } | undefined;
          if (spec.type !== "LoadBalancer" || (status?.loadBalancer?.ingress?.length ?? 0) > 0) continue;
          await api.mergePatch(`/api/v1/namespaces/${metadata.namespace}/services/${metadata.name}/status`, {
            status: {
              loadBalancer: { ingress: [{ hostname: loadBalancerHostname(metadata.namespace, metadata.name) }] },
            },
          });
        }
      } catch {
        // The API server is stopping, or the Service went away between list and patch.
      }
      await sleep(200);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}
