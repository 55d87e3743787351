// The stack outputs of a region's stack. Parts a stack does not declare (no Kubernetes, no DNS, no
// backups) are left out rather than exported as undefined, which Pulumi warns about on every run.
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config";
import type { FailoverPlan } from "./failoverPlan";
import type { DeclaredRegion } from "./region";
import type { StreamEvidence } from "./streams";

export interface StackOutputs {
  readonly region: string;
  readonly activeRegion: string;
  /** Role of each stream in this region ("primary" | "mirror"), by stream name. */
  readonly streams: pulumi.Output<Record<string, string>>;
  /** The stream each durable consumer in this region reads, by consumer name. */
  readonly consumers: pulumi.Output<Record<string, string>>;
  /** Per stream: lastPromotion, lastDemotion, pendingOrphans, originCheck and lastMirrorRepair, the failover evidence for auditors. */
  readonly failoverEvidence: pulumi.Output<Record<string, StreamEvidence>>;
  /**
   * What the run that wrote these outputs planned for each stream whose role it changed (mode,
   * lag, consumer positions, orphans, RPO), asked of both regions as it started; compare it with
   * failoverEvidence. Streams empty when that run changed no role.
   */
  readonly failoverPlan?: pulumi.Output<FailoverPlan>;
  /** The streams the backup CronJob (or the script, run by hand) backs up in this region. */
  readonly backupStreams: readonly string[];
  /** Host name of this region's NATS load balancer (clients, and the leafnode of the listening region). */
  readonly natsClientEndpoint?: pulumi.Output<string>;
  /** The region's backup bucket; backups are under <prefix>/<stream>/<timestamp>/. */
  readonly backupBucket?: pulumi.Output<string>;
  /** Weight of this region's client record: 1 while activeRegion is this region, else 0 (docs/dns.md). */
  readonly dnsWeight?: number;
  /** The Route53 health check of this region's endpoint. */
  readonly healthCheckId?: pulumi.Output<string>;
}

/** The outputs of the declared region, without the parts it does not have. */
export function stackOutputs(config: StackConfig, declared: DeclaredRegion): StackOutputs {
  const { jetstream, nats, aws, failoverPlan } = declared;
  return {
    region: config.region,
    activeRegion: config.activeRegion,
    streams: jetstream.roles,
    consumers: jetstream.consumerStreams,
    failoverEvidence: jetstream.evidence,
    ...(failoverPlan === undefined ? {} : { failoverPlan }),
    backupStreams: aws?.backupStreams ?? [],
    ...(nats === undefined ? {} : { natsClientEndpoint: nats.clientEndpoint }),
    ...(aws?.backupBucket === undefined ? {} : { backupBucket: aws.backupBucket.bucketName }),
    ...(aws?.dns === undefined ? {} : { dnsWeight: aws.dns.weight, healthCheckId: aws.dns.healthCheck.id }),
  };
}
