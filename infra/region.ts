// Everything one region's stack declares: the JetStream streams and consumers, the NATS servers
// on Kubernetes, and the AWS side (backup bucket, backup CronJob and its IAM role, Route53).
import type { StackConfig } from "./config";
import { declareFailoverPlan, type FailoverPlan } from "./failoverPlan";
import { declareNats } from "./kubernetes";
import type { NatsCluster } from "./kubernetes";
import { NatsMonitoring, monitoringSettings } from "./monitoring";
import { declareRegionAws, kubernetesParts } from "./regionAws";
import type { RegionAws } from "./regionAws";
import { RegionStreams, planRegionStreams } from "./streams";
import type { RegionStreamsArgs } from "./streams";
import type * as pulumi from "@pulumi/pulumi";

/** The RegionStreams inputs for a stack config: the plan plus this region's connection. Pure. */
export function regionStreamsArgs(config: StackConfig): RegionStreamsArgs {
  return {
    streams: planRegionStreams(config),
    connection: config.connection,
    credentials: config.credentials,
    domain: config.regions[config.region].domain,
    failover: config.failover,
    allowDeleteWithMessages: config.allowDeleteWithMessages,
    allowRecreateOverMirror: config.allowRecreateOverMirror,
    adoptStreams: config.adoptStreams,
  };
}

export interface DeclaredRegion {
  readonly jetstream: RegionStreams;
  /** The region's NATS servers on Kubernetes; undefined when `nats-dr:kubernetes` is not set. */
  readonly nats: NatsCluster | undefined;
  /**
   * AWS provider, backup bucket (and CronJob with its IAM role on Kubernetes), Route53 health check
   * and record; undefined when the stack declares neither `nats-dr:dns` nor backups.
   */
  readonly aws: RegionAws | undefined;
  /** Scraping, alert rules and dashboard; undefined without Kubernetes or with `nats-dr:monitoring.enabled: false`. */
  readonly monitoring: NatsMonitoring | undefined;
  /** What this run will do to each stream whose role changes, asked of both regions as it starts (docs/failover.md). */
  readonly failoverPlan: pulumi.Output<FailoverPlan> | undefined;
}

/** Declares the region's resources. `name` prefixes every resource name. */
export function declareRegion(config: StackConfig, name = "jetstream"): DeclaredRegion {
  const nats = declareNats(config);
  const streamsArgs = regionStreamsArgs(config);
  const jetstream = new RegionStreams(name, streamsArgs, nats === undefined ? {} : { dependsOn: [nats.statefulSet] });
  const streams = Object.values(jetstream.streams);
  const aws = declareRegionAws(config, {
    streams,
    ...(nats === undefined ? {} : { kubernetes: kubernetesParts(config, nats) }),
  });
  const settings = monitoringSettings(config);
  const monitoring =
    nats === undefined || settings === undefined
      ? undefined
      : new NatsMonitoring("monitoring", { provider: nats.provider, namespace: nats.namespace, settings });
  return { jetstream, nats, aws, monitoring, failoverPlan: declareFailoverPlan(config, streamsArgs.streams) };
}
