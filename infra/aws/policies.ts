// The policy documents and bucket settings of the backup bucket and its IAM role. Pure: tests
// assert the exact documents the components send.
import type { SseAlgorithm } from "../config/aws";

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: "*" | Readonly<Record<string, string>>;
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

/** Denies every request to the bucket and its objects that does not come over TLS. */
export function tlsOnlyBucketPolicy(bucketArnValue: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArnValue, `${bucketArnValue}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  };
}

/** The bucket's default encryption rule. */
export function encryptionRule(algorithm: SseAlgorithm, kmsKeyArn?: string) {
  return {
    applyServerSideEncryptionByDefault: {
      sseAlgorithm: algorithm,
      ...(algorithm === "aws:kms" && kmsKeyArn !== undefined ? { kmsMasterKeyId: kmsKeyArn } : {}),
    },
    // S3 Bucket Keys cut KMS requests (and cost) for SSE-KMS; meaningless for AES256.
    bucketKeyEnabled: algorithm === "aws:kms",
  };
}

/**
 * Lifecycle of the backups under `<prefix>/`: current versions expire after `retentionDays`,
 * versions replaced or expired are removed `noncurrentDays` later, unfinished multipart uploads
 * after a day, and delete markers left with no versions are cleaned up.
 */
export function backupLifecycleRules(input: { prefix: string; retentionDays: number; noncurrentDays: number }) {
  const filter = { prefix: `${input.prefix}/` };
  return [
    {
      id: "expire-backups",
      status: "Enabled",
      filter,
      expiration: { days: input.retentionDays },
      noncurrentVersionExpiration: { noncurrentDays: input.noncurrentDays },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
    },
    {
      id: "remove-expired-delete-markers",
      status: "Enabled",
      filter,
      expiration: { expiredObjectDeleteMarker: true },
    },
  ];
}

/** "oidc.eks.<region>.amazonaws.com/id/<id>" from the provider ARN. */
function issuerOf(oidcProviderArn: string): string {
  const issuer = /:oidc-provider\/(.+)$/.exec(oidcProviderArn)?.[1];
  if (issuer === undefined) throw new Error(`"${oidcProviderArn}" is not an IAM OIDC provider ARN`);
  return issuer;
}

/**
 * Trust policy of the backup role (IRSA): only the Kubernetes ServiceAccount
 * `system:serviceaccount:<namespace>:<serviceAccount>` of this cluster, with the STS audience.
 */
export function backupRoleTrustPolicy(input: {
  oidcProviderArn: string;
  namespace: string;
  serviceAccountName: string;
}): PolicyDocument {
  const issuer = issuerOf(input.oidcProviderArn);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "BackupServiceAccount",
        Effect: "Allow",
        Principal: { Federated: input.oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${issuer}:sub`]: `system:serviceaccount:${input.namespace}:${input.serviceAccountName}`,
            [`${issuer}:aud`]: "sts.amazonaws.com",
          },
        },
      },
    ],
  };
}

/**
 * What the backup job may do: write and read objects under `<bucket>/<prefix>/`, and list only
 * that prefix. With a customer KMS key, use that key (and only it) for those objects.
 */
export function backupRolePolicy(input: { bucketArn: string; prefix: string; kmsKeyArn?: string }): PolicyDocument {
  const statements: PolicyStatement[] = [
    {
      Sid: "ReadWriteBackups",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:GetObject"],
      Resource: `${input.bucketArn}/${input.prefix}/*`,
    },
    {
      Sid: "ListBackups",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: input.bucketArn,
      Condition: { StringLike: { "s3:prefix": [`${input.prefix}/*`] } },
    },
  ];
  if (input.kmsKeyArn !== undefined) {
    statements.push({
      Sid: "UseBackupKey",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: input.kmsKeyArn,
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}
