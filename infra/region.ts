// Everything one region's stack declares: the JetStream streams and consumers, the NATS servers
// on Kubernetes, and the AWS side (backup bucket, backup CronJob and its IAM role, Route53).
import type { StackConfig } from "./config";
import { declareFailoverPlan, type FailoverPlan } from "./failoverPlan";
import { declareNats, SecretKeys, Users } from "./kubernetes";
import type { NatsCluster } from "./kubernetes";
import { NatsMonitoring, monitoringSettings } from "./monitoring";
import { declareRegionAws, inClusterNatsUrl, kubernetesParts } from "./regionAws";
import type { RegionAws } from "./regionAws";
import { RegionStreams, planRegionStreams } from "./streams";
import type { PlannedStream, RegionStreamsArgs } from "./streams";
import type * as pulumi from "@pulumi/pulumi";
import { Checkpointer, planCheckpoints, type CheckpointPlan } from "./checkpoints";

/** The RegionStreams inputs for a stack config: the plan plus this region's connection. Pure. */
export function regionStreamsArgs(config: StackConfig): RegionStreamsArgs {
  const streams = planRegionStreams(config);
  const checkpoints = regionCheckpoints(config, streams);
  return {
    streams,
    connection: config.connection,
    credentials: config.credentials,
    domain: config.self.domain,
    failover: config.failover,
    allowDeleteWithMessages: config.allowDeleteWithMessages,
    allowRecreateOverMirror: config.allowRecreateOverMirror,
    adoptStreams: config.adoptStreams,
    ...(checkpoints === undefined ? {} : { checkpointStream: checkpoints.stream, ackStream: checkpoints.ackStream }),
  };
}

/** This region's checkpoints (the checkpointer and the stream keeping the peer's), if any. Pure. */
export function regionCheckpoints(
  config: StackConfig,
  streams: readonly PlannedStream[] = planRegionStreams(config),
): CheckpointPlan | undefined {
  return planCheckpoints({
    domain: config.self.domain,
    enabled: config.checkpoints.enabled,
    interval: config.checkpoints.interval,
    streams,
  });
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
  /** The consumer checkpointer; undefined without Kubernetes or with `nats-dr:checkpoints.enabled: false`. */
  readonly checkpointer: Checkpointer | undefined;
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
  const checkpoints = regionCheckpoints(config);
  const checkpointer =
    nats === undefined || checkpoints === undefined
      ? undefined
      : new Checkpointer("checkpointer", {
          provider: nats.provider,
          namespace: nats.namespace,
          plan: checkpoints,
          image: config.backup.natsImage,
          natsUrl: inClusterNatsUrl(nats.headlessServiceName, nats.namespace),
          credentialsChecksum: nats.statefulSet.spec.template.metadata.annotations.apply(
            (annotations) => annotations?.["checksum/credentials"] ?? "",
          ),
          ...checkpointerConnection(config, nats),
        });
  const monitoring =
    nats === undefined || settings === undefined
      ? undefined
      : new NatsMonitoring("monitoring", { provider: nats.provider, namespace: nats.namespace, settings });
  return {
    jetstream,
    nats,
    aws,
    monitoring,
    failoverPlan: declareFailoverPlan(config, streamsArgs.streams),
    checkpointer,
  };
}

/** The app user and, with TLS on the client port, the CA: as the backup job connects. Pure. */
function checkpointerConnection(config: StackConfig, nats: NatsCluster) {
  const parts = kubernetesParts(config, nats);
  return {
    credentials: { secretName: nats.credentialsSecretName, user: Users.app, passwordKey: SecretKeys.appPassword },
    ...(parts.tlsCa === undefined ? {} : { tlsCa: parts.tlsCa }),
  };
}
