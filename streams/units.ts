// Human units <-> the server's wire units.
//
// Users write durations like "7d" and sizes like "10Gi"; the JetStream API wants nanoseconds and
// bytes. Every value is canonicalised (parse, then format) before it becomes a resource input, so
// "168h" and "7d" are the same input and never show up as a change in `pulumi preview`.
//
// This module must stay free of runtime imports: the dynamic provider captures it by value.

const NANOS_PER_UNIT: ReadonlyArray<readonly [string, number]> = [
  ["w", 7 * 24 * 3600 * 1e9],
  ["d", 24 * 3600 * 1e9],
  ["h", 3600 * 1e9],
  ["m", 60 * 1e9],
  ["s", 1e9],
  ["ms", 1e6],
  ["us", 1e3],
  ["ns", 1],
];

const BYTES_PER_UNIT: ReadonlyArray<readonly [string, number]> = [
  ["Ti", 1024 ** 4],
  ["Gi", 1024 ** 3],
  ["Mi", 1024 ** 2],
  ["Ki", 1024],
  ["TB", 1e12],
  ["GB", 1e9],
  ["MB", 1e6],
  ["KB", 1e3],
  ["B", 1],
];

/** The value JetStream uses for "no limit" on sizes and counts. */
export const UNLIMITED = -1;

/**
 * Parses "7d", "1h30m", "250ms" or "0" into nanoseconds. Returns an error sentence instead of
 * throwing so callers can attach the config key.
 */
export function parseDuration(text: string): { nanos: number } | { error: string } {
  const trimmed = text.trim();
  if (trimmed === "0") return { nanos: 0 };
  const part = /(\d+(?:\.\d+)?)(ms|us|ns|w|d|h|m|s)/gy;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = part.exec(trimmed)) !== null) {
    const unit = NANOS_PER_UNIT.find(([name]) => name === match![2])!;
    total += Number(match[1]) * unit[1];
    consumed = part.lastIndex;
  }
  if (consumed === 0 || consumed !== trimmed.length) {
    return {
      error: `"${text}" is not a duration; write a number with a unit such as "30s", "2m", "12h", "7d" or "1h30m" (units: w, d, h, m, s, ms, us, ns), or "0" for no limit`,
    };
  }
  if (!Number.isSafeInteger(Math.round(total / 1e6))) {
    return { error: `"${text}" is too long a duration; use at most a few hundred years` };
  }
  return { nanos: Math.round(total) };
}

/**
 * Formats nanoseconds with the largest unit up to days that divides it exactly: 604800e9 ->
 * "7d", 7200e9 -> "2h". Weeks are read but never written: people think in "7d" and "14d".
 */
export function formatDuration(nanos: number): string {
  if (nanos === 0) return "0";
  for (const [unit, size] of NANOS_PER_UNIT) {
    if (unit === "w") continue;
    if (nanos % size === 0) return `${nanos / size}${unit}`;
  }
  return `${nanos}ns`;
}

/** Parses "10Gi", "512MB", "1024" (bytes) or "unlimited"/-1 into bytes (-1 = unlimited). */
export function parseSize(text: string | number): { bytes: number } | { error: string } {
  if (typeof text === "number") {
    if (text === UNLIMITED || (Number.isSafeInteger(text) && text >= 0)) return { bytes: text };
    return { error: `${text} is not a size; use whole bytes, a string such as "10Gi", or "unlimited"` };
  }
  const trimmed = text.trim();
  if (trimmed === "unlimited" || trimmed === "-1") return { bytes: UNLIMITED };
  const match = /^(\d+(?:\.\d+)?)\s*(Ti|Gi|Mi|Ki|TB|GB|MB|KB|B)?$/.exec(trimmed);
  if (!match) {
    return {
      error: `"${text}" is not a size; write a number with a unit such as "512Mi", "10Gi" or "5GB" (units: Ki, Mi, Gi, Ti, KB, MB, GB, TB, B), or "unlimited"`,
    };
  }
  const multiplier = BYTES_PER_UNIT.find(([name]) => name === (match[2] ?? "B"))![1];
  const bytes = Number(match[1]) * multiplier;
  if (!Number.isInteger(bytes)) return { error: `"${text}" is not a whole number of bytes` };
  if (!Number.isSafeInteger(bytes)) return { error: `"${text}" is too large a size` };
  return { bytes };
}

/** Formats bytes with the largest binary unit that divides it exactly: 10737418240 -> "10Gi". */
export function formatSize(bytes: number): string {
  if (bytes === UNLIMITED) return "unlimited";
  if (bytes === 0) return "0";
  for (const [unit, size] of BYTES_PER_UNIT) {
    if (unit.endsWith("i") && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}`;
}

/** Parse-then-format, so equal values always have one spelling. */
export function canonicalDuration(text: string): string | { error: string } {
  const parsed = parseDuration(text);
  return "error" in parsed ? parsed : formatDuration(parsed.nanos);
}

export function canonicalSize(text: string | number): string | { error: string } {
  const parsed = parseSize(text);
  return "error" in parsed ? parsed : formatSize(parsed.bytes);
}

/** Parses a value that has already been canonicalised; throws only on a programming error. */
export function durationToNanos(text: string): number {
  const parsed = parseDuration(text);
  if ("error" in parsed) throw new Error(parsed.error);
  return parsed.nanos;
}

export function sizeToBytes(text: string | number): number {
  const parsed = parseSize(text);
  if ("error" in parsed) throw new Error(parsed.error);
  return parsed.bytes;
}
