// What one region's NATS deployment is made of, as plain values: object names, labels, ports,
// paths, environment variable and Secret key names, and the server topology rendered into the
// ConfigMap. Pure; the component and the tests share these so a name is written once.
import { KUBERNETES_APP_USER } from "../config";
import type { KubernetesStackConfig, Region } from "../config";
import { env, leafnodeUrl } from "../nats";
import type { LeafnodeSettings, NatsTopology, NatsUser, TlsFiles } from "../nats";

/** The plain settings of a region's deployment (no secrets: they never reach the config text). */
export type NatsSettings = Omit<
  KubernetesStackConfig,
  "kubeconfig" | "appPassword" | "leafnodePassword" | "systemPassword"
>;

/** Everything that decides the Kubernetes objects and the rendered config of one region. */
export interface NatsDeployment {
  readonly region: Region;
  /** JetStream domain of the region. */
  readonly domain: string;
  readonly settings: NatsSettings;
  /** Whether a system account user is configured (`nats-dr:systemPassword`). */
  readonly systemUser: boolean;
}

/** Container ports. Client, cluster and monitor are the NATS defaults; the leafnode port is config. */
export const Ports = { client: 4222, cluster: 6222, monitor: 8222, metrics: 7777 } as const;

/** Paths inside the pod. */
export const Paths = {
  configDir: "/etc/nats-config",
  configFile: "/etc/nats-config/nats.conf",
  pidDir: "/var/run/nats",
  pidFile: "/var/run/nats/nats.pid",
  /** The JetStream volume; the server keeps its data in `<storeDir>/jetstream`. */
  storeDir: "/data",
  tlsDir: "/etc/nats-tls",
} as const;

/** User names of the accounts; the passwords come from the Secret. */
export const Users = { app: KUBERNETES_APP_USER, system: "sys", leafnode: "leaf" } as const;

/** Environment variables the rendered config refers to. */
export const EnvVars = {
  podName: "POD_NAME",
  appPassword: "NATS_APP_PASSWORD",
  systemPassword: "NATS_SYSTEM_PASSWORD",
  leafnodePassword: "NATS_LEAFNODE_PASSWORD",
  /** NATS_LEAFNODE_URL_1, _2, ...: one per listener host. */
  leafnodeUrl: (index: number) => `NATS_LEAFNODE_URL_${index + 1}`,
} as const;

/**
 * Keys of the credentials Secret. The plain keys hold the passwords (for clients and the backup
 * job); the `conf-` keys hold the same values quoted as config strings, because nats-server parses
 * an environment variable's value as config text (a bare "12345" would become a number).
 */
export const SecretKeys = {
  appPassword: "app-password",
  systemPassword: "system-password",
  leafnodePassword: "leafnode-password",
  conf: (key: string) => `conf-${key}`,
  leafnodeUrl: (index: number) => `conf-leafnode-url-${index + 1}`,
} as const;

/** Names of the Kubernetes objects of a region. Fixed: the config's routes name the pods. */
export function objectNames(base = "nats") {
  return {
    statefulSet: base,
    headlessService: `${base}-headless`,
    loadBalancer: `${base}-lb`,
    configMap: `${base}-config`,
    secret: `${base}-credentials`,
    serviceAccount: base,
    podDisruptionBudget: base,
    networkPolicy: base,
    /** The JetStream volume claim template (PVCs are `<claim>-<pod>`). */
    volumeClaim: "jetstream",
  };
}
export type ObjectNames = ReturnType<typeof objectNames>;

/** Labels that select the NATS pods. */
export function selectorLabels(names: ObjectNames): Record<string, string> {
  return { "app.kubernetes.io/name": "nats", "app.kubernetes.io/instance": names.statefulSet };
}

/** Labels of every object. */
export function commonLabels(deployment: NatsDeployment, names: ObjectNames): Record<string, string> {
  return {
    ...selectorLabels(names),
    "app.kubernetes.io/component": "nats",
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/part-of": "nats-dr",
    "nats-dr/region": deployment.region,
  };
}

/**
 * The labels of the StatefulSet and its pods: the common ones plus the server's version, which
 * only they carry, so that an image bump changes the StatefulSet alone.
 */
export function serverLabels(deployment: NatsDeployment, names: ObjectNames): Record<string, string> {
  const version = deployment.settings.images.nats.split(/[:@]/)[1] ?? "unknown";
  return { ...commonLabels(deployment, names), "app.kubernetes.io/version": version };
}

/** True when this region accepts the leafnode (a fixed topology choice, never activeRegion). */
export function listensForLeafnode(deployment: NatsDeployment): boolean {
  return deployment.region === deployment.settings.leafnode.listenRegion;
}

/** "host" or "host:port" -> host and port (the leafnode port when none is given). */
export function splitHost(hostPort: string, defaultPort: number): { host: string; port: number } {
  const [host, port] = hostPort.split(":");
  return { host: host!, port: port === undefined ? defaultPort : Number(port) };
}

/**
 * How many listener hosts the dialing region dials: listenerHosts, or the one host the listening
 * stack's output names (listenerStack). The config text has one URL reference per host.
 */
export function listenerHostCount(deployment: NatsDeployment): number {
  const { listenerHosts, listenerStack } = deployment.settings.leafnode;
  return listenerStack === undefined ? listenerHosts.length : 1;
}

/**
 * The URLs the dialing region uses, with credentials; they go into the Secret, never the config.
 * `hosts`: the listener hosts read from the listening stack's output. @default listenerHosts
 */
export function leafnodeUrls(
  deployment: NatsDeployment,
  password: string,
  hosts: readonly string[] = deployment.settings.leafnode.listenerHosts,
): string[] {
  const { port } = deployment.settings.leafnode;
  return hosts.map((hostPort) => {
    const { host, port: hostPortNumber } = splitHost(hostPort, port);
    return leafnodeUrl(host, hostPortNumber, { user: Users.leafnode, password });
  });
}

function tlsFiles(verify: boolean): TlsFiles {
  return {
    certFile: `${Paths.tlsDir}/tls.crt`,
    keyFile: `${Paths.tlsDir}/tls.key`,
    caFile: `${Paths.tlsDir}/ca.crt`,
    verify,
  };
}

/** The server topology of a pod: values from the pod's environment, listeners on all interfaces. */
export function kubernetesTopology(deployment: NatsDeployment, names: ObjectNames = objectNames()): NatsTopology {
  const { settings, region } = deployment;
  const tls = settings.tls;
  const anyInterface = "0.0.0.0";
  const user = (name: string, variable: string): NatsUser => ({ user: name, password: env(variable) });
  let leafnode: LeafnodeSettings;
  if (listensForLeafnode(deployment)) {
    leafnode = {
      role: "listen",
      listen: { host: anyInterface, port: settings.leafnode.port },
      users: [user(Users.leafnode, EnvVars.leafnodePassword)],
      ...(tls?.leafnode ? { tls: tlsFiles(false) } : {}),
    };
  } else {
    leafnode = {
      role: "dial",
      urls: Array.from({ length: listenerHostCount(deployment) }, (_, index) => env(EnvVars.leafnodeUrl(index))),
      reconnectSeconds: settings.leafnode.reconnectSeconds,
      ...(tls?.leafnode ? { tls: tlsFiles(false) } : {}),
    };
  }
  const scheme = tls?.cluster ? "tls" : "nats";
  const routes = Array.from(
    { length: settings.replicas },
    (_, index) =>
      `${scheme}://${names.statefulSet}-${index}.${names.headlessService}.${settings.namespace}.svc:${Ports.cluster}`,
  );
  return {
    serverName: env(EnvVars.podName),
    client: { host: anyInterface, port: Ports.client },
    monitor: { host: anyInterface, port: Ports.monitor },
    pidFile: Paths.pidFile,
    lameDuck: settings.lameDuck,
    jetstream: { storeDir: Paths.storeDir, domain: deployment.domain, ...settings.jetstream },
    accounts: {
      system: deployment.systemUser ? [user(Users.system, EnvVars.systemPassword)] : [],
      app: [user(Users.app, EnvVars.appPassword)],
    },
    ...(tls?.client ? { clientTls: tlsFiles(tls.verifyClients) } : {}),
    // One server needs no routes; three (or five) form the region's JetStream cluster.
    ...(settings.replicas > 1
      ? {
          cluster: {
            name: `nats-${region}`,
            listen: { host: anyInterface, port: Ports.cluster },
            routes,
            ...(tls?.cluster ? { tls: tlsFiles(true) } : {}),
          },
        }
      : {}),
    leafnode,
  };
}
