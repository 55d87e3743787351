// Turning validation findings into lines a person can act on: "<config key path>: <sentence>".

/** The Pulumi config namespace of every key this program reads (the project name). */
export const CONFIG_NAMESPACE = "nats-dr";

/** `nats-dr:catalog.streams.events.maxAge` from ["catalog", "streams", "events", "maxAge"]. */
export function configPath(path: ReadonlyArray<PropertyKey>): string {
  const [key, ...rest] = path.map(String);
  if (key === undefined) return CONFIG_NAMESPACE;
  // Names with dots or other punctuation (an invalid stream name, say) are quoted to keep the path readable.
  const segments = rest.map((segment) =>
    /^[A-Za-z0-9_-]+$/.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`,
  );
  return `${CONFIG_NAMESPACE}:${key}${segments.join("")}`;
}

export interface Issue {
  readonly path: ReadonlyArray<PropertyKey>;
  readonly message: string;
}

/** A sentence for fields a schema does not know, optionally listing the ones it does. */
export function unknownFieldsMessage(keys: readonly string[], known?: readonly string[]): string {
  const names = keys.map((key) => `"${key}"`).join(", ");
  const list = known ? `; the fields are ${known.join(", ")}` : "";
  return `unknown field${keys.length === 1 ? "" : "s"} ${names}; check the spelling (fields are camelCase)${list}, see docs/configuration.md`;
}

/** A zod `error` option for strict objects that names the unknown and the known fields. */
export function unknownFieldsError(known: readonly string[]) {
  return (issue: { code?: string; keys?: string[] }): string | undefined =>
    issue.code === "unrecognized_keys" && issue.keys ? unknownFieldsMessage(issue.keys, known) : undefined;
}
