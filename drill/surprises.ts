// Preview surprises: engine steps of a stack run that the activeRegion flip does not explain.
// A reviewer reading `pulumi preview` of a failover expects exactly the role changes; anything
// else the engine did is worth a note in the report. Pure.
import { ACK_STREAM } from "../streams/capturedAcks";
import { isChange, changeLine, type EngineStep } from "./pulumi/update";

export interface RunSteps {
  readonly stack: string;
  readonly activeRegion: string;
  /** ms since the drill started. */
  readonly at: number;
  readonly steps: readonly EngineStep[];
}

/** A stream spec's fields, as far as this check reads them. */
interface SpecValue {
  readonly subjects?: readonly string[];
  readonly [field: string]: unknown;
}

/** Two specs alike but for their subjects. */
function differInSubjectsOnly(before: SpecValue, after: SpecValue): boolean {
  const rest = (value: SpecValue) => JSON.stringify({ ...value, subjects: undefined });
  return rest(before) === rest(after);
}

/**
 * The spec of a stream the refresh found fenced differs from the program's in its subjects only:
 * the fence moved them to natsdr.fenced.<domain>.<stream> (streams/wire.ts fenceSubject). That is
 * the planned failover's own doing, read back by `pulumi up --refresh` before the demotion.
 */
function onlyFencedSubjects(step: EngineStep): boolean {
  const spec = step.values?.["spec"];
  if (spec === undefined) return false;
  const before = spec.old as SpecValue | null;
  const after = spec.new as SpecValue | null;
  if (before === null || after === null) return false;
  const subjects = before.subjects ?? [];
  return (
    subjects.length > 0 &&
    subjects.every((subject) => subject.startsWith("natsdr.fenced.")) &&
    differInSubjectsOnly(before, after)
  );
}

/**
 * The acknowledgement capture moving with the roles: it captures in the standby only, so a flip
 * changes the subjects of its stream (and nothing else) in both regions (streams/capturedAcks.ts).
 */
function captureMoved(step: EngineStep): boolean {
  const spec = step.values?.["spec"];
  const before = spec?.old as SpecValue | null | undefined;
  const after = spec?.new as SpecValue | null | undefined;
  if (!before || !after || before["name"] !== ACK_STREAM) return false;
  return differInSubjectsOnly(before, after);
}

/**
 * The `live` input `check` sets when the peer's old primary came back writable after an unplanned
 * failover: the update fences it (streams/returnedPeer.ts). The failback's first run does that.
 */
function fencesReturnedPeer(step: EngineStep): boolean {
  const live = step.values?.["live"]?.new as { returnedPeer?: unknown } | null | undefined;
  return step.op === "update" && live?.returnedPeer !== undefined;
}

/**
 * What a flip explains: a stream's role, the fence read back, the dynamic provider's activeRegion,
 * the fence of a returned old primary, the acknowledgement capture moving, and a `live` input of
 * an earlier run dropped (what that run's check saw; this run's check saw nothing to add).
 */
export function explainedByFlip(step: EngineStep): boolean {
  if (step.op !== "update" && step.op !== "replace") return false;
  return step.diff.every(
    (mark) =>
      mark === "~role" ||
      ((mark === "+live" || mark === "~live") && fencesReturnedPeer(step)) ||
      mark === "-live" ||
      // The engine hands the dynamic provider every `nats-dr:*` value as its config.
      (mark === "~nats-dr:activeRegion" && step.type.startsWith("pulumi:providers:")) ||
      (mark === "~spec" && (onlyFencedSubjects(step) || captureMoved(step))),
  );
}

/** "stack <name> (activeRegion <r>) at <ms> ms: <change line>" for each unexplained change after the first two runs. */
export function surprises(runs: readonly RunSteps[]): string[] {
  // The first two runs create everything (the initial `pulumi up` of each stack).
  return runs.slice(2).flatMap((run) =>
    run.steps
      // Failed steps are reported with their run.
      .filter((step) => isChange(step) && !step.failed && !explainedByFlip(step))
      .map((step) => `stack ${run.stack} (activeRegion ${run.activeRegion}) at ${run.at} ms: ${changeLine(step)}`),
  );
}
