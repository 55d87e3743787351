// The AWS side of one region's stack: the explicit AWS provider, the backup bucket, the backup
// CronJob with its IRSA role (when NATS runs on Kubernetes), and the region's Route53 health check
// and client record. Nothing here depends on activeRegion except the record's weight.
import type * as aws from "@pulumi/aws";
import { awsPackage } from "./packages";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BackupBucket, BackupRole, awsProviderArgs, backupBucketName } from "./aws";
import { BackupJob, backupStreams } from "./backup";
import type { BackupCredentials } from "./backup";
import { HealthCheckTypes, healthCheckTypeOf } from "./config";
import type { DnsConfig, StackConfig } from "./config";
import { NlbHealthAlarm, RegionDns } from "./dns";
import { Ports, SecretKeys, Users } from "./kubernetes";
import type { NatsCluster } from "./kubernetes";

/** What the region's Kubernetes component (infra/kubernetes) gives the AWS side. */
export interface KubernetesParts {
  /** The explicit Kubernetes provider of the region. */
  readonly provider: k8s.Provider;
  /** The NATS namespace; the backup CronJob runs there. */
  readonly namespace: pulumi.Input<string>;
  /** Hostname of the client LoadBalancer: the DNS record's target. */
  readonly clientEndpoint: pulumi.Input<string>;
  /** The headless Service of the servers: the backup job connects through it. */
  readonly headlessServiceName: pulumi.Input<string>;
  /** NATS client port. @default 4222 */
  readonly clientPort?: number;
  /** How the backup job authenticates (the component's Secret). @default none */
  readonly credentials?: BackupCredentials;
  /** The CA Secret and key when the client port uses TLS. @default plain connection */
  readonly tlsCa?: { readonly secretName: pulumi.Input<string>; readonly key: string };
}

export interface RegionAws {
  readonly provider: aws.Provider;
  /** The backup bucket; undefined when `nats-dr:backup.enabled` is false. */
  readonly backupBucket?: BackupBucket;
  readonly backupRole?: BackupRole;
  readonly backupJob?: BackupJob;
  /** The Route53 health check and record; undefined when `nats-dr:dns` is not set. */
  readonly dns?: RegionDns;
  /** Streams the backup covers in this region (empty when backups are off). */
  readonly backupStreams: readonly string[];
}

/** True when the stack declares any AWS resource (Route53 or backups); else no AWS provider is loaded. Pure. */
export function declaresAws(config: StackConfig): boolean {
  return config.dns !== undefined || config.backup.enabled;
}

/** The parts of the region's NatsCluster the AWS side uses: the backup job logs in as user "app". */
export function kubernetesParts(config: StackConfig, nats: NatsCluster): KubernetesParts {
  const tls = config.kubernetes?.tls;
  return {
    provider: nats.provider,
    namespace: nats.namespace,
    clientEndpoint: nats.clientEndpoint,
    headlessServiceName: nats.headlessServiceName,
    clientPort: Ports.client,
    credentials: { secretName: nats.credentialsSecretName, user: Users.app, passwordKey: SecretKeys.appPassword },
    ...(tls?.client === true ? { tlsCa: { secretName: tls.secretName, key: "ca.crt" } } : {}),
  };
}

/** The host of the first server URL ("nats://nats.us-east-1.internal:4222" -> "nats.us-east-1.internal"). Pure. */
export function endpointOfServers(servers: readonly string[]): string {
  const [first] = servers;
  if (first === undefined) throw new Error("the stack's region lists no servers (nats-dr:regions.<region>.servers)");
  return new URL(first).hostname;
}

/** `nats://<service>.<namespace>.svc:<port>`: every server of the region, from inside the cluster. */
export function inClusterNatsUrl(
  service: pulumi.Input<string>,
  namespace: pulumi.Input<string>,
  port = 4222,
): pulumi.Output<string> {
  return pulumi.interpolate`nats://${service}.${namespace}.svc:${port}`;
}

/**
 * Declares the AWS side of the region, or nothing (undefined) when the stack declares neither DNS
 * nor backups: then no AWS provider plugin is needed. `streams` are the region's stream
 * resources: the DNS record waits for them. Without `kubernetes` (servers run elsewhere) there is
 * no CronJob and no IRSA role, and the record points at the host of the region's first server URL.
 */
export function declareRegionAws(
  config: StackConfig,
  input: { streams: readonly pulumi.Resource[]; kubernetes?: KubernetesParts },
): RegionAws | undefined {
  if (!declaresAws(config)) return undefined;
  const region = config.region;
  const provider = new (awsPackage().Provider)(
    `aws-${region}`,
    awsProviderArgs({ project: pulumi.getProject(), stack: pulumi.getStack(), region }),
  );
  const { dns } = config;
  const backup = config.backup.enabled
    ? declareBackup(config, provider, input.kubernetes)
    : { backupStreams: [] as readonly string[] };
  const dnsComponent = dns === undefined ? undefined : declareDns(config, dns, provider, input);
  return { provider, ...backup, ...(dnsComponent === undefined ? {} : { dns: dnsComponent }) };
}

/**
 * The region's health check and record. With its own servers (nats-dr:kubernetes) and no check
 * type or alarm configured, the check follows an alarm on the client load balancer's healthy
 * targets (NlbHealthAlarm): the load balancer is internal, out of reach of Route53's checkers.
 */
function declareDns(
  config: StackConfig,
  dns: DnsConfig,
  provider: aws.Provider,
  input: { streams: readonly pulumi.Resource[]; kubernetes?: KubernetesParts },
): RegionDns {
  const region = config.region;
  const type = healthCheckTypeOf(dns.healthCheck.type, input.kubernetes !== undefined);
  const alarm =
    type === HealthCheckTypes.cloudwatch && dns.healthCheck.alarmName === undefined && input.kubernetes !== undefined
      ? new NlbHealthAlarm("dns-alarm", {
          region,
          endpoint: input.kubernetes.clientEndpoint,
          clientPort: input.kubernetes.clientPort ?? Ports.client,
          alarmName: `${pulumi.getProject()}-${pulumi.getStack()}-${region}-no-healthy-nats`,
          minutes: dns.healthCheck.failureThreshold,
          provider,
        })
      : undefined;
  return new RegionDns("dns", {
    region,
    activeRegion: config.activeRegion,
    hostedZoneId: dns.hostedZoneId,
    hostname: dns.hostname,
    ttl: dns.ttl,
    healthCheck: { ...dns.healthCheck, type },
    ...(alarm === undefined ? {} : { alarmName: alarm.alarmName }),
    endpoint: input.kubernetes?.clientEndpoint ?? endpointOfServers(config.self.servers),
    streams: input.streams,
    provider,
  });
}

/** The backup bucket, and with Kubernetes the IRSA role and the CronJob. */
function declareBackup(
  config: StackConfig,
  provider: aws.Provider,
  kubernetes: KubernetesParts | undefined,
): Pick<RegionAws, "backupBucket" | "backupRole" | "backupJob" | "backupStreams"> {
  const region = config.region;
  const { backup } = config;
  const backupBucket = new BackupBucket("backups", {
    bucketName: backup.bucketName ?? backupBucketName(pulumi.getProject(), pulumi.getStack(), region),
    prefix: backup.prefix,
    retentionDays: backup.retentionDays,
    noncurrentDays: backup.noncurrentDays,
    encryption: backup.encryption,
    ...(backup.kmsKeyArn === undefined ? {} : { kmsKeyArn: backup.kmsKeyArn }),
    provider,
  });
  const streams = backupStreams(config);
  let backupRole: BackupRole | undefined;
  let backupJob: BackupJob | undefined;
  if (kubernetes !== undefined) {
    if (config.aws === undefined)
      throw new Error("nats-dr:aws is required with nats-dr:kubernetes (the schema checks this)");
    backupRole = new BackupRole("backup", {
      oidcProviderArn: config.aws.oidcProviderArn,
      namespace: kubernetes.namespace,
      serviceAccountName: backup.serviceAccountName,
      bucketArn: backupBucket.bucketArn,
      prefix: backup.prefix,
      ...(backup.kmsKeyArn === undefined ? {} : { kmsKeyArn: backup.kmsKeyArn }),
      provider,
    });
    backupJob = new BackupJob("backup", {
      region,
      streams,
      namespace: kubernetes.namespace,
      natsUrl: inClusterNatsUrl(kubernetes.headlessServiceName, kubernetes.namespace, kubernetes.clientPort),
      domain: config.self.domain,
      bucketName: backupBucket.bucketName,
      prefix: backup.prefix,
      roleArn: backupRole.roleArn,
      ...(kubernetes.credentials === undefined ? {} : { credentials: kubernetes.credentials }),
      ...(kubernetes.tlsCa === undefined ? {} : { tlsCa: kubernetes.tlsCa }),
      serviceAccountName: backup.serviceAccountName,
      schedule: backup.schedule,
      image: backup.image,
      natsImage: backup.natsImage,
      successfulJobsHistoryLimit: backup.successfulJobsHistoryLimit,
      failedJobsHistoryLimit: backup.failedJobsHistoryLimit,
      activeDeadlineSeconds: backup.activeDeadlineSeconds,
      provider: kubernetes.provider,
    });
  }
  return {
    backupBucket,
    ...(backupRole === undefined ? {} : { backupRole }),
    ...(backupJob === undefined ? {} : { backupJob }),
    backupStreams: streams,
  };
}
