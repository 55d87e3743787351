// The region's backup CronJob in the NATS namespace: its IRSA ServiceAccount, the generated script
// in a ConfigMap, and the CronJob that runs it with the real nats and aws CLIs.
import type * as k8s from "@pulumi/kubernetes";
import { kubernetesPackage } from "../packages";
import * as pulumi from "@pulumi/pulumi";
import { backupCronJob, backupScriptConfigMap, backupServiceAccount } from "./objects";
import type { BackupJobSettings } from "./objects";
import { renderBackupScript } from "./script";

export interface BackupJobArgs extends BackupJobSettings {
  /** The stack's region (AWS_REGION of the job). */
  readonly region: string;
  /** Streams that live in the region (backupStreams), in the order they are backed up. */
  readonly streams: readonly string[];
  /** The NATS namespace (the Kubernetes component's). */
  readonly namespace: pulumi.Input<string>;
  /** NATS URL inside the cluster, e.g. "nats://nats-headless.nats.svc:4222". */
  readonly natsUrl: pulumi.Input<string>;
  /** JetStream domain of the region. */
  readonly domain: string;
  /** Backup bucket name and key prefix: the job uploads to s3://<bucket>/<prefix>/<stream>/<timestamp>/. */
  readonly bucketName: pulumi.Input<string>;
  readonly prefix: string;
  /** The region's Kubernetes provider. */
  readonly provider: k8s.Provider;
}

export class BackupJob extends pulumi.ComponentResource {
  public readonly script: string;
  public readonly serviceAccount: k8s.core.v1.ServiceAccount;
  public readonly cronJob: k8s.batch.v1.CronJob;

  constructor(name: string, args: BackupJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super("natsdr:backup:BackupJob", name, {}, opts);
    const { batch, core } = kubernetesPackage();
    const children = { parent: this, provider: args.provider };
    this.script = renderBackupScript({ region: args.region, streams: args.streams });
    const input = {
      ...args,
      script: this.script,
      target: pulumi.interpolate`s3://${args.bucketName}/${args.prefix}`,
    };
    this.serviceAccount = new core.v1.ServiceAccount(`${name}-sa`, backupServiceAccount(input), children);
    const script = new core.v1.ConfigMap(`${name}-script`, backupScriptConfigMap(input), children);
    this.cronJob = new batch.v1.CronJob(
      `${name}-cronjob`,
      backupCronJob(input),
      pulumi.mergeOptions(children, { dependsOn: [this.serviceAccount, script] }),
    );
    this.registerOutputs({ cronJobName: this.cronJob.metadata.name, streams: [...args.streams] });
  }
}
