// The backup bucket and the backup job's IAM role under Pulumi mocks: the values AWS receives.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type * as awsModule from "../../infra/aws";
import { ACCOUNT, fullRecordingMocks, named, parsedJson } from "./awsMocks";
import type { FullRegistration } from "./awsMocks";
import { promiseOf } from "./support";

const registrations: FullRegistration[] = [];
let infraAws: typeof awsModule;
let provider: aws.Provider;
const OIDC = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLE0123456789`;

beforeAll(async () => {
  await pulumi.runtime.setMocks(fullRecordingMocks(registrations), "nats-dr", "eu-central-1", false);
  infraAws = await import("../../infra/aws/index.js");
  provider = new aws.Provider(
    "aws-eu-central-1",
    infraAws.awsProviderArgs({ project: "nats-dr", stack: "eu-central-1", region: "eu-central-1" }),
  );
});

async function bucket(
  name: string,
  overrides: Partial<awsModule.BackupBucketArgs> = {},
  transformation?: pulumi.ResourceTransformation,
) {
  const component = new infraAws.BackupBucket(
    name,
    {
      bucketName: `${name}-bucket-name`,
      prefix: "jetstream",
      retentionDays: 30,
      noncurrentDays: 7,
      encryption: "aws:kms",
      provider,
      ...overrides,
    },
    transformation === undefined ? {} : { transformations: [transformation] },
  );
  await promiseOf(component.bucketArn);
  await new Promise((resolve) => setImmediate(resolve));
  return component;
}

describe("backup bucket names", () => {
  it("the name is derived from project, stack and region, and S3-valid", () => {
    expect(infraAws.backupBucketName("nats-dr", "us-east-1", "us-east-1")).toBe("nats-dr-us-east-1-backups");
    expect(infraAws.backupBucketName("nats-dr", "eu-central-1", "eu-central-1")).toBe("nats-dr-eu-central-1-backups");
    expect(infraAws.backupBucketName("Nats_DR", "Prod.EU", "eu-central-1")).toBe(
      "nats-dr-prod-eu-eu-central-1-backups",
    );
    expect(infraAws.backupBucketName("nats-dr", "prod", "us-east-1")).toBe(
      infraAws.backupBucketName("nats-dr", "prod", "us-east-1"),
    );
    const long = infraAws.backupBucketName(
      "nats-dr",
      "a-very-long-stack-name-for-the-production-environment",
      "eu-central-1",
    );
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^nats-dr-a-very-long-stack-name.*-[0-9a-f]{8}$/);
    expect(long).not.toBe(
      infraAws.backupBucketName("nats-dr", "a-very-long-stack-name-for-the-production-environment", "us-east-1"),
    );
    for (const name of ["nats-dr-us-east-1-backups", long]) expect(infraAws.s3BucketNameProblem(name)).toBeUndefined();
  });

  it("names S3 rejects are explained", () => {
    expect(infraAws.s3BucketNameProblem("ab")).toMatch(/3 to 63/);
    expect(infraAws.s3BucketNameProblem("My_Bucket")).toMatch(/lower-case letters/);
    expect(infraAws.s3BucketNameProblem("a..b")).toMatch(/"\.\."/);
    expect(infraAws.s3BucketNameProblem("192.168.1.1")).toMatch(/IP address/);
    expect(infraAws.s3BucketNameProblem("xn--bucket")).toMatch(/reserves/);
    expect(infraAws.s3BucketNameProblem("bucket-s3alias")).toMatch(/reserves/);
  });
});

describe("backup bucket", () => {
  it("versioning on, default encryption aws:kms with a bucket key, every public access blocked", async () => {
    await bucket("b1");
    expect(named(registrations, "b1-bucket").inputs).toMatchObject({ bucket: "b1-bucket-name", forceDestroy: false });
    expect(named(registrations, "b1-versioning").inputs).toMatchObject({
      bucket: "b1-bucket-name",
      versioningConfiguration: { status: "Enabled" },
    });
    expect(named(registrations, "b1-encryption").inputs["rules"]).toEqual([
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true },
    ]);
    expect(named(registrations, "b1-public-access").inputs).toEqual({
      bucket: "b1-bucket-name",
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
  });

  it("AES256 or a customer KMS key from config", async () => {
    await bucket("b2", { encryption: "AES256" });
    expect(named(registrations, "b2-encryption").inputs["rules"]).toEqual([
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: false },
    ]);
    const key = `arn:aws:kms:eu-central-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    await bucket("b3", { kmsKeyArn: key });
    expect(named(registrations, "b3-encryption").inputs["rules"]).toEqual([
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key }, bucketKeyEnabled: true },
    ]);
  });

  it("the policy denies every request without TLS, to the bucket and its objects", async () => {
    await bucket("b4");
    expect(parsedJson(named(registrations, "b4-tls-only").inputs["policy"])).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: ["arn:aws:s3:::b4-bucket-name", "arn:aws:s3:::b4-bucket-name/*"],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    });
  });

  it("backups expire after retentionDays, noncurrent versions after noncurrentDays", async () => {
    await bucket("b5", { retentionDays: 45, noncurrentDays: 3 });
    expect(named(registrations, "b5-lifecycle").inputs["rules"]).toEqual([
      {
        id: "expire-backups",
        status: "Enabled",
        filter: { prefix: "jetstream/" },
        expiration: { days: 45 },
        noncurrentVersionExpiration: { noncurrentDays: 3 },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
      },
      {
        id: "remove-expired-delete-markers",
        status: "Enabled",
        filter: { prefix: "jetstream/" },
        expiration: { expiredObjectDeleteMarker: true },
      },
    ]);
  });

  it("pulumi destroy cannot delete the bucket (protected) nor, once unprotected, it or its settings (retained)", async () => {
    const options = new Map<string, pulumi.ResourceOptions>();
    await bucket("b7", {}, (args) => {
      options.set(args.name, args.opts);
      return undefined;
    });
    expect(options.get("b7-bucket")).toMatchObject({ protect: true, retainOnDelete: true });
    for (const role of ["versioning", "encryption", "public-access", "tls-only", "lifecycle"]) {
      expect(options.get(`b7-${role}`)?.retainOnDelete, role).toBe(true);
    }
    expect(named(registrations, "b7-bucket").inputs["forceDestroy"]).toBe(false);
  });

  it("every resource uses the explicit provider of the region", async () => {
    await bucket("b6");
    const providerUrn = await promiseOf(provider.urn);
    const children = registrations.filter((entry) => entry.name.startsWith("b6-"));
    expect(children.map((entry) => entry.type).sort()).toEqual([
      "aws:s3/bucket:Bucket",
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "aws:s3/bucketPolicy:BucketPolicy",
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      "aws:s3/bucketVersioning:BucketVersioning",
    ]);
    for (const child of children)
      expect(child.provider).toMatch(new RegExp(`^${providerUrn.replace(/[$()*+.?[\\\]^{|}]/g, "\\$&")}::`));
    const providerInputs = named(registrations, "aws-eu-central-1").inputs;
    expect(providerInputs["region"]).toBe("eu-central-1");
    expect(parsedJson(providerInputs["defaultTags"])).toEqual({
      tags: { "nats-dr:project": "nats-dr", "nats-dr:region": "eu-central-1", "nats-dr:stack": "eu-central-1" },
    });
    expect(named(registrations, "b6").type).toBe("natsdr:aws:BackupBucket");
  });
});

describe("backup role", () => {
  async function role(name: string, kmsKeyArn?: string) {
    const component = new infraAws.BackupRole(name, {
      oidcProviderArn: OIDC,
      namespace: pulumi.output("nats"),
      serviceAccountName: "nats-backup",
      bucketArn: pulumi.output("arn:aws:s3:::nats-dr-eu-central-1-backups"),
      prefix: "jetstream",
      ...(kmsKeyArn === undefined ? {} : { kmsKeyArn }),
      provider,
    });
    await promiseOf(component.roleArn);
    await new Promise((resolve) => setImmediate(resolve));
    return component;
  }

  it("trusts only the backup ServiceAccount of the cluster, with the STS audience", async () => {
    await role("r1");
    expect(named(registrations, "r1").type).toBe("natsdr:aws:BackupRole");
    expect(parsedJson(named(registrations, "r1-role").inputs["assumeRolePolicy"])).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "BackupServiceAccount",
          Effect: "Allow",
          Principal: { Federated: OIDC },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              "oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLE0123456789:sub": "system:serviceaccount:nats:nats-backup",
              "oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLE0123456789:aud": "sts.amazonaws.com",
            },
          },
        },
      ],
    });
  });

  it("may put, get and list only under its own bucket's backup prefix", async () => {
    await role("r2");
    const policy = parsedJson(named(registrations, "r2-policy").inputs["policy"]) as awsModule.PolicyDocument;
    expect(policy).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ReadWriteBackups",
          Effect: "Allow",
          Action: ["s3:PutObject", "s3:GetObject"],
          Resource: "arn:aws:s3:::nats-dr-eu-central-1-backups/jetstream/*",
        },
        {
          Sid: "ListBackups",
          Effect: "Allow",
          Action: "s3:ListBucket",
          Resource: "arn:aws:s3:::nats-dr-eu-central-1-backups",
          Condition: { StringLike: { "s3:prefix": ["jetstream/*"] } },
        },
      ],
    });
    const resources = policy.Statement.flatMap((statement) => [statement.Resource ?? []].flat());
    for (const resource of resources)
      expect(resource).toMatch(/^arn:aws:s3:::nats-dr-eu-central-1-backups(\/jetstream\/\*)?$/);
    expect(named(registrations, "r2-policy").inputs["role"]).toBe("r2-role-id");
  });

  it("with a customer KMS key, may use that key and no other", async () => {
    const key = `arn:aws:kms:eu-central-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    await role("r3", key);
    const policy = parsedJson(named(registrations, "r3-policy").inputs["policy"]) as awsModule.PolicyDocument;
    expect(policy.Statement[2]).toEqual({
      Sid: "UseBackupKey",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: key,
    });
  });
});
