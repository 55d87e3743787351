// The IAM role the backup CronJob's ServiceAccount assumes (IRSA): trusted by exactly that
// ServiceAccount of the region's cluster, allowed to read and write only the backup prefix.
import type * as aws from "@pulumi/aws";
import { awsPackage } from "../packages";
import * as pulumi from "@pulumi/pulumi";
import { backupRolePolicy, backupRoleTrustPolicy } from "./policies";

export interface BackupRoleArgs {
  /** IAM OIDC provider ARN of the region's EKS cluster. */
  readonly oidcProviderArn: string;
  /** Namespace of the backup ServiceAccount (the NATS namespace). */
  readonly namespace: pulumi.Input<string>;
  /** Name of the backup ServiceAccount. @default "nats-backup" */
  readonly serviceAccountName: string;
  /** ARN of the backup bucket. */
  readonly bucketArn: pulumi.Input<string>;
  /** Key prefix of the backups. @default "jetstream" */
  readonly prefix: string;
  /** Customer KMS key of the bucket, if any. */
  readonly kmsKeyArn?: string;
  /** The stack's AWS provider. */
  readonly provider: aws.Provider;
}

export class BackupRole extends pulumi.ComponentResource {
  public readonly role: aws.iam.Role;
  public readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: BackupRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("natsdr:aws:BackupRole", name, {}, opts);
    const { iam } = awsPackage();
    const children = { parent: this, provider: args.provider };
    this.role = new iam.Role(
      `${name}-role`,
      {
        description: "nats-dr: JetStream backup CronJob (IRSA)",
        assumeRolePolicy: pulumi
          .output(args.namespace)
          .apply((namespace) => JSON.stringify(backupRoleTrustPolicy({ ...args, namespace }))),
        maxSessionDuration: 3600,
      },
      children,
    );
    new iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.id,
        policy: pulumi
          .output(args.bucketArn)
          .apply((bucketArn) => JSON.stringify(backupRolePolicy({ ...args, bucketArn }))),
      },
      children,
    );
    this.roleArn = this.role.arn;
    this.registerOutputs({ roleArn: this.roleArn });
  }
}
