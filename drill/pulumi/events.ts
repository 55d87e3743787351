// What the engine said it would do or did, per resource, from the Automation API's engine events:
// the same steps `pulumi preview` and `pulumi up` print (op and the changed keys).
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";

export interface ResourceStep {
  /** The resource's name (the last part of its URN), e.g. "jetstream-stream-orders". */
  readonly name: string;
  readonly type: string;
  readonly op: OpType;
  /** Top-level keys whose change caused the step (`[diff: ~role]`). */
  readonly diffs: readonly string[];
}

/** The resource name of a URN ("urn:pulumi:stack::project::type$type::name" -> "name"). Pure. */
export function resourceNameOfUrn(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/**
 * The keys a step changes. Dynamic providers report no per-key diffs to the engine (its Node.js
 * provider host forwards only changes, replaces and deleteBeforeReplace), so the CLI shows the keys
 * whose inputs differ, and so does this. `__provider` (the serialized provider) is not a user key.
 */
export function changedKeys(
  reported: readonly string[] | undefined,
  olds: Record<string, unknown> | undefined,
  news: Record<string, unknown> | undefined,
): string[] {
  if (reported !== undefined && reported.length > 0) return [...reported].sort();
  if (olds === undefined || news === undefined) return [];
  return [...new Set([...Object.keys(olds), ...Object.keys(news)])]
    .filter((key) => key !== "__provider" && JSON.stringify(olds[key]) !== JSON.stringify(news[key]))
    .sort();
}

/**
 * Steps the CLI does not list as a change of their own: "same", and the two halves of a
 * create-before-delete replacement, which it shows as one `+-replace` line.
 */
const HIDDEN_OPS: ReadonlySet<OpType> = new Set<OpType>(["same", "create-replacement", "delete-replaced"]);

/** Collects one step per resource from engine events (the pre-event of each step). */
export class StepCollector {
  readonly steps: ResourceStep[] = [];
  readonly onEvent = (event: EngineEvent): void => {
    const metadata = event.resourcePreEvent?.metadata;
    if (metadata === undefined) return;
    this.steps.push({
      name: resourceNameOfUrn(metadata.urn),
      type: metadata.type,
      op: metadata.op,
      diffs: changedKeys(metadata.diffs, metadata.old?.inputs, metadata.new?.inputs),
    });
  };

  /**
   * Steps other than "same", sorted by resource name: what a reviewer reads in the preview. Provider
   * resources are left out: the engine hands a default provider the stack's whole config, so any
   * config change "updates" it, and the CLI does not show that step.
   */
  changes(): ResourceStep[] {
    return this.steps
      .filter((step) => !HIDDEN_OPS.has(step.op) && !step.type.startsWith("pulumi:providers:"))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }
}
