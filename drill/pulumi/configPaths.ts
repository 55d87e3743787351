// Stack config as a user types it: `pulumi config set --path 'nats-dr:regions.us-east-1.servers[0]' ...`,
// one path per leaf value, so the stack settings file holds the structure as YAML (and `pulumi
// config` shows it so) rather than JSON text. Pulumi gives the program each structured value as
// JSON text, which infra/config/read.ts parses.
import type { ConfigMap } from "@pulumi/pulumi/automation";

/** Strings that `--path` would store as a boolean or a number. */
const RETYPED = /^(true|false|-?\d+(\.\d+)?)$/;

function leaves(prefix: string, value: unknown, out: [string, string][]): void {
  if (value === undefined) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => leaves(`${prefix}[${index}]`, item, out));
    return;
  }
  if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (/[.[\]"]/.test(key)) throw new Error(`config path ${prefix}: the key "${key}" cannot be written as a path.`);
      leaves(`${prefix}.${key}`, item, out);
    }
    return;
  }
  if (typeof value === "string" && RETYPED.test(value) && prefix.includes("."))
    throw new Error(
      `config path ${prefix}: the string "${value}" would be stored as a ${/^(true|false)$/.test(value) ? "boolean" : "number"}.`,
    );
  if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean")
    throw new Error(
      `config path ${prefix}: ${value === null ? "null" : typeof value} is not a string, number or boolean.`,
    );
  out.push([prefix, String(value)]);
}

/**
 * `nats-dr:*` values as path keys for `setAllConfig(map, true)` (`pulumi config set-all --path`):
 * `{ backup: { enabled: false } }` becomes `nats-dr:backup.enabled = false`. `secretKeys` are set
 * with `--secret`.
 */
export function pathConfigMap(
  values: Readonly<Record<string, unknown>>,
  secretKeys: readonly string[] = [],
  namespace = "nats-dr",
): ConfigMap {
  const map: ConfigMap = {};
  for (const [key, value] of Object.entries(values)) {
    const out: [string, string][] = [];
    leaves(`${namespace}:${key}`, value, out);
    for (const [path, text] of out) map[path] = { value: text, secret: secretKeys.includes(key) };
  }
  return map;
}
