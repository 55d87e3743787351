// The AWS side of a region's config: `nats-dr:aws` (the cluster's IRSA identity provider),
// `nats-dr:dns` (Route53 zone, client hostname, health check) and `nats-dr:backup` (S3 bucket,
// lifecycle, CronJob). Pure zod schemas; every default is documented here and in
// docs/configuration.md.
import { z } from "zod";
import { s3BucketNameProblem } from "../aws/names";
import { isPlainObject } from "../catalog/merge";
import type { Issue } from "./problems";
import { pinnedImage, strictObject } from "./fields";

/** A string key that must be set; its absence reads `missing`. */
function requiredString(missing: string) {
  return z.string({ error: (issue) => (issue.input === undefined ? missing : "must be a string") });
}

function wholeNumber(min: number, max: number, unit: string) {
  return z
    .number({ error: () => `must be a whole number of ${unit} from ${min} to ${max}` })
    .int({ error: () => `must be a whole number of ${unit} from ${min} to ${max}` })
    .min(min, { error: () => `must be at least ${min} ${unit}` })
    .max(max, { error: () => `must be at most ${max} ${unit}` });
}

// ---- nats-dr:aws ----------------------------------------------------------------------------

const OIDC_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):oidc-provider\/([^\s]+)$/;

/** The issuer host/path of an OIDC provider ARN ("oidc.eks.us-east-1.amazonaws.com/id/ABC"). */
export function oidcIssuerOfArn(arn: string): string | undefined {
  return OIDC_ARN.exec(arn)?.[2];
}

/** "https://oidc.eks.../id/ABC/" -> "oidc.eks.../id/ABC", the form IAM condition keys use. */
export function oidcIssuerOfUrl(url: string): string {
  return url.replace(/^https:\/\//, "").replace(/\/+$/, "");
}

export function awsSchema() {
  const example =
    "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
  return strictObject({
    /** IAM OIDC identity provider of the region's EKS cluster (IRSA). Required. */
    oidcProviderArn: requiredString(
      `is not set; set it to the IAM OIDC provider of this region's EKS cluster, e.g. "${example}"`,
    ).regex(OIDC_ARN, `is not an IAM OIDC provider ARN; copy it from the IAM console or eksctl, e.g. "${example}"`),
    /** The provider's issuer URL; optional, checked against the ARN. @default derived from the ARN */
    oidcProviderUrl: z
      .string()
      .regex(
        /^https:\/\/[^\s/]+(\/[^\s]*)?$/,
        'is not an https URL; write the cluster\'s issuer, e.g. "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE"',
      )
      .optional(),
  })
    .superRefine((value, context) => {
      const fromArn = oidcIssuerOfArn(value.oidcProviderArn);
      if (value.oidcProviderUrl === undefined || fromArn === undefined) return;
      if (oidcIssuerOfUrl(value.oidcProviderUrl) !== fromArn) {
        context.addIssue({
          code: "custom",
          path: ["oidcProviderUrl"],
          message: `names issuer "${oidcIssuerOfUrl(value.oidcProviderUrl)}" but oidcProviderArn names "${fromArn}"; they must be the same cluster's provider (or leave oidcProviderUrl out)`,
        });
      }
    })
    .optional();
}

/** The load balancer scheme annotation of the AWS Load Balancer Controller. */
export const LOAD_BALANCER_SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme";

/** The health check type a stack uses: as set, else CLOUDWATCH_METRIC when it runs the servers. Pure. */
export function healthCheckTypeOf(type: HealthCheckType | undefined, runsServers: boolean): HealthCheckType {
  return type ?? (runsServers ? HealthCheckTypes.cloudwatch : HealthCheckTypes.tcp);
}

/**
 * The health check must be one Route53 can carry out: its checkers connect from the internet, so
 * a TCP or HTTP check of an internal load balancer always fails, and when every record's check
 * fails Route53 answers as if all were healthy: clients would never move. Reads the raw value
 * defensively.
 */
export function dnsIssues(value: unknown): Issue[] {
  if (!isPlainObject(value) || !isPlainObject(value["dns"])) return [];
  const check = isPlainObject(value["dns"]["healthCheck"]) ? value["dns"]["healthCheck"] : {};
  const kubernetes = value["kubernetes"];
  const type = check["type"];
  if ((type === "TCP" || type === "HTTP") && isPlainObject(kubernetes)) {
    const annotations = isPlainObject(kubernetes["loadBalancerAnnotations"])
      ? kubernetes["loadBalancerAnnotations"]
      : { [LOAD_BALANCER_SCHEME]: "internal" };
    // The controller makes an internal load balancer unless the scheme says internet-facing.
    if (annotations[LOAD_BALANCER_SCHEME] !== "internet-facing") {
      return [
        {
          path: ["dns", "healthCheck", "type"],
          message: `is "${type}" but the client load balancer is internal (nats-dr:kubernetes.loadBalancerAnnotations: ${LOAD_BALANCER_SCHEME} is not "internet-facing"); Route53's health checkers connect from the internet and cannot reach it, so both regions' checks would fail and Route53 would answer as if both were healthy: clients would never move to the standby. Remove healthCheck.type (the stack then creates a CloudWatch alarm on the load balancer's healthy targets and the check follows it) or make the load balancer internet-facing`,
        },
      ];
    }
  }
  if (type === "CLOUDWATCH_METRIC" && check["alarmName"] === undefined && kubernetes === undefined) {
    return [
      {
        path: ["dns", "healthCheck", "alarmName"],
        message:
          'is not set but type is "CLOUDWATCH_METRIC" and this stack runs no load balancer of its own (nats-dr:kubernetes is not set); name the CloudWatch alarm in this region that says the region is down (e.g. on its NLB\'s HealthyHostCount)',
      },
    ];
  }
  return [];
}

/** False only when the raw `nats-dr:backup` says `enabled: false`. Pure; reads the raw value defensively. */
export function backupEnabledIn(value: unknown): boolean {
  const backup = isPlainObject(value) ? value["backup"] : undefined;
  return !(isPlainObject(backup) && backup["enabled"] === false);
}

/**
 * `nats-dr:aws` is required when the stack runs NATS on Kubernetes (`nats-dr:kubernetes`) with
 * backups on: the backup CronJob's IAM role trusts the cluster's OIDC provider. Reads the raw
 * value defensively.
 */
export function awsIssues(value: unknown): Issue[] {
  if (!isPlainObject(value) || value["kubernetes"] === undefined || value["aws"] !== undefined) return [];
  if (!backupEnabledIn(value)) return [];
  const why = "the backup CronJob's IAM role trusts the cluster's OIDC provider";
  const fix =
    "set nats-dr:aws: { oidcProviderArn: <arn> } in the stack file (aws eks describe-cluster --query cluster.identity.oidc.issuer)";
  return [{ path: ["aws"], message: `is not set but nats-dr:kubernetes is; ${why}, so ${fix}` }];
}

// ---- nats-dr:dns ----------------------------------------------------------------------------

export const HealthCheckTypes = { tcp: "TCP", http: "HTTP", cloudwatch: "CLOUDWATCH_METRIC" } as const;
export type HealthCheckType = (typeof HealthCheckTypes)[keyof typeof HealthCheckTypes];

/** A DNS name as Route53 stores it: zod's hostname rule, lower case, at least two labels. */
function isClientHostname(name: string): boolean {
  return z.hostname().safeParse(name).success && name === name.toLowerCase() && name.includes(".");
}

export function dnsSchema() {
  return strictObject(
    {
      /** Route53 hosted zone of the client hostname. Required. */
      hostedZoneId: requiredString(
        'is not set; set the Route53 hosted zone of the client hostname, e.g. pulumi config set --path "nats-dr:dns.hostedZoneId" Z0123456789ABCDEFGHIJ',
      ).regex(
        /^Z[A-Z0-9]{1,31}$/,
        'is not a Route53 hosted zone id; it looks like "Z0123456789ABCDEFGHIJ" (aws route53 list-hosted-zones)',
      ),
      /** The name clients connect to, e.g. "nats.example.com" (not the zone apex: it is a CNAME). Required. */
      hostname: requiredString(
        'is not set; set the name clients connect to, e.g. pulumi config set --path "nats-dr:dns.hostname" nats.example.com',
      ).refine(isClientHostname, 'is not a lower-case DNS name with at least two labels, e.g. "nats.example.com"'),
      /** TTL of the client record, seconds. @default 30 */
      ttl: wholeNumber(5, 3600, "seconds").default(30),
      /** Route53 health check of the region's client endpoint. */
      healthCheck: strictObject({
        /**
         * "TCP" connects to the client port; "HTTP" asks `path` on the monitoring port; both need an
         * endpoint Route53's checkers reach from the internet. "CLOUDWATCH_METRIC" follows a
         * CloudWatch alarm (for internal load balancers). @default "CLOUDWATCH_METRIC" on the
         * alarm the stack creates when it runs the servers (nats-dr:kubernetes), else "TCP"
         */
        type: z.enum(HealthCheckTypes, { error: () => 'must be "TCP", "HTTP" or "CLOUDWATCH_METRIC"' }).optional(),
        /**
         * CLOUDWATCH_METRIC only: the alarm in the stack's region that says the region is down.
         * @default the alarm the stack creates on its load balancer's healthy targets
         */
        alarmName: z.string().min(1, "must name a CloudWatch alarm").optional(),
        /** Port checked. @default 4222 (the NATS client port) for TCP, 8222 (monitoring) for HTTP */
        port: wholeNumber(1, 65535, "").optional(),
        /** HTTP only: path asked. @default "/healthz" */
        path: z
          .string()
          .regex(/^\/\S*$/, 'must start with "/", e.g. "/healthz"')
          .default("/healthz"),
        /** Seconds between checks from each checker: 10 or 30. @default 10 */
        intervalSeconds: z
          .union([z.literal(10), z.literal(30)], { error: () => "must be 10 or 30 (the intervals Route53 offers)" })
          .default(10),
        /** Consecutive failures before the region counts as unhealthy, 1-10. @default 3 */
        failureThreshold: wholeNumber(1, 10, "checks").default(3),
      })
        .transform((check) => ({ ...check, port: check.port ?? (check.type === "HTTP" ? 8222 : 4222) }))
        .prefault({}),
    },
    // Only reached for `nats-dr:dns: null`; an absent key means "no Route53 records" (optional below).
    "is empty; Route53 failover needs at least nats-dr:dns: { hostedZoneId: <zone id>, hostname: <client hostname> }, or remove the key for a stack without DNS",
  ).optional();
}

// ---- nats-dr:backup -------------------------------------------------------------------------

const CRON_MACROS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];
const CRON_FIELDS = [
  { name: "minute", min: 0, max: 59, names: [] as string[] },
  { name: "hour", min: 0, max: 23, names: [] as string[] },
  { name: "day of month", min: 1, max: 31, names: [] as string[] },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
  },
  { name: "day of week", min: 0, max: 7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
];

/** Why `expression` is not a Kubernetes CronJob schedule, or undefined when it is one. Pure. */
export function cronProblem(expression: string): string | undefined {
  const trimmed = expression.trim();
  if (CRON_MACROS.includes(trimmed)) return undefined;
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5) {
    return `"${expression}" is not a cron schedule; write five fields "minute hour day-of-month month day-of-week", e.g. "0 * * * *" (hourly), or @hourly/@daily`;
  }
  for (const [index, field] of fields.entries()) {
    const spec = CRON_FIELDS[index]!;
    const value = (text: string) => {
      const named = spec.names.indexOf(text.toLowerCase());
      if (named >= 0) return named + (spec.name === "month" ? 1 : 0);
      return /^\d+$/.test(text) ? Number(text) : Number.NaN;
    };
    for (const part of field.split(",")) {
      const match = /^(\*|([^-/]+)(?:-([^-/]+))?)(?:\/(\d+))?$/.exec(part);
      const bounds =
        match?.[1] === "*" ? [spec.min, spec.max] : [value(match?.[2] ?? ""), value(match?.[3] ?? match?.[2] ?? "")];
      const ok =
        match !== null &&
        bounds.every((bound) => Number.isInteger(bound) && bound >= spec.min && bound <= spec.max) &&
        bounds[0]! <= bounds[1]! &&
        (match[4] === undefined || Number(match[4]) >= 1);
      if (!ok)
        return `"${expression}": the ${spec.name} field "${field}" is not valid; use ${spec.min}-${spec.max}, "*", ranges "a-b", steps "*/n" or lists "a,b"`;
    }
  }
  return undefined;
}

export const SseAlgorithms = { kms: "aws:kms", aes256: "AES256" } as const;
export type SseAlgorithm = (typeof SseAlgorithms)[keyof typeof SseAlgorithms];

export const DEFAULT_BACKUP_IMAGE = "amazon/aws-cli:2.27.50";
export const DEFAULT_NATS_BOX_IMAGE = "natsio/nats-box:0.18.0";

export function backupSchema() {
  return strictObject({
    /**
     * Declare the S3 bucket, its IAM role and the backup CronJob. False declares none of them (and
     * the other keys are kept but unused), e.g. for the local lab, which has no AWS. @default true
     */
    enabled: z.boolean({ error: () => "must be true or false" }).default(true),
    /** When the CronJob runs (cron, UTC). @default "0 * * * *" (hourly) */
    schedule: z
      .string({ error: () => 'must be a cron schedule such as "0 * * * *"' })
      .superRefine((schedule, context) => {
        const problem = cronProblem(schedule);
        if (problem) context.addIssue({ code: "custom", message: problem });
      })
      .default("0 * * * *"),
    /** Days a backup is kept before S3 expires it. @default 30 */
    retentionDays: wholeNumber(1, 3650, "days").default(30),
    /** Days a replaced or deleted object version is kept. @default 7 (sooner than retentionDays) */
    noncurrentDays: wholeNumber(1, 3650, "days").default(7),
    /** Object key prefix of every backup: `<prefix>/<stream>/<timestamp>/`. @default "jetstream" */
    prefix: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9-]{0,62}$/,
        'must be one path segment of lower-case letters, digits and "-", e.g. "jetstream"',
      )
      .default("jetstream"),
    /** Bucket name; S3 names are global. @default "<project>-<stack>[-<region>]-backups" */
    bucketName: z
      .string()
      .superRefine((name, context) => {
        const problem = s3BucketNameProblem(name);
        if (problem)
          context.addIssue({
            code: "custom",
            message: `${problem}; S3 names are global, e.g. "acme-nats-dr-us-east-1-backups"`,
          });
      })
      .optional(),
    /** Default encryption of the bucket: "aws:kms" or "AES256". @default "aws:kms" */
    encryption: z.enum(SseAlgorithms, { error: () => 'must be "aws:kms" or "AES256"' }).default("aws:kms"),
    /** KMS key for "aws:kms". @default the account's aws/s3 key */
    kmsKeyArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/\S+$/, "is not a KMS key or alias ARN")
      .optional(),
    /** Image that runs the script: bash, coreutils and the aws CLI. @default DEFAULT_BACKUP_IMAGE */
    image: pinnedImage(DEFAULT_BACKUP_IMAGE).default(DEFAULT_BACKUP_IMAGE),
    /** Image the `nats` CLI is copied from (an init container). @default DEFAULT_NATS_BOX_IMAGE */
    natsImage: pinnedImage(DEFAULT_NATS_BOX_IMAGE).default(DEFAULT_NATS_BOX_IMAGE),
    /** Kubernetes ServiceAccount of the job (the IAM role trusts exactly this one). @default "nats-backup" */
    serviceAccountName: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a Kubernetes name (lower-case letters, digits, -)")
      .default("nats-backup"),
    /** Finished jobs kept. @default 3 successful, 5 failed */
    successfulJobsHistoryLimit: wholeNumber(0, 100, "jobs").default(3),
    failedJobsHistoryLimit: wholeNumber(0, 100, "jobs").default(5),
    /** A run is stopped after this many seconds. @default 3000 (inside the hourly schedule) */
    activeDeadlineSeconds: wholeNumber(60, 86400, "seconds").default(3000),
  })
    .superRefine((value, context) => {
      if (value.noncurrentDays > value.retentionDays) {
        context.addIssue({
          code: "custom",
          path: ["noncurrentDays"],
          message: `(${value.noncurrentDays}) is longer than retentionDays (${value.retentionDays}); noncurrent versions are kept for a shorter time, lower it`,
        });
      }
      if (value.kmsKeyArn !== undefined && value.encryption !== "aws:kms") {
        context.addIssue({
          code: "custom",
          path: ["kmsKeyArn"],
          message: 'is only used with encryption "aws:kms"; remove it or set encryption to "aws:kms"',
        });
      }
    })
    .prefault({});
}

export type AwsConfig = NonNullable<z.output<ReturnType<typeof awsSchema>>>;
export type DnsConfig = NonNullable<z.output<ReturnType<typeof dnsSchema>>>;
export type HealthCheckConfig = DnsConfig["healthCheck"];
export type BackupConfig = z.output<ReturnType<typeof backupSchema>>;
