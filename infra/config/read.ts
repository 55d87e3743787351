// Reads the `nats-dr:*` config of the running stack. The only module of infra/config that touches
// Pulumi's config; parsing stays pure in parse.ts.
import * as pulumi from "@pulumi/pulumi";
import { configKeys, secretKeys } from "./keys";
import { parseStackConfig } from "./parse";
import type { RawStackConfig } from "./parse";
import { CONFIG_NAMESPACE } from "./problems";
import type { StackConfig } from "./types";

/** Structured values arrive as JSON text; a value that is not JSON is passed on as the string it is. */
function jsonValue(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Gathers the raw values; credentials only as secret Outputs, never as plain text. */
export function gatherStackConfig(config: pulumi.Config = new pulumi.Config(CONFIG_NAMESPACE)): RawStackConfig {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const known: readonly string[] = configKeys;
  const unknownKeys = Object.keys(pulumi.runtime.allConfig())
    .filter((key) => key.startsWith(prefix))
    .map((key) => key.slice(prefix.length))
    .filter((key) => !known.includes(key))
    .sort();
  const secrets = Object.fromEntries(
    secretKeys.flatMap((key) => {
      const value = config.getSecret(key);
      return value === undefined ? [] : [[key, value]];
    }),
  );
  return {
    regionPair: jsonValue(config.get("regionPair")),
    region: config.get("region"),
    activeRegion: config.get("activeRegion"),
    regions: jsonValue(config.get("regions")),
    connection: jsonValue(config.get("connection")),
    failover: jsonValue(config.get("failover")),
    checkpoints: jsonValue(config.get("checkpoints")),
    allowDeleteWithMessages: jsonValue(config.get("allowDeleteWithMessages")),
    allowRecreateOverMirror: jsonValue(config.get("allowRecreateOverMirror")),
    adoptStreams: jsonValue(config.get("adoptStreams")),
    catalog: jsonValue(config.get("catalog")),
    aws: jsonValue(config.get("aws")),
    dns: jsonValue(config.get("dns")),
    backup: jsonValue(config.get("backup")),
    monitoring: jsonValue(config.get("monitoring")),
    kubernetes: jsonValue(config.get("kubernetes")),
    leafnode: jsonValue(config.get("leafnode")),
    tls: jsonValue(config.get("tls")),
    insecureLabWithoutLinkTls: jsonValue(config.get("insecureLabWithoutLinkTls")),
    ...secrets,
    unknownKeys,
  };
}

/**
 * Reads and validates the stack config. On problems, prints all of them to stderr in one block and
 * throws, so the program stops before any resource is registered.
 */
export function readStackConfig(config?: pulumi.Config): StackConfig {
  const result = parseStackConfig(gatherStackConfig(config));
  if ("config" in result) return result.config;
  const count = `${result.problems.length} configuration problem${result.problems.length === 1 ? "" : "s"}`;
  console.error(
    [`${CONFIG_NAMESPACE}: ${count}; nothing was changed:`, ...result.problems.map((line) => `  - ${line}`)].join("\n"),
  );
  throw new pulumi.RunError(`${CONFIG_NAMESPACE}: ${count}; see above`);
}
