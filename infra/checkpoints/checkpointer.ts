// The consumer checkpointer on Kubernetes: one Deployment (one pod, restarted by Kubernetes when it
// dies) running the generated script with the nats CLI of the nats-box image, beside the servers.
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { restrictedContainer } from "../kubernetes";
import { kubernetesPackage } from "../packages";
import { renderCheckpointerScript, type CheckpointPlan } from "./plan";
import { ownedAnnotations } from "../kubernetes/provider";

export interface CheckpointerArgs {
  readonly provider: k8s.Provider;
  readonly namespace: pulumi.Input<string>;
  readonly plan: CheckpointPlan;
  /** Image with sh and the nats CLI. @default the backup's nats-box image (nats-dr:backup.natsImage) */
  readonly image: string;
  /** NATS URL inside the cluster, e.g. "nats://nats-headless.nats.svc:4222". */
  readonly natsUrl: pulumi.Input<string>;
  /** The app user and the Secret key of its password. */
  readonly credentials: {
    readonly secretName: pulumi.Input<string>;
    readonly user: string;
    readonly passwordKey: string;
  };
  /** Secret and key of the CA of the client port's certificates. @default plain connection */
  readonly tlsCa?: { readonly secretName: pulumi.Input<string>; readonly key: string };
  /**
   * The servers' `checksum/credentials`: on the pod template too, so a password rotation restarts
   * the checkpointer with the new password when it restarts the servers. @default none
   */
  readonly credentialsChecksum?: pulumi.Input<string>;
}

export const CHECKPOINTER_NAME = "nats-checkpointer";
const labels = {
  "app.kubernetes.io/name": "nats",
  "app.kubernetes.io/component": "checkpointer",
  "app.kubernetes.io/managed-by": "nats-dr",
} as const;
const NOBODY = 65534;

/** The Deployment, as a pure value; tests assert it. */
export function checkpointerDeployment(args: Omit<CheckpointerArgs, "provider">): k8s.types.input.apps.v1.Deployment {
  return {
    metadata: {
      name: CHECKPOINTER_NAME,
      namespace: args.namespace,
      labels: { ...labels },
      annotations: ownedAnnotations(),
    },
    spec: {
      replicas: 1,
      // Never two at once: both would only send the same checkpoints.
      strategy: { type: "Recreate" },
      selector: { matchLabels: { ...labels } },
      template: {
        metadata: {
          labels: { ...labels },
          ...(args.credentialsChecksum === undefined
            ? {}
            : { annotations: { "checksum/credentials": args.credentialsChecksum } }),
        },
        spec: {
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: NOBODY,
            runAsGroup: NOBODY,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [
            {
              name: "checkpointer",
              image: args.image,
              command: ["sh", "/scripts/checkpointer.sh"],
              env: [
                { name: "NATS_URL", value: args.natsUrl },
                { name: "NATS_USER", value: args.credentials.user },
                {
                  name: "NATS_PASSWORD",
                  valueFrom: { secretKeyRef: { name: args.credentials.secretName, key: args.credentials.passwordKey } },
                },
                ...(args.tlsCa ? [{ name: "NATS_CA", value: "/etc/nats-ca/ca.crt" }] : []),
              ],
              volumeMounts: [
                { name: "script", mountPath: "/scripts", readOnly: true },
                ...(args.tlsCa ? [{ name: "ca", mountPath: "/etc/nats-ca", readOnly: true }] : []),
              ],
              resources: { requests: { cpu: "20m", memory: "32Mi" }, limits: { memory: "256Mi" } },
              securityContext: restrictedContainer,
            },
          ],
          volumes: [
            { name: "script", configMap: { name: CHECKPOINTER_NAME, defaultMode: 0o555 } },
            ...(args.tlsCa
              ? [
                  {
                    name: "ca",
                    secret: { secretName: args.tlsCa.secretName, items: [{ key: args.tlsCa.key, path: "ca.crt" }] },
                  },
                ]
              : []),
          ],
        },
      },
    },
  };
}

export class Checkpointer extends pulumi.ComponentResource {
  public readonly deployment: k8s.apps.v1.Deployment;

  constructor(name: string, args: CheckpointerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("natsdr:checkpoints:Checkpointer", name, {}, opts);
    const child = pulumi.mergeOptions({ parent: this }, { provider: args.provider });
    const { apps, core } = kubernetesPackage();
    const script = new core.v1.ConfigMap(
      `${name}-script`,
      {
        metadata: {
          name: CHECKPOINTER_NAME,
          namespace: args.namespace,
          labels: { ...labels },
          annotations: ownedAnnotations(),
        },
        data: { "checkpointer.sh": renderCheckpointerScript(args.plan) },
      },
      child,
    );
    this.deployment = new apps.v1.Deployment(
      `${name}-deployment`,
      checkpointerDeployment(args),
      pulumi.mergeOptions(child, { dependsOn: [script] }),
    );
    this.registerOutputs({});
  }
}
