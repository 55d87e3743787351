// A small, pure model of the Route53 rules that matter for the client hostname's records: how a
// change batch is validated and applied (ChangeResourceRecordSets), and which records answer a
// query given the health checks. docs/dns.md explains the design it is used to check; the tests
// replay stack runs (planned failover, failback, unplanned failover) against it.
//
// Rules modelled (Route53 Developer Guide, "Choosing a routing policy" and "How Route 53 chooses
// records when health checking is configured"):
// - A record set is keyed by (name, type, setIdentifier). CREATE fails when the key exists, DELETE
//   when it does not exist or differs, UPSERT creates or replaces. A batch is atomic: one invalid
//   change or an invalid resulting zone rejects the whole batch and changes nothing.
// - All record sets of one name and type use one routing policy; a simple record has no
//   setIdentifier and is alone; a CNAME cannot share its name with another type.
// - Failover: at most one PRIMARY and one SECONDARY per name and type. Weighted: weight 0-255.
// - Failover answers the PRIMARY when it is healthy, else the SECONDARY when it is healthy, else
//   the PRIMARY. Weighted answers the healthy records of nonzero weight; when there are none, the
//   healthy zero-weight records; when nothing is healthy, it answers as if all were healthy
//   (nonzero weights first). A record without a health check counts as healthy.

export type RoutingPolicy =
  | { readonly kind: "simple" }
  | { readonly kind: "weighted"; readonly weight: number }
  | { readonly kind: "failover"; readonly role: "PRIMARY" | "SECONDARY" };

export interface ModelRecord {
  readonly name: string;
  readonly type: string;
  /** Required for every policy but "simple". */
  readonly setIdentifier?: string;
  readonly policy: RoutingPolicy;
  readonly healthCheckId?: string;
  /** The record's values, e.g. a CNAME target. */
  readonly values: readonly string[];
}

export interface Change {
  readonly action: "CREATE" | "UPSERT" | "DELETE";
  readonly record: ModelRecord;
}

/** The records of one hosted zone. Treated as immutable: applyBatch returns a new zone. */
export type Zone = ReadonlyMap<string, ModelRecord>;

export const emptyZone: Zone = new Map();

function keyOf(record: Pick<ModelRecord, "name" | "type" | "setIdentifier">): string {
  return `${record.name.toLowerCase()}|${record.type}|${record.setIdentifier ?? ""}`;
}

function describe(record: ModelRecord): string {
  const id = record.setIdentifier === undefined ? "" : `, set-identifier ${record.setIdentifier}`;
  return `[name ${record.name}, type ${record.type}${id}]`;
}

/** Every way `zone` breaks the rules above; empty when it is a zone Route53 accepts. */
export function zoneProblems(zone: Zone): string[] {
  const problems: string[] = [];
  const byName = new Map<string, ModelRecord[]>();
  for (const record of zone.values()) {
    const group = byName.get(record.name.toLowerCase()) ?? [];
    group.push(record);
    byName.set(record.name.toLowerCase(), group);
  }
  for (const [name, records] of byName) {
    const types = new Set(records.map((record) => record.type));
    if (types.has("CNAME") && types.size > 1)
      problems.push(
        `${name}: a CNAME record cannot share its name with ${[...types].filter((t) => t !== "CNAME").join(", ")}`,
      );
    for (const type of types) {
      const group = records.filter((record) => record.type === type);
      const kinds = new Set(group.map((record) => record.policy.kind));
      if (kinds.size > 1)
        problems.push(
          `${name} ${type}: records of one name and type must share one routing policy, found ${[...kinds].join(" and ")}`,
        );
      for (const record of group) {
        if (record.policy.kind === "simple" ? record.setIdentifier !== undefined : record.setIdentifier === undefined) {
          problems.push(
            `${describe(record)}: a ${record.policy.kind} record ${record.policy.kind === "simple" ? "has no" : "needs a"} set identifier`,
          );
        }
        if (
          record.policy.kind === "weighted" &&
          !(Number.isInteger(record.policy.weight) && record.policy.weight >= 0 && record.policy.weight <= 255)
        ) {
          problems.push(`${describe(record)}: weight ${record.policy.weight} is not 0-255`);
        }
      }
      if (kinds.has("simple") && group.length > 1)
        problems.push(`${name} ${type}: a simple record must be the only record of its name and type`);
      for (const role of ["PRIMARY", "SECONDARY"] as const) {
        const holders = group.filter((record) => record.policy.kind === "failover" && record.policy.role === role);
        if (holders.length > 1) {
          problems.push(
            `${name} ${type}: ${holders.map(describe).join(" and ")} are both failover ${role}; a name has at most one ${role} record`,
          );
        }
      }
    }
  }
  return problems;
}

/**
 * Applies a change batch the way ChangeResourceRecordSets does: all of it, or (with the reason in
 * `error`) none of it.
 */
export function applyBatch(
  zone: Zone,
  changes: readonly Change[],
): { zone: Zone; error?: undefined } | { zone: Zone; error: string } {
  const next = new Map(zone);
  for (const { action, record } of changes) {
    const key = keyOf(record);
    const existing = next.get(key);
    if (action === "CREATE" && existing)
      return { zone, error: `InvalidChangeBatch: tried to create ${describe(record)} but it already exists` };
    if (action === "DELETE") {
      if (!existing || JSON.stringify(existing) !== JSON.stringify(record)) {
        return {
          zone,
          error: `InvalidChangeBatch: tried to delete ${describe(record)} but it was not found with the given values`,
        };
      }
      next.delete(key);
    } else {
      next.set(key, record);
    }
  }
  const problems = zoneProblems(next);
  if (problems.length > 0) return { zone, error: `InvalidChangeBatch: ${problems.join("; ")}` };
  return { zone: next };
}

/** Health of the checks by id; a record without a health check, or an unknown id, is healthy. */
export type Health = Readonly<Record<string, boolean>>;

function healthy(record: ModelRecord, health: Health): boolean {
  return record.healthCheckId === undefined || health[record.healthCheckId] !== false;
}

/**
 * The records that may answer a query for `name`/`type` (weighted: every record that can be
 * drawn), sorted by set identifier; empty when the name has no records.
 */
export function answer(zone: Zone, name: string, type: string, health: Health): ModelRecord[] {
  const group = [...zone.values()].filter(
    (record) => record.name.toLowerCase() === name.toLowerCase() && record.type === type,
  );
  const sorted = (records: ModelRecord[]) =>
    [...records].sort((a, b) => ((a.setIdentifier ?? "") < (b.setIdentifier ?? "") ? -1 : 1));
  const [first] = group;
  if (!first) return [];
  if (first.policy.kind === "simple") return [first];
  if (first.policy.kind === "failover") {
    const primary = group.find((record) => record.policy.kind === "failover" && record.policy.role === "PRIMARY");
    const secondary = group.find((record) => record.policy.kind === "failover" && record.policy.role === "SECONDARY");
    if (primary && healthy(primary, health)) return [primary];
    if (secondary && healthy(secondary, health)) return [secondary];
    return primary ? [primary] : secondary ? [secondary] : [];
  }
  const weight = (record: ModelRecord) => (record.policy.kind === "weighted" ? record.policy.weight : 0);
  const alive = group.filter((record) => healthy(record, health));
  const preferred = alive.filter((record) => weight(record) > 0);
  if (preferred.length > 0) return sorted(preferred);
  if (alive.length > 0) return sorted(alive);
  const weighted = group.filter((record) => weight(record) > 0);
  return sorted(weighted.length > 0 ? weighted : group);
}
