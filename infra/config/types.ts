// The validated stack configuration the program works with.
import type * as pulumi from "@pulumi/pulumi";
import type { ConnectionSpec, CredentialsSpec, FailoverSpec } from "../../streams";
import type { Catalog } from "../catalog";
import type { AwsConfig, BackupConfig, DnsConfig } from "./aws";
import type { KubernetesStackConfig } from "./kubernetes";
import type { CheckpointsConfig } from "./checkpoints";
import type { MonitoringConfig } from "./monitoring";
import type { Region, RegionPair } from "./regions";

export interface RegionEndpoint {
  /** JetStream domain of the region. @default the region name */
  readonly domain: string;
  /** NATS client URLs; empty for the peer region when the stack file does not list them. */
  readonly servers: readonly string[];
}

/** How the provider authenticates; the values themselves stay secret Outputs. */
export const CredentialsMethods = {
  none: "none",
  userPassword: "userPassword",
  token: "token",
  creds: "creds",
} as const;
export type CredentialsMethod = (typeof CredentialsMethods)[keyof typeof CredentialsMethods];

export interface StackConfig {
  /** The project's two regions (`nats-dr:regionPair`). */
  readonly regionPair: RegionPair;
  /** This stack's region (`nats-dr:region`). */
  readonly region: Region;
  /** The other region of the pair. */
  readonly peerRegion: Region;
  /** The region whose replicated streams are primaries (`nats-dr:activeRegion`). */
  readonly activeRegion: Region;
  /** Both regions' domains and servers (`nats-dr:regions`, defaults filled in). */
  readonly regions: Readonly<Record<Region, RegionEndpoint>>;
  /** This region's endpoint (`regions[region]`). */
  readonly self: RegionEndpoint;
  /** The peer region's endpoint (`regions[peerRegion]`). */
  readonly peer: RegionEndpoint;
  /** How the provider reaches this stack's region: its servers plus `nats-dr:connection`. */
  readonly connection: ConnectionSpec;
  /** Secret credentials from natsUser/natsPassword, natsToken or natsCreds; undefined for none. */
  readonly credentials: pulumi.Output<CredentialsSpec> | undefined;
  readonly credentialsMethod: CredentialsMethod;
  /** `nats-dr:failover`, defaults filled in. */
  readonly failover: FailoverSpec;
  /** `nats-dr:checkpoints`, defaults filled in: the consumer checkpointer of this region. */
  readonly checkpoints: CheckpointsConfig;
  /** `nats-dr:allowDeleteWithMessages`. @default false */
  readonly allowDeleteWithMessages: boolean;
  /** `nats-dr:allowRecreateOverMirror`: streams that may be created empty over a peer mirror's history. @default [] */
  readonly allowRecreateOverMirror: readonly string[];
  /** `nats-dr:adoptStreams`: catalog streams not created by nats-dr that this stack takes over as they are. @default [] */
  readonly adoptStreams: readonly string[];
  /** The stream catalog: defaults merged with `nats-dr:catalog`, validated and canonical. */
  readonly catalog: Catalog;
  /** `nats-dr:aws`: the region's EKS OIDC provider for IRSA; set whenever `kubernetes` is. */
  readonly aws: AwsConfig | undefined;
  /** `nats-dr:dns`: Route53 zone, client hostname, health check (defaults filled in); undefined: no DNS. */
  readonly dns: DnsConfig | undefined;
  /** `nats-dr:backup`: bucket, lifecycle and CronJob (defaults filled in); `enabled: false` declares none. */
  readonly backup: BackupConfig;
  /** NATS servers on Kubernetes (`nats-dr:kubernetes`, `leafnode`, `tls`); undefined: run elsewhere. */
  readonly kubernetes: KubernetesStackConfig | undefined;
  /** `nats-dr:monitoring`, defaults filled in; used only with `kubernetes`. */
  readonly monitoring: MonitoringConfig;
}
