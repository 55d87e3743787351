// Deep merge for catalog entries: plain objects merge field by field, everything else (arrays,
// strings, numbers) is replaced by the override. `subjects: [...]` therefore replaces the list.

export type PlainObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function deepMerge(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const merged: PlainObject = { ...base };
  for (const [key, value] of Object.entries(override)) merged[key] = deepMerge(base[key], value);
  return merged;
}

/**
 * Merges entry maps by name: "extend" lays `overrides` over `defaults` (matching names deep-merge,
 * new names are added); "replace" keeps only `overrides`. Names come out sorted.
 */
export function mergeEntries(
  mode: "extend" | "replace",
  defaults: Readonly<Record<string, unknown>>,
  overrides: Readonly<Record<string, unknown>>,
): Array<[string, unknown]> {
  const merged: Record<string, unknown> = mode === "extend" ? { ...defaults } : {};
  for (const [name, entry] of Object.entries(overrides)) merged[name] = deepMerge(merged[name], entry);
  return Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
