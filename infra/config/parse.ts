// Pure parsing of the raw config values into a StackConfig, or every problem found.
import * as pulumi from "@pulumi/pulumi";
import type { CredentialsSpec } from "../../streams";
import { isPlainObject } from "../catalog/merge";
import type { ConfigKey, SecretKey } from "./keys";
import { toKubernetesConfig } from "./kubernetes";
import { KUBERNETES_APP_USER } from "./serverSecurity";
import { defaultMonitoringConfig } from "./monitoring";
import { describeIssues } from "../../streams/schemas";
import { configPath } from "./problems";
import { peerOf, regionPairSchema } from "./regions";
import type { Region } from "./regions";
import { stackConfigSchema } from "./schema";
import type { ParsedStackConfig } from "./schema";
import type { CredentialsMethod, RegionEndpoint, StackConfig } from "./types";

/**
 * What readStackConfig gathers: the plain values as Pulumi holds them (JSON already parsed), the
 * credentials as secret Outputs, and the `nats-dr:` keys the program does not know.
 */
export type RawStackConfig = { readonly [Key in Exclude<ConfigKey, SecretKey>]?: unknown } & {
  readonly [Key in SecretKey]?: pulumi.Output<string>;
} & { readonly unknownKeys?: readonly string[] };

/**
 * Validates everything a stack reads. Pure: no config access, no resources, no printing. Each
 * problem is one line "nats-dr:<key path>: <what is wrong and how to fix it>".
 */
export function parseStackConfig(raw: unknown): { config: StackConfig } | { problems: string[] } {
  // Every region-valued key is checked against the pair, so the pair is read first; when it is
  // wrong, checking the rest against a pair the user did not mean would only add noise.
  const regionPair = regionPairSchema().safeParse(isPlainObject(raw) ? raw["regionPair"] : undefined);
  if (!regionPair.success)
    return {
      problems: describeIssues(
        regionPair.error.issues.map((issue) => ({ ...issue, path: ["regionPair", ...issue.path] })),
        configPath,
      ),
    };
  const parsed = stackConfigSchema(regionPair.data).safeParse(raw);
  if (!parsed.success) return { problems: describeIssues(parsed.error.issues, configPath) };
  return { config: toStackConfig(parsed.data) };
}

function toStackConfig(data: ParsedStackConfig): StackConfig {
  const endpointOf = (name: Region): RegionEndpoint => {
    const entry = data.regions[name];
    return { domain: entry?.domain ?? name, servers: entry?.servers ?? [] };
  };
  const peerRegion = peerOf(data.regionPair, data.region);
  const [self, peer] = [endpointOf(data.region), endpointOf(peerRegion)];
  const { credentials, credentialsMethod } = credentialsOf(data);
  return {
    regionPair: data.regionPair,
    region: data.region,
    peerRegion,
    activeRegion: data.activeRegion,
    regions: { [data.region]: self, [peerRegion]: peer },
    self,
    peer,
    connection: { servers: [...self.servers], ...data.connection },
    credentials,
    credentialsMethod,
    failover: data.failover,
    checkpoints: data.checkpoints,
    allowDeleteWithMessages: data.allowDeleteWithMessages,
    allowRecreateOverMirror: data.allowRecreateOverMirror,
    adoptStreams: data.adoptStreams,
    catalog: data.catalog,
    aws: data.aws,
    dns: data.dns,
    backup: data.backup,
    kubernetes: toKubernetesConfig(data),
    monitoring: data.monitoring ?? defaultMonitoringConfig(),
  };
}

/** Combines the secret Outputs (whose combination the schema checked) into one secret input. */
function credentialsOf(data: ParsedStackConfig): {
  credentials: pulumi.Output<CredentialsSpec> | undefined;
  credentialsMethod: CredentialsMethod;
} {
  const { natsUser, natsPassword, natsToken, natsCreds, kubernetes, appPassword } = data;
  // The stack's own servers: the provider is user "app", with the one password the servers take
  // (kubernetesIssues refused every other credential key).
  if (kubernetes !== undefined && appPassword !== undefined) {
    const credentials = appPassword.apply((password) => ({ user: KUBERNETES_APP_USER, password }));
    return { credentials: pulumi.secret(credentials), credentialsMethod: "userPassword" };
  }
  if (natsUser && natsPassword) {
    const credentials = pulumi.all([natsUser, natsPassword]).apply(([user, password]) => ({ user, password }));
    return { credentials: pulumi.secret(credentials), credentialsMethod: "userPassword" };
  }
  if (natsToken)
    return { credentials: pulumi.secret(natsToken.apply((token) => ({ token }))), credentialsMethod: "token" };
  if (natsCreds)
    return { credentials: pulumi.secret(natsCreds.apply((creds) => ({ creds }))), credentialsMethod: "creds" };
  return { credentials: undefined, credentialsMethod: "none" };
}
