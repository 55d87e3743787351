// The Kubernetes objects of the backup CronJob, as pure values: ServiceAccount (IRSA), ConfigMap
// (the generated script) and CronJob. Tests assert them; BackupJob only registers them.
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { BackupEnv } from "./script";
import { ownedAnnotations } from "../kubernetes/provider";

/** How the job authenticates to NATS; the values stay in the Secret. */
export interface BackupCredentials {
  /** Name of the Secret in the namespace. */
  readonly secretName: pulumi.Input<string>;
  /** The NATS user name as a literal (e.g. "app"), or `userKey` to read it from the Secret. */
  readonly user?: string;
  readonly userKey?: string;
  readonly passwordKey?: string;
  readonly tokenKey?: string;
  /** Key of a .creds file; mounted and passed as NATS_CREDS. */
  readonly credsKey?: string;
}

/** How the job runs: shared by BackupJob's args and the object builders below. */
export interface BackupJobSettings {
  /** IAM role the ServiceAccount assumes (IRSA; BackupRole). */
  readonly roleArn: pulumi.Input<string>;
  /** NATS credentials from the Kubernetes component's Secret. @default none */
  readonly credentials?: BackupCredentials;
  /** Secret and key of the CA that signed the servers' client certificates, when the client port uses TLS. @default plain connection */
  readonly tlsCa?: { readonly secretName: pulumi.Input<string>; readonly key: string };
  /** @default "nats-backup" */
  readonly serviceAccountName: string;
  /** Cron schedule, UTC. @default "0 * * * *" */
  readonly schedule: string;
  /** Image with bash, coreutils and the aws CLI; and the nats-box image the nats CLI is copied from. */
  readonly image: string;
  readonly natsImage: string;
  /** @default 3 and 5 */
  readonly successfulJobsHistoryLimit: number;
  readonly failedJobsHistoryLimit: number;
  /** Seconds. @default 3000 */
  readonly activeDeadlineSeconds: number;
}

export interface BackupObjectsInput extends BackupJobSettings {
  readonly namespace: pulumi.Input<string>;
  readonly region: string;
  /** The generated script (renderBackupScript). */
  readonly script: string;
  /** NATS URL inside the cluster, e.g. "nats://nats-headless.nats.svc:4222". */
  readonly natsUrl: pulumi.Input<string>;
  /** JetStream domain of the region. */
  readonly domain: string;
  /** `s3://<bucket>/<prefix>`. */
  readonly target: pulumi.Input<string>;
}

/** Object names and labels; fixed so that nothing is renamed between runs. */
export const BACKUP_NAME = "nats-backup";
export const BACKUP_SCRIPT_CONFIGMAP = "nats-backup-script";
export const backupLabels = {
  "app.kubernetes.io/name": "nats",
  "app.kubernetes.io/component": "backup",
  "app.kubernetes.io/managed-by": "nats-dr",
} as const;

const TOOLS = "/tools";
const SCRIPTS = "/scripts";
const WORK = "/work";
const CREDS = "/etc/nats-creds";
const CA = "/etc/nats-ca";
const NOBODY = 65534;

export function backupServiceAccount(input: BackupObjectsInput): k8s.types.input.core.v1.ServiceAccount {
  return {
    metadata: {
      name: input.serviceAccountName,
      namespace: input.namespace,
      labels: { ...backupLabels },
      annotations: ownedAnnotations({
        "eks.amazonaws.com/role-arn": input.roleArn,
        "eks.amazonaws.com/sts-regional-endpoints": "true",
      }),
    },
    automountServiceAccountToken: false,
  };
}

export function backupScriptConfigMap(input: BackupObjectsInput): k8s.types.input.core.v1.ConfigMap {
  return {
    metadata: {
      name: BACKUP_SCRIPT_CONFIGMAP,
      namespace: input.namespace,
      labels: { ...backupLabels },
      annotations: ownedAnnotations(),
    },
    data: { "backup.sh": input.script },
  };
}

function credentialEnv(credentials: BackupCredentials | undefined): k8s.types.input.core.v1.EnvVar[] {
  if (credentials === undefined) return [];
  const fromSecret = (name: string, key: string | undefined): k8s.types.input.core.v1.EnvVar[] =>
    key === undefined ? [] : [{ name, valueFrom: { secretKeyRef: { name: credentials.secretName, key } } }];
  return [
    ...(credentials.user !== undefined
      ? [{ name: "NATS_USER", value: credentials.user }]
      : fromSecret("NATS_USER", credentials.userKey)),
    ...fromSecret("NATS_PASSWORD", credentials.passwordKey),
    ...fromSecret("NATS_TOKEN", credentials.tokenKey),
    ...(credentials.credsKey === undefined ? [] : [{ name: "NATS_CREDS", value: `${CREDS}/${credentials.credsKey}` }]),
  ];
}

export function backupCronJob(input: BackupObjectsInput): k8s.types.input.batch.v1.CronJob {
  const credsVolume = input.credentials?.credsKey !== undefined;
  const volumes: k8s.types.input.core.v1.Volume[] = [
    { name: "script", configMap: { name: BACKUP_SCRIPT_CONFIGMAP, defaultMode: 0o555 } },
    { name: "tools", emptyDir: {} },
    { name: "work", emptyDir: {} },
    ...(credsVolume
      ? [{ name: "creds", secret: { secretName: input.credentials.secretName, defaultMode: 0o400 } }]
      : []),
    ...(input.tlsCa
      ? [
          {
            name: "ca",
            secret: { secretName: input.tlsCa.secretName, items: [{ key: input.tlsCa.key, path: "ca.crt" }] },
          },
        ]
      : []),
  ];
  const restricted: k8s.types.input.core.v1.SecurityContext = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
  };
  return {
    metadata: {
      name: BACKUP_NAME,
      namespace: input.namespace,
      labels: { ...backupLabels },
      annotations: ownedAnnotations(),
    },
    spec: {
      schedule: input.schedule,
      timeZone: "Etc/UTC",
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: 300,
      successfulJobsHistoryLimit: input.successfulJobsHistoryLimit,
      failedJobsHistoryLimit: input.failedJobsHistoryLimit,
      jobTemplate: {
        metadata: { labels: { ...backupLabels } },
        spec: {
          backoffLimit: 1,
          activeDeadlineSeconds: input.activeDeadlineSeconds,
          template: {
            metadata: { labels: { ...backupLabels } },
            spec: {
              serviceAccountName: input.serviceAccountName,
              restartPolicy: "Never",
              securityContext: {
                runAsNonRoot: true,
                runAsUser: NOBODY,
                runAsGroup: NOBODY,
                fsGroup: NOBODY,
                seccompProfile: { type: "RuntimeDefault" },
              },
              initContainers: [
                {
                  // The nats CLI is one static binary; copy it next to the aws CLI.
                  name: "nats-cli",
                  image: input.natsImage,
                  command: ["cp", "/usr/local/bin/nats", `${TOOLS}/nats`],
                  volumeMounts: [{ name: "tools", mountPath: TOOLS }],
                  securityContext: restricted,
                },
              ],
              containers: [
                {
                  name: "backup",
                  image: input.image,
                  command: ["bash", `${SCRIPTS}/backup.sh`],
                  env: [
                    { name: "NATS_URL", value: input.natsUrl },
                    { name: BackupEnv.domain, value: input.domain },
                    { name: BackupEnv.target, value: input.target },
                    { name: BackupEnv.natsCli, value: `${TOOLS}/nats` },
                    { name: "AWS_REGION", value: input.region },
                    { name: "HOME", value: WORK },
                    { name: "TMPDIR", value: WORK },
                    ...credentialEnv(input.credentials),
                    ...(input.tlsCa ? [{ name: "NATS_CA", value: `${CA}/ca.crt` }] : []),
                  ],
                  volumeMounts: [
                    { name: "script", mountPath: SCRIPTS, readOnly: true },
                    { name: "tools", mountPath: TOOLS, readOnly: true },
                    { name: "work", mountPath: WORK },
                    ...(credsVolume ? [{ name: "creds", mountPath: CREDS, readOnly: true }] : []),
                    ...(input.tlsCa ? [{ name: "ca", mountPath: CA, readOnly: true }] : []),
                  ],
                  resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
                  securityContext: restricted,
                },
              ],
              volumes,
            },
          },
        },
      },
    },
  };
}
