// The StatefulSet of a region's NATS servers, as the official NATS chart ships it: parallel pod
// management, a JetStream volume per pod, /healthz probes with the JetStream options, lame duck
// before termination, a config reloader and a Prometheus exporter beside the server, and the
// pods spread over zones. Pure: the component passes this object to Kubernetes unchanged.
import { createHash } from "node:crypto";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { quantityBytes } from "../config/quantity";
import { EXPORTER_PREFIX } from "../monitoring/metrics";
import { EnvVars, Paths, Ports, SecretKeys, listenerHostCount, listensForLeafnode, selectorLabels } from "./deployment";
import type { NatsDeployment, ObjectNames } from "./deployment";

type PodSpec = k8s.types.input.core.v1.PodSpec;
type Container = k8s.types.input.core.v1.Container;
type EnvVar = k8s.types.input.core.v1.EnvVar;
type Probe = k8s.types.input.core.v1.Probe;
type StatefulSetSpec = k8s.types.input.apps.v1.StatefulSetSpec;

/**
 * Probe paths, as the official chart uses them. Startup waits for the full health check (the
 * server has caught up with its streams) so a rolling update moves on only once the restarted
 * server is current; readiness asks only whether this server's JetStream runs, so one lagging
 * stream does not take every pod out of its Services; liveness asks only whether JetStream is
 * enabled, so a long recovery after a restart is never mistaken for a hung process.
 */
export const ProbePaths = {
  startup: "/healthz",
  readiness: "/healthz?js-server-only=true",
  liveness: "/healthz?js-enabled-only=true",
} as const;

/** Seconds Kubernetes waits after the preStop hook beyond lame duck before it kills the server. */
export const SHUTDOWN_MARGIN_SECONDS = 20;

/** Grace period long enough for the whole lame-duck phase plus a margin to close the store. */
export function terminationGracePeriodSeconds(deployment: NatsDeployment): number {
  const { durationSeconds, gracePeriodSeconds } = deployment.settings.lameDuck;
  return durationSeconds + gracePeriodSeconds + SHUTDOWN_MARGIN_SECONDS;
}

/**
 * SHA-256 of the rendered config, as a pod annotation: a config change rolls the pods one at a
 * time (lame duck each) instead of relying on a reload that some settings (ports, TLS) ignore.
 */
export function configChecksum(configText: string): string {
  return createHash("sha256").update(configText).digest("hex");
}

/**
 * Identifies one set of passwords (the credentials Secret's data) without revealing them: the
 * first 8 hex digits (32 bits) of a SHA-256 over the sorted entries. The pod template carries it,
 * so a changed password rolls the servers. 32 bits tell two generations apart, and do not single
 * out a password of more entropy for whoever reads the StatefulSet but not the Secret. Pure.
 */
export function credentialsChecksum(data: Readonly<Record<string, string>>): string {
  const entries = Object.keys(data)
    .sort()
    .map((key) => [key, data[key]]);
  return createHash("sha256")
    .update(`nats-dr credentials\n${JSON.stringify(entries)}`)
    .digest("hex")
    .slice(0, 8);
}

function secretEnv(name: string, key: string, secretName: string): EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secretName, key } } };
}

/** The nats container's environment: the pod name and the credentials the config refers to. */
export function natsEnv(deployment: NatsDeployment, names: ObjectNames): EnvVar[] {
  const vars: EnvVar[] = [
    { name: EnvVars.podName, valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    secretEnv(EnvVars.appPassword, SecretKeys.conf(SecretKeys.appPassword), names.secret),
  ];
  if (deployment.systemUser)
    vars.push(secretEnv(EnvVars.systemPassword, SecretKeys.conf(SecretKeys.systemPassword), names.secret));
  if (listensForLeafnode(deployment)) {
    vars.push(secretEnv(EnvVars.leafnodePassword, SecretKeys.conf(SecretKeys.leafnodePassword), names.secret));
  } else {
    for (let index = 0; index < listenerHostCount(deployment); index++)
      vars.push(secretEnv(EnvVars.leafnodeUrl(index), SecretKeys.leafnodeUrl(index), names.secret));
  }
  // The Go runtime collects garbage harder near this soft limit instead of being OOM-killed at
  // the container limit; 90% leaves room for memory the runtime does not count.
  const limit = quantityBytes(deployment.settings.resources.limits.memory);
  if ("bytes" in limit) vars.push({ name: "GOMEMLIMIT", value: String(Math.floor(limit.bytes * 0.9)) });
  return vars;
}

function httpProbe(path: string, periodSeconds: number, failureThreshold: number): Probe {
  return {
    httpGet: { path, port: "monitor" },
    initialDelaySeconds: 10,
    timeoutSeconds: 5,
    periodSeconds,
    successThreshold: 1,
    failureThreshold,
  };
}

function natsContainer(deployment: NatsDeployment, names: ObjectNames): Container {
  const { settings } = deployment;
  const ports = [
    { name: "client", containerPort: Ports.client },
    ...(settings.replicas > 1 ? [{ name: "cluster", containerPort: Ports.cluster }] : []),
    ...(listensForLeafnode(deployment) ? [{ name: "leafnode", containerPort: settings.leafnode.port }] : []),
    { name: "monitor", containerPort: Ports.monitor },
  ];
  return {
    name: "nats",
    image: settings.images.nats,
    imagePullPolicy: "IfNotPresent",
    args: ["--config", Paths.configFile],
    ports,
    env: natsEnv(deployment, names),
    resources: settings.resources,
    lifecycle: {
      // Lame duck: the server stops taking clients and moves them off gradually; it ignores
      // the SIGTERM that follows and exits when done (terminationGracePeriodSeconds covers it).
      preStop: { exec: { command: ["nats-server", "--signal", `ldm=${Paths.pidFile}`] } },
    },
    // 90 x 10 s: a server replaying a large store after a restart gets 15 minutes.
    startupProbe: httpProbe(ProbePaths.startup, 10, 90),
    readinessProbe: httpProbe(ProbePaths.readiness, 10, 3),
    livenessProbe: httpProbe(ProbePaths.liveness, 30, 3),
    volumeMounts: [
      { name: "config", mountPath: Paths.configDir },
      { name: "pid", mountPath: Paths.pidDir },
      { name: names.volumeClaim, mountPath: Paths.storeDir },
      ...(settings.tls ? [{ name: "tls", mountPath: Paths.tlsDir, readOnly: true }] : []),
    ],
  };
}

/** Sends SIGHUP to the server when the config or the TLS files change (certificate rotation). */
function reloaderContainer(deployment: NatsDeployment): Container {
  const tls = deployment.settings.tls;
  const watched = [
    Paths.configFile,
    ...(tls ? ["tls.crt", "tls.key", "ca.crt"].map((file) => `${Paths.tlsDir}/${file}`) : []),
  ];
  return {
    name: "reloader",
    image: deployment.settings.images.reloader,
    imagePullPolicy: "IfNotPresent",
    args: ["-pid", Paths.pidFile, ...watched.flatMap((file) => ["-config", file])],
    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
    volumeMounts: [
      { name: "config", mountPath: Paths.configDir },
      { name: "pid", mountPath: Paths.pidDir },
      ...(tls ? [{ name: "tls", mountPath: Paths.tlsDir, readOnly: true }] : []),
    ],
  };
}

/**
 * Serves the server's monitoring endpoints as Prometheus metrics on the metrics port: /healthz,
 * /varz, /leafz and /jsz with streams and consumers are what the alert rules and the dashboard use
 * (infra/monitoring/metrics.ts). The server name (the pod name) labels the series, stable across
 * restarts, unlike the server id.
 */
export function exporterArgs(
  endpoints: { readonly metricsPort: number; readonly monitorUrl: string } = {
    metricsPort: Ports.metrics,
    monitorUrl: `http://localhost:${Ports.monitor}`,
  },
): string[] {
  return [
    `-port=${endpoints.metricsPort}`,
    "-healthz",
    "-varz",
    "-leafz",
    "-jsz=all",
    "-connz",
    "-routez",
    "-subz",
    `-prefix=${EXPORTER_PREFIX}`,
    "-use_internal_server_name",
    endpoints.monitorUrl,
  ];
}

function exporterContainer(deployment: NatsDeployment): Container {
  return {
    name: "exporter",
    image: deployment.settings.images.exporter,
    imagePullPolicy: "IfNotPresent",
    args: exporterArgs(),
    ports: [{ name: "metrics", containerPort: Ports.metrics }],
    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
  };
}

/**
 * The one non-root user every container runs as: the reloader signals the server's process
 * (same user, no CAP_KILL needed) and the server writes the volume (fsGroup).
 */
export const NATS_UID = 1000;

/** Every container: no privilege escalation, nothing written outside its volumes, no capabilities. */
export const restrictedContainer: k8s.types.input.core.v1.SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};

/** The pod template's spec. */
export function natsPodSpec(deployment: NatsDeployment, names: ObjectNames): PodSpec {
  const selector = { matchLabels: selectorLabels(names) };
  const tls = deployment.settings.tls;
  return {
    serviceAccountName: names.serviceAccount,
    // Nothing in the pod talks to the Kubernetes API.
    automountServiceAccountToken: false,
    // The Pod Security Standard "restricted". fsGroup makes the volume writable for the user; on
    // volumes written by root before, the kubelet changes their group once (OnRootMismatch).
    securityContext: {
      runAsNonRoot: true,
      runAsUser: NATS_UID,
      runAsGroup: NATS_UID,
      fsGroup: NATS_UID,
      fsGroupChangePolicy: "OnRootMismatch",
      seccompProfile: { type: "RuntimeDefault" },
    },
    // The reloader signals the server's process, so the containers share one process namespace.
    shareProcessNamespace: true,
    terminationGracePeriodSeconds: terminationGracePeriodSeconds(deployment),
    containers: [natsContainer(deployment, names), reloaderContainer(deployment), exporterContainer(deployment)].map(
      (container) => ({ ...container, securityContext: restrictedContainer }),
    ),
    volumes: [
      { name: "config", configMap: { name: names.configMap } },
      { name: "pid", emptyDir: {} },
      ...(tls ? [{ name: "tls", secret: { secretName: tls.secretName } }] : []),
    ],
    // One server per zone: a zone outage costs JetStream one of three peers, never its quorum.
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "DoNotSchedule",
        labelSelector: selector,
      },
    ],
    // And never two servers on one node, whatever the zones.
    affinity: {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { topologyKey: "kubernetes.io/hostname", labelSelector: selector },
        ],
      },
    },
  };
}

/**
 * The StatefulSet spec; `labels` go on the pods, `configText` is the rendered config,
 * `credentialsChecksum` identifies the passwords of the credentials Secret (credentialsChecksum()).
 */
export function natsStatefulSetSpec(
  deployment: NatsDeployment,
  names: ObjectNames,
  labels: Record<string, string>,
  configText: string,
  credentialsChecksum?: pulumi.Input<string>,
): StatefulSetSpec {
  const { settings } = deployment;
  return {
    serviceName: names.headlessService,
    replicas: settings.replicas,
    // Members of a JetStream cluster must start together to elect a meta leader.
    podManagementPolicy: "Parallel",
    selector: { matchLabels: selectorLabels(names) },
    updateStrategy: { type: "RollingUpdate" },
    // The volumes hold the messages: keep them when the set is deleted or scaled down.
    persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
    template: {
      metadata: {
        labels,
        annotations: {
          "checksum/config": configChecksum(configText),
          // The servers read the passwords from the environment at start: a changed password
          // restarts them one by one (the rolling update Pulumi waits for).
          ...(credentialsChecksum === undefined ? {} : { "checksum/credentials": credentialsChecksum }),
          "prometheus.io/scrape": "true",
          "prometheus.io/port": String(Ports.metrics),
        },
      },
      spec: natsPodSpec(deployment, names),
    },
    volumeClaimTemplates: [
      {
        // Only the stable selector labels: the claim template cannot change without replacing the set.
        metadata: { name: names.volumeClaim, labels: selectorLabels(names) },
        spec: {
          accessModes: ["ReadWriteOnce"],
          storageClassName: settings.storageClass,
          resources: { requests: { storage: settings.storageSize } },
        },
      },
    ],
  };
}
