// Config of the region's NATS servers on Kubernetes: `nats-dr:kubernetes`, `nats-dr:leafnode`,
// `nats-dr:tls` and the secrets `nats-dr:kubeconfig`, `appPassword`, `leafnodePassword`,
// `systemPassword`. A stack runs NATS on Kubernetes when `nats-dr:kubernetes` is set (`{}` takes
// every default); without it the stack manages streams on servers run elsewhere. Nothing here
// depends on `activeRegion`: failing over never touches the servers.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { isPlainObject } from "../catalog/merge";
import { bytesQuantity, cidr, cpuQuantity, dnsLabel, seconds, text } from "./kubernetesValues";
import { pinnedImage, secretOutput, strictObject } from "./fields";
import type { Issue } from "./problems";
import { linkTlsIssues, providerCredentialIssues } from "./serverSecurity";
import { quantityBytes } from "./quantity";
import { isRegionOf, notInPair } from "./regions";
import type { RegionPair } from "./regions";
import type { Region } from "./regions";

/** Plain (JSON) keys of this part of the config. */
export const kubernetesConfigKeys = ["kubernetes", "leafnode", "tls", "insecureLabWithoutLinkTls"] as const;
/** Secret keys of this part of the config; read with getSecret. */
export const kubernetesSecretKeys = ["kubeconfig", "appPassword", "leafnodePassword", "systemPassword"] as const;

/** Images of the pod, pinned by tag or digest. */
export const defaultImages = {
  nats: "nats:2.14.9-alpine",
  reloader: "natsio/nats-server-config-reloader:0.23.0",
  exporter: "natsio/prometheus-nats-exporter:0.20.1",
} as const;

/**
 * AWS Load Balancer Controller: an internal NLB sending to pod IPs with the client's source IP
 * preserved, which the NetworkPolicy's ipBlock rules (peerCidrs, allowedClientCidrs) need.
 */
export const defaultLoadBalancerAnnotations: Readonly<Record<string, string>> = {
  "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
  "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
  "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes": "preserve_client_ip.enabled=true",
  "service.beta.kubernetes.io/aws-load-balancer-type": "external",
};

function kubernetesSchema() {
  return strictObject({
    /** kubeconfig context. @default the kubeconfig's current context */
    context: text("a kubeconfig context name").optional(),
    /** @default "nats" */
    namespace: dnsLabel("the namespace of the NATS servers").default("nats"),
    /** @default "gp3" */
    storageClass: dnsLabel('a StorageClass name such as "gp3"').default("gp3"),
    /** JetStream volume per server. @default "100Gi" */
    storageSize: bytesQuantity("100Gi").default("100Gi"),
    /** Let one update change storageSize or storageClass (the StatefulSet is replaced). @default false */
    allowVolumeTemplateChange: z.boolean({ error: () => "must be true or false" }).default(false),
    /** @default 3 */
    replicas: z
      .number({ error: () => "must be a whole number of servers, e.g. 3" })
      .int("must be a whole number of servers, e.g. 3")
      .min(1, "must be at least 1; use 3 for production")
      .refine(
        (count) => count % 2 === 1,
        "must be odd (3 or 5): JetStream needs a majority of the servers, and an even count survives no more failures than the odd count below it",
      )
      .default(3),
    /** nats container resources. @default requests { cpu: "1", memory: "2Gi" }, limits { memory: "2Gi" } */
    resources: strictObject({
      requests: strictObject({ cpu: cpuQuantity().default("1"), memory: bytesQuantity("2Gi").default("2Gi") }).prefault(
        {},
      ),
      limits: strictObject({ cpu: cpuQuantity().optional(), memory: bytesQuantity("2Gi").default("2Gi") }).prefault({}),
    }).prefault({}),
    /**
     * JetStream limits. orphanHeadroom: file store per server that the catalog's streams may not
     * reserve, kept for orphan and diverged copies (capacity.ts). @default { maxMemory: "512Mi",
     * maxFile: 90% of storageSize, orphanHeadroom: 5% of maxFile }
     */
    jetstream: strictObject({
      maxMemory: bytesQuantity("512Mi").default("512Mi"),
      maxFile: bytesQuantity("90Gi").optional(),
      orphanHeadroom: bytesQuantity("5Gi").optional(),
    }).prefault({}),
    /** @default { duration: "30s", gracePeriod: "10s" } */
    lameDuck: strictObject({ duration: seconds(30).default(30), gracePeriod: seconds(0).default(10) }).prefault({}),
    /** @default defaultImages */
    images: strictObject({
      nats: pinnedImage(defaultImages.nats).default(defaultImages.nats),
      reloader: pinnedImage(defaultImages.reloader).default(defaultImages.reloader),
      exporter: pinnedImage(defaultImages.exporter).default(defaultImages.exporter),
    }).prefault({}),
    /** Namespaces whose pods may use the client port (the servers' own namespace always may). @default [] */
    allowedClientNamespaces: z.array(dnsLabel("a namespace name")).default([]),
    /** Address ranges that may use the client port through the load balancer. @default [] */
    allowedClientCidrs: z.array(cidr()).default([]),
    /** Namespace of Prometheus, allowed on the monitoring and metrics ports. @default "monitoring" */
    monitoringNamespace: dnsLabel("the namespace of Prometheus").default("monitoring"),
    /** The other region's address ranges, the only ones allowed on the leafnode port. @default [] */
    peerCidrs: z.array(cidr()).default([]),
    /** Annotations of the LoadBalancer Service. @default defaultLoadBalancerAnnotations */
    loadBalancerAnnotations: z
      .record(z.string(), z.string(), { error: () => "must map annotation names to strings" })
      .default({
        ...defaultLoadBalancerAnnotations,
      }),
  });
}

function leafnodeSchema(pair: RegionPair) {
  return strictObject({
    /** The region that accepts the leafnode; the other one dials it. Fixed: not activeRegion. @default the first of nats-dr:regionPair */
    listenRegion: z.enum(pair, { error: (issue) => notInPair(pair, issue.input) }).default(pair[0]),
    /** @default 7422 */
    port: z
      .number({ error: () => "must be a TCP port number such as 7422" })
      .int()
      .min(1)
      .max(65535, "must be a TCP port from 1 to 65535")
      .default(7422),
    /** "host" or "host:port" of the listening region's load balancer, for the dialing region. @default [] */
    listenerHosts: z
      .array(
        text('a host name such as "nats-leaf.us-east-1.example.com"').regex(
          /^[A-Za-z0-9.-]+(:\d{1,5})?$/,
          'must be "host" or "host:port"',
        ),
      )
      .default([]),
    /**
     * The listening region's stack, whose output natsClientEndpoint the dialing region reads (a
     * StackReference) instead of listenerHosts: "stack", "project/stack" or "org/project/stack".
     * @default none: listenerHosts
     */
    listenerStack: text('a stack name such as "us-east-1" or "acme/nats-dr/us-east-1"')
      .regex(
        /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+){0,2}$/,
        'must be a stack name: "stack", "project/stack" or "org/project/stack", e.g. "acme/nats-dr/us-east-1"',
      )
      .optional(),
    /** Pause between attempts to reach the listening region (retried forever). @default "1s" */
    reconnect: seconds(1).default(1),
  }).prefault({});
}

function tlsSchema() {
  return strictObject({
    /** A Secret in the namespace with tls.crt, tls.key and ca.crt (cert-manager's layout). */
    secretName: dnsLabel("the name of a kubernetes.io/tls Secret with ca.crt"),
    /** TLS on the client port. @default true */
    client: z.boolean({ error: () => "must be true or false" }).default(true),
    /** TLS between the servers of the region. @default true */
    cluster: z.boolean({ error: () => "must be true or false" }).default(true),
    /** TLS on the leafnode between the regions. @default true */
    leafnode: z.boolean({ error: () => "must be true or false" }).default(true),
    /** Require client certificates on the client port. @default false */
    verifyClients: z.boolean({ error: () => "must be true or false" }).default(false),
  }).optional();
}

/** The fields this module adds to the stack config schema. */
export function kubernetesConfigShape(pair: RegionPair) {
  return {
    kubernetes: kubernetesSchema().optional(),
    leafnode: leafnodeSchema(pair),
    tls: tlsSchema(),
    /**
     * Lab only: run the leafnode and the routes without TLS (and the routes without certificate
     * authentication). @default false: nats-dr:tls must cover both
     */
    insecureLabWithoutLinkTls: z.boolean({ error: () => "must be true or false" }).default(false),
    kubeconfig: secretOutput,
    appPassword: secretOutput,
    leafnodePassword: secretOutput,
    systemPassword: secretOutput,
  };
}

/** Checks across keys; reads the (possibly partly raw) value defensively. */
export function kubernetesIssues(value: unknown, pair: RegionPair): Issue[] {
  if (!isPlainObject(value)) return [];
  if (value["kubernetes"] === undefined) {
    return value["insecureLabWithoutLinkTls"] === true
      ? [
          {
            path: ["insecureLabWithoutLinkTls"],
            message:
              "is true but nats-dr:kubernetes is not set, so this stack runs no servers and renders no leafnode or routes; remove it (pulumi config rm nats-dr:insecureLabWithoutLinkTls)",
          },
        ]
      : [];
  }
  const issues: Issue[] = [];
  const kubernetes = isPlainObject(value["kubernetes"]) ? value["kubernetes"] : {};
  const leafnode = isPlainObject(value["leafnode"]) ? value["leafnode"] : {};
  const region = value["region"];
  const listenRegion = leafnode["listenRegion"] ?? pair[0];
  for (const [key, purpose] of [
    ["appPassword", 'the password of user "app" in account APP (applications and the provider use it)'],
    ["leafnodePassword", "the password the regions' leafnode authenticates with; set the same value in both stacks"],
  ] as const) {
    if (value[key] === undefined) {
      issues.push({
        path: [key],
        message: `is not set but nats-dr:kubernetes is; it is ${purpose}: run pulumi config set --secret nats-dr:${key} <password>`,
      });
    }
  }
  if (isRegionOf(pair, region) && isRegionOf(pair, listenRegion)) {
    const hosts = leafnode["listenerHosts"];
    const hasHosts = Array.isArray(hosts) && hosts.length > 0;
    const stack = leafnode["listenerStack"];
    if (region !== listenRegion && !hasHosts && stack === undefined) {
      issues.push({
        path: ["leafnode", "listenerStack"],
        message: `is not set and nats-dr:leafnode.listenerHosts is empty; ${region} dials the leafnode of ${listenRegion} (nats-dr:leafnode.listenRegion): name ${listenRegion}'s stack, whose output natsClientEndpoint is its load balancer (e.g. "acme/nats-dr/${listenRegion}"), or list the host name in listenerHosts`,
      });
    }
    if (region !== listenRegion && hasHosts && stack !== undefined) {
      issues.push({
        path: ["leafnode", "listenerStack"],
        message: `is set and so is nats-dr:leafnode.listenerHosts; ${region} would not know which to dial: keep listenerStack (the host follows ${listenRegion}'s stack output) or listenerHosts (written by hand), and remove the other`,
      });
    }
    if (region === listenRegion && stack !== undefined) {
      issues.push({
        path: ["leafnode", "listenerStack"],
        message: `is set but ${region} is the listening region (nats-dr:leafnode.listenRegion) and dials nobody; remove it from this stack (pulumi config rm --path nats-dr:leafnode.listenerStack)`,
      });
    }
    const peers = kubernetes["peerCidrs"];
    if (region === listenRegion && (!Array.isArray(peers) || peers.length === 0)) {
      issues.push({
        path: ["kubernetes", "peerCidrs"],
        message: `is empty; ${region} accepts the leafnode (nats-dr:leafnode.listenRegion) and only these ranges may reach its port, so list the other region's VPC ranges, e.g. ["10.20.0.0/16"]`,
      });
    }
  }
  issues.push(...linkTlsIssues(value, kubernetes));
  issues.push(...providerCredentialIssues(value));
  const storage = quantityBytes(typeof kubernetes["storageSize"] === "string" ? kubernetes["storageSize"] : "100Gi");
  const jetstream = isPlainObject(kubernetes["jetstream"]) ? kubernetes["jetstream"] : {};
  const maxFile = typeof jetstream["maxFile"] === "string" ? quantityBytes(jetstream["maxFile"]) : undefined;
  if (maxFile && "bytes" in maxFile && "bytes" in storage && maxFile.bytes > storage.bytes) {
    issues.push({
      path: ["kubernetes", "jetstream", "maxFile"],
      message: `is larger than nats-dr:kubernetes.storageSize; JetStream would fill the volume, so lower it or raise storageSize`,
    });
  }
  const resources = isPlainObject(kubernetes["resources"]) ? kubernetes["resources"] : {};
  const limits = isPlainObject(resources["limits"]) ? resources["limits"] : {};
  const memoryLimit = quantityBytes(typeof limits["memory"] === "string" ? limits["memory"] : "2Gi");
  const maxMemory = quantityBytes(typeof jetstream["maxMemory"] === "string" ? jetstream["maxMemory"] : "512Mi");
  if ("bytes" in maxMemory && "bytes" in memoryLimit && maxMemory.bytes >= memoryLimit.bytes) {
    issues.push({
      path: ["kubernetes", "jetstream", "maxMemory"],
      message: `is not below nats-dr:kubernetes.resources.limits.memory; memory-backed streams would get the server OOM-killed, so lower it or raise the limit`,
    });
  }
  return issues;
}

type Shape = ReturnType<typeof kubernetesConfigShape>;
/** The parsed values of this module's keys (optional keys may be missing). */
type Parsed = { readonly [Key in keyof Shape]?: z.output<Shape[Key]> } & {
  readonly leafnode: z.output<Shape["leafnode"]>;
};

/** The validated settings of the region's NATS servers on Kubernetes. */
export interface KubernetesStackConfig {
  /** kubeconfig path or contents (secret). @default the ambient kubeconfig */
  readonly kubeconfig?: pulumi.Output<string>;
  readonly context?: string;
  readonly namespace: string;
  readonly storageClass: string;
  /** As written, e.g. "100Gi" (the PVC request). */
  readonly storageSize: string;
  /** Whether this update may change storageSize or storageClass (replacing the StatefulSet). */
  readonly allowVolumeTemplateChange: boolean;
  readonly replicas: number;
  readonly resources: {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu?: string; readonly memory: string };
  };
  /** Bytes. */
  readonly jetstream: { readonly maxMemoryBytes: number; readonly maxFileBytes: number };
  /** Seconds. */
  readonly lameDuck: { readonly durationSeconds: number; readonly gracePeriodSeconds: number };
  readonly images: { readonly nats: string; readonly reloader: string; readonly exporter: string };
  readonly allowedClientNamespaces: readonly string[];
  readonly allowedClientCidrs: readonly string[];
  readonly monitoringNamespace: string;
  readonly peerCidrs: readonly string[];
  readonly loadBalancerAnnotations: Readonly<Record<string, string>>;
  readonly leafnode: {
    readonly listenRegion: Region;
    readonly port: number;
    readonly listenerHosts: readonly string[];
    /** The listening region's stack whose output natsClientEndpoint is dialed (instead of listenerHosts). */
    readonly listenerStack?: string;
    readonly reconnectSeconds: number;
  };
  readonly tls?: {
    readonly secretName: string;
    readonly client: boolean;
    readonly cluster: boolean;
    readonly leafnode: boolean;
    readonly verifyClients: boolean;
  };
  readonly appPassword: pulumi.Output<string>;
  readonly leafnodePassword: pulumi.Output<string>;
  /** @default none: nobody logs in to the system account */
  readonly systemPassword?: pulumi.Output<string>;
}

/** The KubernetesStackConfig of parsed data, or undefined when `nats-dr:kubernetes` is not set. */
export function toKubernetesConfig(data: Parsed): KubernetesStackConfig | undefined {
  const { kubernetes, leafnode, appPassword, leafnodePassword } = data;
  // kubernetesIssues guarantees the passwords whenever kubernetes is set.
  if (kubernetes === undefined || appPassword === undefined || leafnodePassword === undefined) return undefined;
  const bytes = (quantity: string) => (quantityBytes(quantity) as { bytes: number }).bytes;
  const { maxMemory, maxFile } = kubernetes.jetstream;
  const { limits } = kubernetes.resources;
  return {
    ...(data.kubeconfig === undefined ? {} : { kubeconfig: pulumi.secret(data.kubeconfig) }),
    ...(kubernetes.context === undefined ? {} : { context: kubernetes.context }),
    namespace: kubernetes.namespace,
    storageClass: kubernetes.storageClass,
    storageSize: kubernetes.storageSize,
    allowVolumeTemplateChange: kubernetes.allowVolumeTemplateChange,
    replicas: kubernetes.replicas,
    resources: {
      requests: kubernetes.resources.requests,
      limits: { ...(limits.cpu === undefined ? {} : { cpu: limits.cpu }), memory: limits.memory },
    },
    // 10% of the volume stays free for the store's own files and compaction.
    jetstream: {
      maxMemoryBytes: bytes(maxMemory),
      maxFileBytes: maxFile === undefined ? Math.floor(bytes(kubernetes.storageSize) * 0.9) : bytes(maxFile),
    },
    lameDuck: { durationSeconds: kubernetes.lameDuck.duration, gracePeriodSeconds: kubernetes.lameDuck.gracePeriod },
    images: kubernetes.images,
    allowedClientNamespaces: [...kubernetes.allowedClientNamespaces].sort(),
    allowedClientCidrs: [...kubernetes.allowedClientCidrs].sort(),
    monitoringNamespace: kubernetes.monitoringNamespace,
    peerCidrs: [...kubernetes.peerCidrs].sort(),
    loadBalancerAnnotations: kubernetes.loadBalancerAnnotations,
    leafnode: {
      listenRegion: leafnode.listenRegion,
      port: leafnode.port,
      listenerHosts: [...leafnode.listenerHosts].sort(),
      ...(leafnode.listenerStack === undefined ? {} : { listenerStack: leafnode.listenerStack }),
      reconnectSeconds: leafnode.reconnect,
    },
    ...(data.tls === undefined ? {} : { tls: data.tls }),
    appPassword: pulumi.secret(appPassword),
    leafnodePassword: pulumi.secret(leafnodePassword),
    ...(data.systemPassword === undefined ? {} : { systemPassword: pulumi.secret(data.systemPassword) }),
  };
}
