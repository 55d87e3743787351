// `check` for both providers: validate the inputs with the zod schemas, canonicalise them, and
// report every problem as a failure naming the input path and the fix.
import type { ZodType } from "zod";
import { describeIssues } from "./schemas";

/** Pulumi's marker for values that are not known yet (during preview). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

export interface InputPart {
  /** Top-level input the schema covers, or undefined when it covers several top-level inputs. */
  readonly key: string | undefined;
  readonly schema: ZodType;
  readonly pick: (raw: Record<string, unknown>) => unknown;
}

export function checkInputs(news: Record<string, unknown>, parts: InputPart[]) {
  const failures: { property: string; reason: string }[] = [];
  let inputs: Record<string, unknown> = { ...news };
  for (const part of parts) {
    const result = part.schema.safeParse(part.pick(news));
    if (result.success) {
      inputs =
        part.key === undefined
          ? { ...inputs, ...(result.data as Record<string, unknown>) }
          : { ...inputs, [part.key]: result.data };
      continue;
    }
    for (const issue of result.error.issues) {
      const path = part.key === undefined ? issue.path.map(String) : [part.key, ...issue.path.map(String)];
      const [line] = describeIssues([{ path, message: issue.message }]);
      failures.push({ property: path[0] ?? "", reason: line! });
    }
  }
  return failures.length > 0 ? { inputs: news, failures } : { inputs };
}

/**
 * The declared inputs in a provider's state: `read` returns them as the inputs, and `check`
 * validates them (a state also holds what the provider recorded, such as failover evidence).
 */
export function pickInputs(state: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => state[key] !== undefined).map((key) => [key, state[key]]));
}
