// The world of the Kubernetes e2e tests: a local cluster with a real kube-apiserver (test/harness/kube),
// the real Kubernetes provider plugin (.tools/kube/bin, on PATH for these stacks only), and one
// region stack (us-east-1, AWS off) configured as a user would.
//
// Streams: under kwok no container runs, so the pods the StatefulSet makes serve nothing. The
// stack's `regions` point the stream provider at a real local nats-server instead (one per
// region, drill/local), so the program runs whole (servers on Kubernetes, streams by the provider)
// and its streams are really created; only the link between the two (the servers the streams live
// on being those pods) is not there.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { KUBE_TOOLS_BIN_DIR, kubeToolBinary } from "../../drill/local/binaries";
import { startLocalRegions, type LocalRegions } from "../../drill/local/regions";
import { layOutProject } from "../../drill/pulumi/project";
import { localStack, stackConfigMap, type LocalBackend } from "../../drill/pulumi/workspace";
import { DEFAULT_REGION_PAIR, type DefaultRegion } from "../../infra/config/regions";
import { PROMETHEUS_OPERATOR_CRDS, startKubeCluster, type KubeCluster } from "../harness/kube";
import { e2eCatalog } from "./support";

export const KUBE_SECRET_KEYS = ["kubeconfig", "appPassword", "leafnodePassword"] as const;

export interface KubeWorld {
  readonly cluster: KubeCluster;
  readonly local: LocalRegions;
  readonly stack: Stack;
  readonly backend: LocalBackend;
  readonly projectDir: string;
  /** The `nats-dr:*` values the stack was created with. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Sets `nats-dr:kubernetes` to the initial settings with `overrides` laid over them. */
  setKubernetes(overrides: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

/** `nats-dr:kubernetes` of the world's stack before any test changes it. */
export const initialKubernetes = { storageSize: "10Gi", replicas: 3, peerCidrs: ["10.20.0.0/16"] } as const;

export async function startKubeWorld(name: string): Promise<KubeWorld> {
  kubeToolBinary("pulumi-resource-kubernetes");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `nats-dr-e2e-${name}-`));
  let cluster: KubeCluster | undefined;
  let local: LocalRegions<DefaultRegion> | undefined;
  const cleanUp = async () => {
    await cluster?.stop();
    await local?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Five nodes: the StatefulSet puts one server per node, and a test scales 3 -> 5. The Grafana
    // dashboard's namespace ("monitoring") and the Prometheus Operator's CRDs exist in a real
    // cluster (kube-prometheus-stack) before the stack runs.
    [cluster, local] = await Promise.all([
      startKubeCluster({ nodes: 5, namespaces: ["monitoring"], crdFiles: PROMETHEUS_OPERATOR_CRDS }),
      startLocalRegions({ nodes: 1, maxFileBytes: 1024 ** 3 }),
    ]);
    const projectDir = layOutProject(path.join(dir, "project"));
    const backend = { dir: path.join(dir, "backend"), passphrase: randomBytes(8).toString("hex") };
    const running = local;
    const config: Record<string, unknown> = {
      region: "us-east-1",
      activeRegion: "us-east-1",
      regions: Object.fromEntries(
        DEFAULT_REGION_PAIR.map((region) => [region, { servers: [...running.regions[region].clientUrls] }]),
      ),
      backup: { enabled: false },
      catalog: e2eCatalog,
      kubernetes: initialKubernetes,
      // A plain Prometheus first: the rules and scrape config go to a ConfigMap. A test then
      // switches to the Prometheus Operator's PodMonitor and PrometheusRule.
      monitoring: { prometheusOperator: false },
      kubeconfig: cluster.kubeconfigPath,
      // With nats-dr:kubernetes the provider signs in as user "app" with appPassword: the local
      // servers' app user has this password.
      appPassword: local.users.app.password,
      leafnodePassword: "leaf-password-1",
      // No certificates here (cert-manager would issue them); the lab's opt-out of link TLS.
      insecureLabWithoutLinkTls: true,
    };
    const stack = await localStack({
      backend,
      name: "kube-us-east-1",
      projectDir,
      extraPathDirs: [KUBE_TOOLS_BIN_DIR],
    });
    await stack.setAllConfig(stackConfigMap(config, KUBE_SECRET_KEYS));
    const world: KubeWorld = {
      cluster,
      local,
      stack,
      backend,
      projectDir,
      config,
      async setKubernetes(overrides) {
        await stack.setConfig("nats-dr:kubernetes", { value: JSON.stringify({ ...initialKubernetes, ...overrides }) });
      },
      stop: cleanUp,
    };
    return world;
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
