// A real Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager and
// kube-scheduler, the binaries setup builds (.tools/kube/bin), on free ports with one temp dir.
// No kubelet can run here: kwok (fakeNodes.ts) plays the nodes.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import fs from "node:fs";
import https from "node:https";
import path from "node:path";
import { kubeToolBinary } from "../../../drill/local/binaries";
import { freePort } from "../ports";
import { waitFor } from "../wait";
import { KubeApi } from "./api";
import { startProcess, type RunningProcess } from "./process";

export interface ControlPlane {
  readonly api: KubeApi;
  /** A kubeconfig file with the cluster-admin token, for the Pulumi provider and kwok. */
  readonly kubeconfigPath: string;
  /** The kubeconfig's text (what `nats-dr:kubeconfig` may hold instead of a path). */
  readonly kubeconfig: string;
  readonly dir: string;
  readonly processes: readonly RunningProcess[];
  /** Stops every process, the last started first. */
  stop(): Promise<void>;
}

/** The Service address range; the cluster's `kubernetes` Service takes its first address. */
const SERVICE_CIDR = "10.96.0.0/16";
/** Under load the API server took up to a minute to answer /readyz "ok" (about 20 s idle). */
const API_READY_TIMEOUT_MS = 180_000;

/** Starts the control plane in `dir` (which the caller owns and removes). */
export async function startControlPlane(dir: string): Promise<ControlPlane> {
  const started: RunningProcess[] = [];
  const stop = async () => {
    for (const process of [...started].reverse()) await process.stop();
  };
  try {
    const etcdClient = await freePort();
    const etcdPeer = await freePort();
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    started.push(
      await startProcess({
        name: "etcd",
        file: kubeToolBinary("etcd"),
        args: [
          "--name=default",
          `--data-dir=${path.join(dir, "etcd")}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
          // A throwaway store on a shared machine: fsync only slows every write.
          "--unsafe-no-fsync",
        ],
        cwd: dir,
        logFile: path.join(dir, "etcd.log"),
        ready: async () => (await fetch(`${etcdUrl}/health`)).ok,
        readyTimeoutMs: 60_000,
      }),
    );

    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const saPublic = path.join(dir, "sa.pub");
    const saPrivate = path.join(dir, "sa.key");
    fs.writeFileSync(saPublic, publicKey.export({ type: "spki", format: "pem" }));
    fs.writeFileSync(saPrivate, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    const token = randomBytes(16).toString("hex");
    const tokens = path.join(dir, "tokens.csv");
    fs.writeFileSync(tokens, `${token},admin,admin,system:masters\n`, { mode: 0o600 });
    const certDir = path.join(dir, "certs");
    const apiPort = await freePort();
    const server = `https://127.0.0.1:${apiPort}`;
    let api: KubeApi | undefined;
    started.push(
      await startProcess({
        name: "kube-apiserver",
        file: kubeToolBinary("kube-apiserver"),
        args: [
          `--etcd-servers=${etcdUrl}`,
          `--service-account-key-file=${saPublic}`,
          `--service-account-signing-key-file=${saPrivate}`,
          "--service-account-issuer=https://kubernetes.default.svc",
          `--cert-dir=${certDir}`,
          `--secure-port=${apiPort}`,
          "--bind-address=127.0.0.1",
          "--advertise-address=127.0.0.1",
          // No other API server shares the Service's endpoints; nothing to reconcile.
          "--endpoint-reconciler-type=none",
          `--token-auth-file=${tokens}`,
          `--service-cluster-ip-range=${SERVICE_CIDR}`,
          "--authorization-mode=RBAC",
        ],
        cwd: dir,
        logFile: path.join(dir, "kube-apiserver.log"),
        // The certificate appears in --cert-dir before the server listens; /readyz says when the
        // storage and the built-in controllers are ready.
        ready: async () => {
          const certFile = path.join(certDir, "apiserver.crt");
          if (!fs.existsSync(certFile)) return false;
          api ??= new KubeApi({ server, token, caPem: fs.readFileSync(certFile, "utf8") });
          return (await api.readyz()) === "ok";
        },
        readyTimeoutMs: API_READY_TIMEOUT_MS,
      }),
    );
    const caPem = fs.readFileSync(path.join(certDir, "apiserver.crt"), "utf8");
    const kubeconfig = renderKubeconfig(server, token, caPem);
    const kubeconfigPath = path.join(dir, "kubeconfig");
    fs.writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });

    const common = [
      `--kubeconfig=${kubeconfigPath}`,
      `--authentication-kubeconfig=${kubeconfigPath}`,
      `--authorization-kubeconfig=${kubeconfigPath}`,
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
    ];
    const managerPort = await freePort();
    const schedulerPort = await freePort();
    const [manager, scheduler] = await Promise.all([
      startProcess({
        name: "kube-controller-manager",
        file: kubeToolBinary("kube-controller-manager"),
        args: [
          ...common,
          `--secure-port=${managerPort}`,
          // nodeipam hands out pod ranges to nodes, which kwok's fake nodes do not need.
          "--controllers=*,-nodeipam",
          `--service-account-private-key-file=${saPrivate}`,
          `--root-ca-file=${path.join(certDir, "apiserver.crt")}`,
          `--cert-dir=${path.join(dir, "manager-certs")}`,
        ],
        cwd: dir,
        logFile: path.join(dir, "kube-controller-manager.log"),
        ready: () => healthy(managerPort),
        readyTimeoutMs: API_READY_TIMEOUT_MS,
      }),
      startProcess({
        name: "kube-scheduler",
        file: kubeToolBinary("kube-scheduler"),
        args: [...common, `--secure-port=${schedulerPort}`, `--cert-dir=${path.join(dir, "scheduler-certs")}`],
        cwd: dir,
        logFile: path.join(dir, "kube-scheduler.log"),
        ready: () => healthy(schedulerPort),
        readyTimeoutMs: API_READY_TIMEOUT_MS,
      }),
    ]);
    started.push(manager, scheduler);
    const ready = api!;
    // The namespace controllers and the default ServiceAccount show the controller manager works.
    await waitFor("the default ServiceAccount of namespace default", () =>
      ready.get("/api/v1/namespaces/default/serviceaccounts/default"),
    );
    return { api: ready, kubeconfigPath, kubeconfig, dir, processes: started, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** /healthz of a component's secure port (self-signed; the answer is all we need). */
function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = https.get(
      { host: "127.0.0.1", port, path: "/healthz", rejectUnauthorized: false, timeout: 5_000 },
      (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      },
    );
    request.on("error", () => resolve(false));
    request.on("timeout", () => request.destroy());
  });
}

/** A kubeconfig with one cluster, user and context ("local"). Pure. */
export function renderKubeconfig(server: string, token: string, caPem: string): string {
  return JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        { name: "local", cluster: { server, "certificate-authority-data": Buffer.from(caPem).toString("base64") } },
      ],
      users: [{ name: "admin", user: { token } }],
      contexts: [{ name: "local", context: { cluster: "local", user: "admin" } }],
      "current-context": "local",
    },
    null,
    2,
  );
}
