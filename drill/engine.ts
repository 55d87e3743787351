// A small stand-in for the Pulumi engine, so the drill runs the dynamic providers the way
// `pulumi up` runs them, without a Pulumi CLI or backend:
//   check every resource (a failure stops the run before anything changes), optionally refresh
//   (read), then per resource, dependencies first and independent resources in parallel:
//   no state -> create; diff -> same | update | replace; replacements are create-before-delete
//   (the old one deleted after every other step) unless diff says deleteBeforeReplace; resources
//   no longer declared are deleted last, dependents first. Outputs are kept in a state map, one
//   per stack. The providers are the objects `streams/` registers, called with the same olds/news.
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { stableJson } from "../streams/diff";

export interface DesiredResource {
  /** Unique within the stack, like a Pulumi resource name (e.g. "jetstream-stream-events"). */
  readonly name: string;
  readonly provider: dynamic.ResourceProvider;
  /** Inputs as the program registers them, before `check`. */
  readonly inputs: Record<string, unknown>;
  /** Names of resources that must be created or updated first (Pulumi's dependsOn). */
  readonly dependsOn: readonly string[];
}

export interface StateEntry {
  readonly name: string;
  readonly provider: dynamic.ResourceProvider;
  readonly id: string;
  readonly inputs: Record<string, unknown>;
  readonly outputs: Record<string, unknown>;
  readonly dependsOn: readonly string[];
}

export type StepOp = "create" | "update" | "same" | "replace" | "delete" | "refresh" | "forget";

export interface StepRecord {
  readonly name: string;
  readonly op: StepOp;
  /** ms since the run started, and the step's duration. */
  readonly startedMs: number;
  readonly ms: number;
  /** What diff said changed (detailed paths), and the replace keys. */
  readonly detail?: string;
  readonly error?: string;
}

export interface RunResult {
  readonly ok: boolean;
  readonly ms: number;
  readonly steps: readonly StepRecord[];
  /** The first error, as the engine prints it. */
  readonly error?: string;
}

export class Stack {
  readonly state = new Map<string, StateEntry>();
  constructor(readonly name: string) {}
}

export interface RunOptions {
  /** Read every resource first, like `pulumi up --refresh`. @default false */
  readonly refresh?: boolean;
}

/** One `pulumi up` of `stack` to the desired resources. Never throws; errors are in the result. */
export async function up(
  stack: Stack,
  desired: readonly DesiredResource[],
  options: RunOptions = {},
): Promise<RunResult> {
  const started = performance.now();
  const steps: StepRecord[] = [];
  const elapsed = () => performance.now() - started;
  const step = async (name: string, op: StepOp, work: () => Promise<string | void>): Promise<void> => {
    const at = elapsed();
    try {
      const detail = await work();
      steps.push({ name, op, startedMs: at, ms: elapsed() - at, ...(detail ? { detail } : {}) });
    } catch (error) {
      const message = String((error as Error)?.message ?? error);
      steps.push({ name, op, startedMs: at, ms: elapsed() - at, error: message });
      throw new Error(`${name}: ${op} failed: ${message}`, { cause: error });
    }
  };
  const result = (error?: unknown): RunResult => ({
    ok: error === undefined,
    ms: elapsed(),
    steps,
    ...(error === undefined ? {} : { error: String((error as Error)?.message ?? error) }),
  });

  // 1. check: every input validated before any change, as the preview does.
  const checked = new Map<string, Record<string, unknown>>();
  const failures: string[] = [];
  for (const resource of desired) {
    const olds = stack.state.get(resource.name)?.inputs ?? {};
    const answer = await resource.provider.check!(olds, resource.inputs);
    if (answer.failures && answer.failures.length > 0)
      failures.push(...answer.failures.map((f) => `${resource.name}: ${f.reason}`));
    else checked.set(resource.name, answer.inputs as Record<string, unknown>);
  }
  if (failures.length > 0) return result(new Error(`check failed, nothing changed:\n${failures.join("\n")}`));

  try {
    // 2. refresh.
    if (options.refresh) {
      await Promise.all(
        [...stack.state.values()].map((entry) => step(entry.name, "refresh", () => refresh(stack, entry))),
      );
    }
    // 3. creates, updates and replacements, dependencies first.
    const pendingDeletes: StateEntry[] = [];
    const done = new Map<string, Promise<void>>();
    const byName = new Map(desired.map((resource) => [resource.name, resource]));
    const visit = (resource: DesiredResource): Promise<void> => {
      let promise = done.get(resource.name);
      if (promise === undefined) {
        promise = (async () => {
          await Promise.all(
            resource.dependsOn
              .map((name) => byName.get(name))
              .filter((dep): dep is DesiredResource => dep !== undefined)
              .map(visit),
          );
          await apply(stack, resource, checked.get(resource.name)!, pendingDeletes, step);
        })();
        done.set(resource.name, promise);
      }
      return promise;
    };
    const outcomes = await Promise.allSettled(desired.map(visit));
    const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
    if (failed) throw failed.reason;

    // 4. deletes: replaced resources, then resources no longer declared, dependents first.
    const undeclared = [...stack.state.values()].filter((entry) => !byName.has(entry.name));
    for (const entry of [...pendingDeletes, ...dependentsFirst(undeclared)]) {
      await step(entry.name, "delete", async () => {
        await entry.provider.delete?.(entry.id, entry.outputs);
      });
      if (stack.state.get(entry.name) === entry) stack.state.delete(entry.name);
    }
    return result();
  } catch (error) {
    return result(error);
  }
}

type Step = (name: string, op: StepOp, work: () => Promise<string | void>) => Promise<void>;

async function apply(
  stack: Stack,
  resource: DesiredResource,
  inputs: Record<string, unknown>,
  pendingDeletes: StateEntry[],
  step: Step,
): Promise<void> {
  const old = stack.state.get(resource.name);
  // Outputs as the provider returned them (Pulumi types them `any`): our providers return objects.
  const save = (id: string, outputs: unknown) =>
    stack.state.set(resource.name, {
      name: resource.name,
      provider: resource.provider,
      id,
      inputs,
      outputs: (outputs ?? {}) as Record<string, unknown>,
      dependsOn: resource.dependsOn,
    });
  if (old === undefined) {
    await step(resource.name, "create", async () => {
      const created = await resource.provider.create(inputs);
      save(created.id, created.outs);
    });
    return;
  }
  const diff = (await resource.provider.diff?.(old.id, old.outputs, inputs)) ?? { changes: true };
  if (!diff.changes) {
    await step(resource.name, "same", async () => {
      save(old.id, old.outputs);
    });
    return;
  }
  const detail = describeDiff(old.outputs, inputs, diff);
  if (diff.replaces && diff.replaces.length > 0) {
    await step(resource.name, "replace", async () => {
      if (diff.deleteBeforeReplace) await old.provider.delete?.(old.id, old.outputs);
      const created = await resource.provider.create(inputs);
      save(created.id, created.outs);
      if (!diff.deleteBeforeReplace) pendingDeletes.push(old);
      return `${detail}${diff.deleteBeforeReplace ? " (delete before replace)" : ""}`;
    });
    return;
  }
  await step(resource.name, "update", async () => {
    const updated = await resource.provider.update!(old.id, old.outputs, inputs);
    save(old.id, updated.outs);
    return detail;
  });
}

async function refresh(stack: Stack, entry: StateEntry): Promise<string | void> {
  if (!entry.provider.read) return;
  const read = await entry.provider.read(entry.id, entry.outputs);
  if (!read.id) {
    stack.state.delete(entry.name);
    return "gone from the server: dropped from the state";
  }
  stack.state.set(entry.name, {
    ...entry,
    id: read.id,
    outputs: (read.props as Record<string, unknown>) ?? entry.outputs,
  });
}

/** `~role` style summary of what changed, as a preview prints it. */
export function describeDiff(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  diff: dynamic.DiffResult,
): string {
  const changed = Object.keys({ ...olds, ...news })
    .filter(
      (key) =>
        key !== "__provider" &&
        !key.startsWith("last") &&
        key !== "instance" &&
        stableJson(olds[key]) !== stableJson(news[key]),
    )
    .sort();
  const replaces = diff.replaces ?? [];
  return `[diff: ${changed.map((key) => (replaces.includes(key) ? `+-${key}` : `~${key}`)).join(" ")}]`;
}

/** Entries ordered so that a resource comes before the resources it depends on. */
export function dependentsFirst(entries: readonly StateEntry[]): StateEntry[] {
  const names = new Set(entries.map((entry) => entry.name));
  const depth = (entry: StateEntry, seen = new Set<string>()): number => {
    if (seen.has(entry.name)) return 0;
    seen.add(entry.name);
    const parents = entry.dependsOn
      .filter((name) => names.has(name))
      .map((name) => entries.find((other) => other.name === name)!);
    return parents.length === 0 ? 0 : 1 + Math.max(...parents.map((parent) => depth(parent, seen)));
  };
  return [...entries].sort((a, b) => depth(b) - depth(a) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
