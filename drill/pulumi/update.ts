// One `pulumi up` of a stack through the Automation API, with what the engine itself reported: its
// resource changes, every step it took (from its event stream, timed as the events arrived), its
// error diagnostics and the text it printed. For the drill, the lab and tests alike.
import type { EngineEvent, OpMap, OutputMap, Stack, StepEventMetadata } from "@pulumi/pulumi/automation";
import { stableJson } from "../../streams/diff";
import { resourceNameOfUrn } from "./events";

export interface EngineStep {
  /** The engine's op: create, update, replace, create-replacement, delete-replaced, same, refresh, ... */
  readonly op: string;
  /** The resource's name (the last part of its URN). */
  readonly name: string;
  /** The resource's type token, e.g. "pulumi-nodejs:dynamic/natsdr:JetStreamStream". */
  readonly type: string;
  /** What changed, as Pulumi's display marks it: "~role", "+peerDomain", "-peerDomain". */
  readonly diff: readonly string[];
  /** Inputs whose change forces the replacement (replace ops). */
  readonly replaceKeys: readonly string[];
  /**
   * Old and new value of each changed key, for steps that change an existing resource (update,
   * replace, refresh): what a `pulumi preview --diff` would print. The serialized provider
   * (`__provider`) is left out: it is long and says nothing about the resource.
   */
  readonly values?: Readonly<Record<string, { readonly old: unknown; readonly new: unknown }>>;
  /** When the engine announced the step, ms since the run started. */
  readonly startedMs: number;
  /** Until the engine reported its outputs (or its failure); null: it did neither. */
  readonly ms: number | null;
  readonly failed: boolean;
}

export interface UpRun {
  readonly ok: boolean;
  /** Wall time of the whole command (CLI start to the Automation API's answer), ms. */
  readonly ms: number;
  /** When the engine's summary arrived (the update was over), ms since the start; null: none came. */
  readonly completedMs: number | null;
  /** The engine's own count of resource changes by op (UpResult.summary.resourceChanges). */
  readonly resourceChanges: Readonly<OpMap>;
  readonly steps: readonly EngineStep[];
  /** Error diagnostics the engine printed (a provider's error, a program's config problems). */
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  /** The error of a failed run: the engine's error diagnostics, or the command's own error. */
  readonly error?: string;
  /** What `pulumi up` printed. */
  readonly stdout: string;
  /** The stack outputs after a successful run (secret values included as values). */
  readonly outputs?: Readonly<Record<string, unknown>>;
}

export interface UpRunOptions {
  /** `pulumi up --refresh`. @default false */
  readonly refresh?: boolean;
  /**
   * Called once when the engine reports the update over with no failed step, before the CLI has
   * exited and the Automation API has read the outputs: the moment a user's `pulumi up` is done.
   */
  readonly onComplete?: () => void;
  /** Gets what the CLI prints as it prints it (the lab shows it live). */
  readonly onOutput?: (text: string) => void;
}

/** Top-level keys whose values differ, marked as Pulumi marks them. Pure. */
export function changedKeys(
  olds: Readonly<Record<string, unknown>> | undefined,
  news: Readonly<Record<string, unknown>> | undefined,
): string[] {
  const keys = [...new Set([...Object.keys(olds ?? {}), ...Object.keys(news ?? {})])].sort();
  return keys.flatMap((key) => {
    const before = olds?.[key];
    const after = news?.[key];
    if (before === undefined && after !== undefined) return [`+${key}`];
    if (before !== undefined && after === undefined) return [`-${key}`];
    return stableJson(before) === stableJson(after) ? [] : [`~${key}`];
  });
}

/** What a step changed: inputs for the steps of an update, outputs too for a refresh (drift). */
function stepDiff(metadata: StepEventMetadata): string[] {
  const inputs = changedKeys(metadata.old?.inputs, metadata.new?.inputs);
  if (metadata.op !== "refresh") return inputs;
  const outputs = changedKeys(metadata.old?.outputs, metadata.new?.outputs);
  return [...new Set([...inputs, ...outputs])].sort((a, b) => (a.slice(1) < b.slice(1) ? -1 : 1));
}

/** Ops that change a resource that exists: their old and new values are worth keeping. */
const CHANGING_OPS = new Set(["update", "replace", "create-replacement", "refresh"]);

function stepValues(
  metadata: StepEventMetadata,
  diff: readonly string[],
): Record<string, { old: unknown; new: unknown }> | undefined {
  if (!CHANGING_OPS.has(metadata.op) || diff.length === 0) return undefined;
  const side = metadata.op === "refresh" ? "outputs" : "inputs";
  const keys = diff.map((mark) => mark.slice(1)).filter((key) => key !== "__provider");
  // The engine's property maps are typed `any`: values are kept as they are, unread.
  const before: Readonly<Record<string, unknown>> = metadata.old?.[side] ?? {};
  const after: Readonly<Record<string, unknown>> = metadata.new?.[side] ?? {};
  return Object.fromEntries(keys.map((key) => [key, { old: before[key] ?? null, new: after[key] ?? null }]));
}

/**
 * Collects the steps of one engine run from its events. `now` is the time (ms since the run
 * started) an event is handed over at.
 */
export class StepRecorder {
  readonly steps: EngineStep[] = [];
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  completedMs: number | null = null;
  resourceChanges: OpMap = {};
  private readonly open = new Map<string, number>();

  /** Records one event; returns true when it is the summary of an update in which no step failed. */
  add(event: EngineEvent, now: number): boolean {
    const pre = event.resourcePreEvent;
    if (pre && !pre.planning) {
      const metadata = pre.metadata;
      this.open.set(`${metadata.op} ${metadata.urn}`, this.steps.length);
      const diff = stepDiff(metadata);
      const values = stepValues(metadata, diff);
      this.steps.push({
        op: metadata.op,
        name: resourceNameOfUrn(metadata.urn),
        type: metadata.type,
        diff,
        replaceKeys: metadata.keys ?? [],
        ...(values === undefined ? {} : { values }),
        startedMs: now,
        ms: null,
        failed: false,
      });
    }
    const done = event.resOutputsEvent ?? event.resOpFailedEvent;
    if (done) {
      const key = `${done.metadata.op} ${done.metadata.urn}`;
      const index = this.open.get(key);
      if (index !== undefined) {
        const step = this.steps[index]!;
        this.steps[index] = { ...step, ms: now - step.startedMs, failed: event.resOpFailedEvent !== undefined };
        this.open.delete(key);
      }
    }
    const diagnostic = event.diagnosticEvent;
    if (diagnostic && !diagnostic.ephemeral) {
      const text = `${diagnostic.urn ? `${resourceNameOfUrn(diagnostic.urn)}: ` : ""}${diagnostic.message.trim()}`;
      if (diagnostic.severity === "error") this.errors.push(text);
      else if (diagnostic.severity === "warning") this.warnings.push(text);
    }
    if (event.summaryEvent) {
      this.completedMs = now;
      this.resourceChanges = event.summaryEvent.resourceChanges;
      return this.errors.length === 0 && !this.steps.some((step) => step.failed);
    }
    return false;
  }
}

/** `pulumi up` of `stack`; never throws for a failed update (the result says why). */
export async function runUp(stack: Stack, options: UpRunOptions = {}): Promise<UpRun> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const recorder = new StepRecorder();
  let completed = false;
  const onEvent = (event: EngineEvent) => {
    if (recorder.add(event, elapsed()) && !completed) {
      completed = true;
      options.onComplete?.();
    }
  };
  const base = () => ({
    completedMs: recorder.completedMs,
    steps: recorder.steps,
    errors: recorder.errors,
    warnings: recorder.warnings,
  });
  try {
    const result = await stack.up({
      refresh: options.refresh ?? false,
      onEvent,
      color: "never",
      ...(options.onOutput === undefined ? {} : { onOutput: options.onOutput }),
    });
    return {
      ok: true,
      ms: elapsed(),
      ...base(),
      resourceChanges: result.summary.resourceChanges ?? recorder.resourceChanges,
      stdout: result.stdout,
      outputs: plainOutputs(result.outputs),
    };
  } catch (error) {
    const message = String((error as Error)?.message ?? error);
    return {
      ok: false,
      ms: elapsed(),
      ...base(),
      resourceChanges: recorder.resourceChanges,
      error: recorder.errors.length > 0 ? recorder.errors.join("\n") : message,
      stdout: commandStdout(error),
    };
  }
}

function plainOutputs(outputs: OutputMap): Record<string, unknown> {
  return Object.fromEntries(Object.entries(outputs).map(([key, output]) => [key, output.value as unknown]));
}

/** The stdout a failed command printed (the Automation API keeps it on its CommandError). */
function commandStdout(error: unknown): string {
  const result = (error as { commandResult?: { stdout?: unknown } })?.commandResult;
  return typeof result?.stdout === "string" ? result.stdout : "";
}

/** Ops that are a part of another step in Pulumi's display (the halves of a replacement) or no change. */
const QUIET_OPS = new Set(["same", "create-replacement", "delete-replaced", "read"]);

/**
 * One line per step that changed something, as Pulumi's display lists them:
 * "update jetstream-stream-events [diff: ~role] 412 ms". A refresh is listed only when it found
 * a difference (drift). Provider steps are listed too, named with their type, although the CLI
 * does not print them: the engine hands the default provider the stack's whole config, so a
 * config change other than the flip shows there. Pure.
 */
export function changeLines(steps: readonly EngineStep[]): string[] {
  return steps.filter(isChange).map(changeLine);
}

/** Whether Pulumi's display lists the step as a change. Pure. */
export function isChange(step: EngineStep): boolean {
  return !QUIET_OPS.has(step.op) && (step.op !== "refresh" || step.diff.length > 0);
}

/** "update jetstream-stream-events [diff: ~role] 412 ms". Pure. */
export function changeLine(step: EngineStep): string {
  const name = step.type.startsWith("pulumi:providers:") ? `${step.type}::${step.name}` : step.name;
  const diff = step.diff.length === 0 ? "" : ` [diff: ${step.diff.join(" ")}]`;
  const time = step.ms === null ? "" : ` ${step.ms} ms`;
  return `${step.op} ${name}${diff}${time}${step.failed ? " (failed)" : ""}`;
}

const OP_WORDS: Readonly<Record<string, string>> = {
  create: "created",
  update: "updated",
  delete: "deleted",
  replace: "replaced",
  same: "unchanged",
  refresh: "refreshed",
  read: "read",
  import: "imported",
  discard: "discarded",
};

/** resourceChanges in the words of Pulumi's summary: "2 updated, 5 unchanged". Pure. */
export function describeResourceChanges(changes: Readonly<OpMap>): string {
  const parts = Object.entries(changes)
    .filter(([, count]) => (count ?? 0) > 0)
    .sort(([a], [b]) => (a === "same" ? 1 : b === "same" ? -1 : a < b ? -1 : 1))
    .map(([op, count]) => `${count} ${OP_WORDS[op] ?? op}`);
  return parts.length === 0 ? "no resources" : parts.join(", ");
}
