// The region's S3 bucket for JetStream backups: versioned, encrypted by default, closed to the
// public, TLS only, with backups expiring after the configured days.
import type * as aws from "@pulumi/aws";
import { awsPackage } from "../packages";
import * as pulumi from "@pulumi/pulumi";
import type { SseAlgorithm } from "../config/aws";
import { backupLifecycleRules, encryptionRule, tlsOnlyBucketPolicy } from "./policies";

export interface BackupBucketArgs {
  /** Bucket name (global in S3), from backupBucketName or `nats-dr:backup.bucketName`. */
  readonly bucketName: string;
  /** Key prefix of the backups; the lifecycle rules apply under `<prefix>/`. @default "jetstream" */
  readonly prefix: string;
  /** Days a backup is kept. @default 30 */
  readonly retentionDays: number;
  /** Days a noncurrent object version is kept. @default 7 */
  readonly noncurrentDays: number;
  /** Default encryption. @default "aws:kms" */
  readonly encryption: SseAlgorithm;
  /** KMS key for "aws:kms". @default the account's aws/s3 key */
  readonly kmsKeyArn?: string;
  /** The stack's AWS provider (the region's). */
  readonly provider: aws.Provider;
}

export class BackupBucket extends pulumi.ComponentResource {
  public readonly bucket: aws.s3.Bucket;
  public readonly bucketName: pulumi.Output<string>;
  public readonly bucketArn: pulumi.Output<string>;

  constructor(name: string, args: BackupBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("natsdr:aws:BackupBucket", name, {}, opts);
    const { s3 } = awsPackage();
    // The backups outlive the stack: `pulumi destroy` never deletes the bucket (protected) and,
    // once unprotected, leaves it and its settings in place (retained), so a bucket kept for its
    // backups stays versioned, encrypted, private and TLS only.
    const children = { parent: this, provider: args.provider, retainOnDelete: true };
    this.bucket = new s3.Bucket(
      `${name}-bucket`,
      { bucket: args.bucketName, forceDestroy: false },
      { ...children, protect: true },
    );
    const bucket = this.bucket.id;
    const versioning = new s3.BucketVersioning(
      `${name}-versioning`,
      { bucket, versioningConfiguration: { status: "Enabled" } },
      children,
    );
    new s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      { bucket, rules: [encryptionRule(args.encryption, args.kmsKeyArn)] },
      children,
    );
    const publicAccess = new s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      children,
    );
    new s3.BucketPolicy(
      `${name}-tls-only`,
      { bucket, policy: this.bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))) },
      // S3 rejects concurrent policy and public-access-block writes on one bucket.
      pulumi.mergeOptions(children, { dependsOn: [publicAccess] }),
    );
    new s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      { bucket, rules: backupLifecycleRules(args) },
      // Noncurrent-version rules need versioning to be on.
      pulumi.mergeOptions(children, { dependsOn: [versioning] }),
    );
    this.bucketName = this.bucket.bucket;
    this.bucketArn = this.bucket.arn;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
  }
}
