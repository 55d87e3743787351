// Pure diff of stream and consumer inputs, following what the server can change in place.
//
// The rules mirror the JetStream API: StreamUpdateConfig fields update in place; storage, the
// name, a work queue retention and set deny flags cannot change; a mirror cannot be re-pointed, and a primary cannot
// become a mirror (replace, with the orphan preservation done in `create`). A mirror becoming
// a primary is an in-place update: the promotion.
import type { ConsumerResourceInputs, ConsumerSpec, StreamResourceInputs, StreamSpec } from "./spec";

export interface InputsDiff {
  readonly changes: boolean;
  /** Top-level input keys whose change forces a replacement. */
  readonly replaces: string[];
  readonly deleteBeforeReplace: boolean;
  /** Every changed field as a dotted path ("spec.maxAge"), for messages and tests. */
  readonly changed: string[];
}

const IMMUTABLE_CONSUMER_FIELDS: ReadonlyArray<keyof ConsumerSpec> = [
  "deliver",
  "deliverPolicy",
  "deliverGroup",
  "ackPolicy",
];

/** Changes the server refuses in a stream update (nats-server's stream config update checks). */
function immutableStreamChange(olds: StreamSpec, news: StreamSpec): boolean {
  if (olds.storage !== news.storage) return true;
  // limits <-> interest can change in place; to or from a work queue cannot.
  if (olds.retention !== news.retention && (olds.retention === "workqueue" || news.retention === "workqueue"))
    return true;
  // Once set, deny_delete and deny_purge cannot be cleared.
  return (olds.denyDelete && !news.denyDelete) || (olds.denyPurge && !news.denyPurge);
}

function equal(left: unknown, right: unknown): boolean {
  return stableJson(left) === stableJson(right);
}

/** JSON with sorted keys and without undefined values, so equal data has one text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner && typeof inner === "object" && !Array.isArray(inner)) {
      return Object.fromEntries(
        Object.entries(inner as Record<string, unknown>)
          .filter(([, v]) => v !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    }
    return inner;
  });
}

function changedPaths(
  prefix: string,
  olds: Record<string, unknown> | undefined,
  news: Record<string, unknown> | undefined,
): string[] {
  const keys = new Set([...Object.keys(olds ?? {}), ...Object.keys(news ?? {})]);
  return [...keys]
    .filter((key) => !equal(olds?.[key], news?.[key]))
    .sort()
    .map((key) => `${prefix}.${key}`);
}

export function diffStreamInputs(olds: StreamResourceInputs, news: StreamResourceInputs): InputsDiff {
  const changed = [
    ...changedPaths(
      "spec",
      olds.spec as unknown as Record<string, unknown>,
      news.spec as unknown as Record<string, unknown>,
    ),
    ...changedPaths(
      "connection",
      olds.connection as unknown as Record<string, unknown>,
      news.connection as unknown as Record<string, unknown>,
    ),
    ...changedPaths(
      "failover",
      olds.failover as unknown as Record<string, unknown>,
      news.failover as unknown as Record<string, unknown>,
    ),
    ...(
      ["domain", "role", "peerDomain", "allowDeleteWithMessages", "allowRecreateOverMirror", "credentials"] as const
    ).filter(
      (key) =>
        !equal((olds as unknown as Record<string, unknown>)[key], (news as unknown as Record<string, unknown>)[key]),
    ),
  ];
  const replaces = new Set<string>();
  let deleteBeforeReplace = false;
  if (olds.domain !== news.domain) replaces.add("domain");
  if (olds.spec.name !== news.spec.name) replaces.add("spec");
  if (immutableStreamChange(olds.spec, news.spec)) {
    // Same stream name in the same domain: the old stream must go before the new one exists.
    replaces.add("spec");
    deleteBeforeReplace = olds.spec.name === news.spec.name && olds.domain === news.domain;
  }
  if (olds.role === "primary" && news.role === "mirror") {
    // Create-before-delete on purpose: `create` finds the old primary, preserves its orphaned
    // messages and only then deletes it; the engine's later delete of the old state is a no-op.
    replaces.add("role");
  }
  if (olds.role === "mirror" && news.role === "mirror" && olds.peerDomain !== news.peerDomain) {
    replaces.add("peerDomain");
    deleteBeforeReplace = true;
  }
  return {
    changes: changed.length > 0,
    replaces: [...replaces].sort(),
    deleteBeforeReplace: replaces.size > 0 && deleteBeforeReplace,
    changed,
  };
}

export function diffConsumerInputs(olds: ConsumerResourceInputs, news: ConsumerResourceInputs): InputsDiff {
  const changed = [
    ...changedPaths(
      "spec",
      olds.spec as unknown as Record<string, unknown>,
      news.spec as unknown as Record<string, unknown>,
    ),
    ...changedPaths(
      "connection",
      olds.connection as unknown as Record<string, unknown>,
      news.connection as unknown as Record<string, unknown>,
    ),
    ...(["domain", "stream", "credentials"] as const).filter(
      (key) =>
        !equal((olds as unknown as Record<string, unknown>)[key], (news as unknown as Record<string, unknown>)[key]),
    ),
    // Absent and false mean the same: consumers created before the input existed have none.
    ...((olds.allowDeleteWithMessages ?? false) === (news.allowDeleteWithMessages ?? false)
      ? []
      : ["allowDeleteWithMessages"]),
  ];
  const replaces = new Set<string>();
  if (olds.domain !== news.domain) replaces.add("domain");
  if (olds.stream !== news.stream) replaces.add("stream");
  if (olds.spec.name !== news.spec.name) replaces.add("spec");
  const sameConsumer = olds.domain === news.domain && olds.stream === news.stream && olds.spec.name === news.spec.name;
  let deleteBeforeReplace = false;
  if (IMMUTABLE_CONSUMER_FIELDS.some((field) => !equal(olds.spec[field], news.spec[field]))) {
    replaces.add("spec");
    deleteBeforeReplace = sameConsumer;
  }
  return { changes: changed.length > 0, replaces: [...replaces].sort(), deleteBeforeReplace, changed };
}
