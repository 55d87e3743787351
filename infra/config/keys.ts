// The keys of the `nats-dr` config namespace this program reads.
import { kubernetesConfigKeys, kubernetesSecretKeys } from "./kubernetes";

/** The keys holding credentials; read with getSecret so they stay secrets. */
export const secretKeys = ["natsUser", "natsPassword", "natsToken", "natsCreds", ...kubernetesSecretKeys] as const;
export type SecretKey = (typeof secretKeys)[number];

/** Every key this program reads, without the `nats-dr:` prefix. */
export const configKeys = [
  "regionPair",
  "region",
  "activeRegion",
  "regions",
  "connection",
  "failover",
  "checkpoints",
  "allowDeleteWithMessages",
  "allowRecreateOverMirror",
  "adoptStreams",
  "catalog",
  "aws",
  "dns",
  "backup",
  "monitoring",
  ...kubernetesConfigKeys,
  ...secretKeys,
] as const;
export type ConfigKey = (typeof configKeys)[number];
