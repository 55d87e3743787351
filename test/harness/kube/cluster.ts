// A local Kubernetes cluster for the e2e tests: the real control plane (controlPlane.ts) with kwok
// nodes, static volumes and the load balancer stand-in (fakes.ts), in one temp dir, always cleaned up.
import { makeTempDir, removeTempDir } from "../cleanup";
import { waitFor } from "../wait";
import type { KubeApi } from "./api";
import { startControlPlane, type ControlPlane } from "./controlPlane";
import { installCrds } from "./crds";
import { fakeNodes, startKwok, startLoadBalancerStandIn, storageObjects } from "./fakes";
import type { RunningProcess } from "./process";

export interface KubeClusterOptions {
  /**
   * Fake nodes, round three zones. The StatefulSet allows one server per node, so this bounds the
   * replicas a test can reach. @default 3
   */
  readonly nodes?: number;
  /** @default "gp3" (the stack's default StorageClass) */
  readonly storageClass?: string;
  /** Static PersistentVolumes. @default 2 x nodes */
  readonly volumes?: number;
  /** @default "1Ti" */
  readonly volumeCapacity?: string;
  /** Namespaces a real cluster has before the stack runs (e.g. Grafana's). @default [] */
  readonly namespaces?: readonly string[];
  /** YAML files of CustomResourceDefinitions to install first (e.g. PROMETHEUS_OPERATOR_CRDS). @default [] */
  readonly crdFiles?: readonly string[];
}

export interface KubeCluster {
  readonly api: KubeApi;
  readonly kubeconfigPath: string;
  readonly kubeconfig: string;
  /** The temp dir with every process's log. */
  readonly dir: string;
  /** The last lines of each process's log, for a failing test's message. */
  logs(lines?: number): string;
  stop(): Promise<void>;
}

export async function startKubeCluster(options: KubeClusterOptions = {}): Promise<KubeCluster> {
  const nodes = options.nodes ?? 3;
  const dir = await makeTempDir("kube");
  let controlPlane: ControlPlane | undefined;
  let kwok: RunningProcess | undefined;
  let standIn: { stop(): Promise<void> } | undefined;
  const stop = async () => {
    await standIn?.stop();
    await kwok?.stop();
    await controlPlane?.stop();
    await removeTempDir(dir);
  };
  try {
    controlPlane = await startControlPlane(dir);
    const { api } = controlPlane;
    const storage = storageObjects({
      storageClass: options.storageClass ?? "gp3",
      volumes: options.volumes ?? 2 * nodes,
      capacity: options.volumeCapacity ?? "1Ti",
    });
    await api.create("/apis/storage.k8s.io/v1/storageclasses", storage.storageClass);
    for (const volume of storage.volumes) await api.create("/api/v1/persistentvolumes", volume);
    await installCrds(api, options.crdFiles ?? []);
    for (const name of options.namespaces ?? []) {
      await api.create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name } });
    }
    for (const node of fakeNodes(nodes)) await api.create("/api/v1/nodes", node);
    kwok = await startKwok(dir, controlPlane.kubeconfigPath);
    await waitFor(
      `${nodes} Ready fake nodes`,
      async () => {
        const ready = (await api.list("/api/v1/nodes")).filter((node) =>
          ((node["status"] as { conditions?: { type: string; status: string }[] }).conditions ?? []).some(
            (condition) => condition.type === "Ready" && condition.status === "True",
          ),
        );
        return ready.length === nodes;
      },
      { timeoutMs: 60_000 },
    );
    standIn = startLoadBalancerStandIn(api);
    const processes = [...controlPlane.processes, kwok];
    return {
      api,
      kubeconfigPath: controlPlane.kubeconfigPath,
      kubeconfig: controlPlane.kubeconfig,
      dir,
      logs: (lines = 15) => processes.map((p) => `--- ${p.name} (${p.logFile}) ---\n${p.logTail(lines)}`).join("\n"),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
