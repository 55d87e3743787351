// The one schema for everything a stack reads from `nats-dr:*` config (except the secret values,
// which stay pulumi Outputs and are only checked for presence). Keys are camelCase; every key's
// default is documented here and in docs/configuration.md.
import { z } from "zod";
// connectionSchema and failoverSchema are not re-exported by streams/index.ts yet.
import { connectionSchema, failoverSchema } from "../../streams";
import { CatalogModes, resolveCatalog } from "../catalog";
import { awsIssues, awsSchema, backupSchema, dnsIssues, dnsSchema } from "./aws";
import { capacityIssues, replicaIssues } from "./capacity";
import { checkpointsSchema } from "./checkpoints";
import { adoptIssues, crossKeyIssues, recreateIssues } from "./crossChecks";
import { kubernetesConfigShape, kubernetesIssues } from "./kubernetes";
import { monitoringIssues, monitoringSchema } from "./monitoring";
import { secretOutput, strictObject } from "./fields";
import { notInPair, regionChoices, regionPairSchema } from "./regions";
import type { RegionPair } from "./regions";

function regionSchema(pair: RegionPair, missing: string) {
  return z.enum(pair, {
    error: (issue) => (issue.input === undefined ? missing : notInPair(pair, issue.input)),
  });
}

function endpointSchema() {
  return strictObject({
    /** JetStream domain of the region. @default the region name */
    domain: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'a JetStream domain is letters, digits, "-" and "_", e.g. "us-east-1"')
      .optional(),
    /** Client URLs the provider uses to reach the region; required for the stack's own region. */
    servers: connectionSchema().shape.servers.optional(),
  });
}

function regionsSchema(pair: RegionPair) {
  const entries = Object.fromEntries(pair.map((name) => [name, endpointSchema().optional()]));
  return z
    .strictObject(entries, {
      error: (issue) =>
        issue.code === "unrecognized_keys"
          ? `unknown region ${issue.keys.map((key) => `"${key}"`).join(", ")}; use ${regionChoices(pair)} (the regions of nats-dr:regionPair)`
          : undefined,
    })
    .prefault({});
}

function catalogSchema(pair: RegionPair) {
  const entries = (what: string, example: string) =>
    z
      .record(z.string(), z.record(z.string(), z.unknown()), {
        error: (issue) =>
          issue.code === "invalid_type" ? `each ${what} entry is an object such as ${example}` : undefined,
      })
      .optional();
  return strictObject({
    mode: z
      .enum(CatalogModes, { error: () => 'mode is "extend" (merge into the default catalog) or "replace"' })
      .optional(),
    streams: entries("stream", '{ maxAge: "7d" }'),
    consumers: entries("consumer", '{ stream: "events" }'),
  })
    .optional()
    .transform((input, context) => {
      // Entries are checked field by field inside resolveCatalog (they may be partial overrides).
      const resolved = resolveCatalog(input, pair);
      if ("catalog" in resolved) return resolved.catalog;
      for (const issue of resolved.issues)
        context.addIssue({ code: "custom", path: [...issue.path], message: issue.message });
      return z.NEVER;
    });
}

/**
 * The schema of a stack's config for the project's region pair (`nats-dr:regionPair`, parsed first
 * by parseStackConfig: every region-valued key is checked against it).
 */
export function stackConfigSchema(pair: RegionPair) {
  return z
    .object({
      /** The project's two regions. @default ["us-east-1", "eu-central-1"] (Pulumi.yaml project config) */
      regionPair: regionPairSchema(),
      /** The stack's region. Required; the stack settings file sets it. */
      region: regionSchema(
        pair,
        `is not set; the stack settings file sets it, e.g. pulumi config set nats-dr:region ${pair[0]} (${regionChoices(pair)})`,
      ),
      /** The region whose streams are primaries. @default the first of the pair (Pulumi.yaml project config) */
      activeRegion: regionSchema(
        pair,
        `is not set; Pulumi.yaml gives it the project default (config: nats-dr:activeRegion: default: ${pair[0]}), restore that entry (${regionChoices(pair)})`,
      ),
      /** Per region: JetStream domain (@default the region name) and servers. */
      regions: regionsSchema(pair),
      /** @default { connectTimeoutMs: 5000, requestTimeoutMs: 5000 } */
      connection: strictObject({
        connectTimeoutMs: connectionSchema().shape.connectTimeoutMs,
        requestTimeoutMs: connectionSchema().shape.requestTimeoutMs,
      }).prefault({}),
      /** @default { peerTimeoutMs: 3000, peerSettleMs: 15000, catchupTimeoutMs: 30000, consumerDrainTimeoutMs: 5000, unplannedConsumerRewind: "unlimited" } */
      failover: strictObject(failoverSchema().shape).prefault({}),
      /** The consumer checkpointer (infra/config/checkpoints.ts). @default { enabled: true, interval: "1s" } */
      checkpoints: checkpointsSchema(),
      /** Let removing a stream delete it while it holds messages. @default false */
      allowDeleteWithMessages: z.boolean({ error: () => "must be true or false" }).default(false),
      /**
       * Replicated streams that may be created empty although the peer's mirror of them still holds
       * an earlier stream's messages (they were deleted here). @default []
       */
      allowRecreateOverMirror: z
        .array(z.string(), { error: () => 'must be a list of stream names, e.g. ["orders"]' })
        .default([]),
      /**
       * Catalog streams of this region that exist but were not created by nats-dr, to take over as
       * they are (streams/adoption.ts). @default []
       */
      adoptStreams: z.array(z.string(), { error: () => 'must be a list of stream names, e.g. ["orders"]' }).default([]),
      /** Streams and consumers. @default the default catalog (infra/catalog/defaults.ts) */
      catalog: catalogSchema(pair),
      /** The region's EKS OIDC provider (IRSA for the backup job). Required with nats-dr:kubernetes. */
      aws: awsSchema(),
      /** Route53 zone, client hostname and health check: { hostedZoneId, hostname }. @default none (no DNS) */
      dns: dnsSchema(),
      /** S3 backup bucket and CronJob. @default enabled, hourly, 30 days, noncurrent 7 days, aws:kms */
      backup: backupSchema(),
      /** Credentials, as secret Outputs: natsUser + natsPassword, or natsToken, or natsCreds. @default none */
      natsUser: secretOutput,
      natsPassword: secretOutput,
      natsToken: secretOutput,
      natsCreds: secretOutput,
      /** NATS on Kubernetes: kubernetes, leafnode, tls, kubeconfig and the server passwords (infra/config/kubernetes.ts). */
      ...kubernetesConfigShape(pair),
      /** Scraping, alert rules and dashboard of the servers on Kubernetes (infra/config/monitoring.ts). @default every default */
      monitoring: monitoringSchema().optional(),
      /** Keys found under `nats-dr:` that this program does not read (typos). */
      unknownKeys: z.array(z.string()).default([]),
    })
    .superRefine(
      (value: unknown, context) => {
        for (const issue of [
          ...crossKeyIssues(value, pair),
          ...recreateIssues(value),
          ...adoptIssues(value, pair),
          ...kubernetesIssues(value, pair),
          ...monitoringIssues(value),
          ...capacityIssues(value),
          ...replicaIssues(value),
          ...awsIssues(value),
          ...dnsIssues(value),
        ])
          context.addIssue({ code: "custom", path: [...issue.path], message: issue.message });
      },
      // Also when single keys failed (the value is then partly raw), so every problem shows at once.
      { when: () => true },
    );
}

export type ParsedStackConfig = z.output<ReturnType<typeof stackConfigSchema>>;
