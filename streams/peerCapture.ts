// A planned promotion moves the acknowledgement capture to the region it demotes.
//
// The standby captures the acknowledgements of the active region's consumers (capturedAcks.ts),
// and each stack declares its own region's capture from the roles (infra/checkpoints/plan.ts).
// After a flip the demoted region declares the capture only once its own stack runs: in the drill
// that was 13 s later, and the acknowledgements of those 13 s were nowhere an unplanned promotion
// back could find them (1,310 of 2,584 captured; 3,182 acknowledged messages delivered again).
// The planned promotion reaches the peer anyway (it fences it), so it adds its stream's consumers
// to the peer's capture, beside the fence and the catch-up, and waits for that before it resumes
// them here: every acknowledgement they receive is captured from the first. The demoted stack
// later declares the same subjects, which changes nothing. A promotion that fails takes them out
// again.
import type { JetStreamManager } from "@nats-io/jetstream";
import { ACK_STREAM, ackCaptureIdleSubject, ackCaptureSubject } from "./capturedAcks";
import { isNotFound } from "./client";
import { hedged } from "./hedge";

/** What moving the capture did, for the phase log. */
export type CaptureMove =
  | { readonly kind: "moved"; readonly subjects: readonly string[] }
  | { readonly kind: "already" }
  /** The peer keeps no capture stream (checkpoints are off there). */
  | { readonly kind: "no-capture" };

/**
 * Pure: the capture's subjects once it also takes the acknowledgements of `consumers` of
 * `stream`, without the idle subject (the stream needs one only while it captures nothing), in
 * the order the stacks declare them; undefined when it takes them already.
 */
export function withCapturedConsumers(
  current: readonly string[],
  stream: string,
  consumers: readonly string[],
): string[] | undefined {
  const wanted = consumers.map((consumer) => ackCaptureSubject(stream, consumer));
  if (wanted.length === 0 || wanted.every((subject) => current.includes(subject))) return undefined;
  const kept = current.filter((subject) => subject.startsWith("$JS.ACK."));
  // Sorted by "<stream>.<consumer>", as the plan sorts them ("$JS.ACK." and ".>" aside: "."
  // after the consumer's name would sort "x-b" before "x").
  const key = (subject: string) => subject.slice("$JS.ACK.".length, -".>".length);
  return [...new Set([...kept, ...wanted])].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Pure: the capture's subjects without those of `consumers` of `stream`, undefined when it has none of them. */
export function withoutCapturedConsumers(
  current: readonly string[],
  stream: string,
  consumers: readonly string[],
  peerDomain: string,
): string[] | undefined {
  const dropped = new Set(consumers.map((consumer) => ackCaptureSubject(stream, consumer)));
  if (!current.some((subject) => dropped.has(subject))) return undefined;
  const kept = current.filter((subject) => !dropped.has(subject));
  return kept.some((subject) => subject.startsWith("$JS.ACK.")) ? kept : [ackCaptureIdleSubject(peerDomain)];
}

type Change = (subjects: readonly string[]) => string[] | undefined;

interface Batch {
  readonly changes: Change[];
  readonly done: Promise<CaptureMove>;
}

/**
 * Streams of one run promote at once and all change the same capture stream of the peer, a read
 * and an update across the link each (about 0.3 s in the drill). One at a time, or the last update
 * drops the others' subjects (a test of two streams saw it); and in batches, or the third stream
 * waits for two updates: the changes that arrive while one update is under way go together into
 * the next.
 */
const waiting = new Map<string, Batch>();
const latest = new Map<string, Promise<unknown>>();

function enqueue(peer: string, peerJsm: JetStreamManager, settleMs: number, change: Change): Promise<CaptureMove> {
  let batch = waiting.get(peer);
  if (batch === undefined) {
    const changes: Change[] = [];
    const previous = latest.get(peer) ?? Promise.resolve();
    const done: Promise<CaptureMove> = previous
      .catch(() => undefined)
      .then(() => {
        if (waiting.get(peer) === batch) waiting.delete(peer);
        return applyChanges(peerJsm, changes, settleMs);
      });
    batch = { changes, done };
    waiting.set(peer, batch);
    latest.set(peer, done);
    const forget = () => {
      if (latest.get(peer) === done) latest.delete(peer);
    };
    done.then(forget, forget);
  }
  batch.changes.push(change);
  return batch.done;
}

/**
 * Adds the acknowledgements of `consumers` of `stream` to the peer's capture. `peer` names the
 * peer region (peerJudgement.ts's peerKey): each stream asks through a session of its own.
 */
export function capturePeerAcks(
  peer: string,
  peerJsm: JetStreamManager,
  settleMs: number,
  stream: string,
  consumers: readonly string[],
): Promise<CaptureMove> {
  return enqueue(peer, peerJsm, settleMs, (subjects) => withCapturedConsumers(subjects, stream, consumers));
}

/**
 * Takes them out again: a promotion that failed after it moved the capture leaves the peer the
 * active region, and its own stack would not take them out (its state still says idle), so it
 * would store its own consumers' acknowledgements for nothing.
 */
export function releasePeerAcks(
  peer: string,
  peerJsm: JetStreamManager,
  settleMs: number,
  peerDomain: string,
  stream: string,
  consumers: readonly string[],
): Promise<CaptureMove> {
  return enqueue(peer, peerJsm, settleMs, (subjects) =>
    withoutCapturedConsumers(subjects, stream, consumers, peerDomain),
  );
}

/**
 * One read and one update of the peer's capture stream, each asked again while unanswered for up
 * to `settleMs` (hedge.ts): the stream may be electing a leader (a drill's node loss killed the
 * server leading it, and a single request timed out after 5 s). Both are idempotent.
 */
async function applyChanges(
  peerJsm: JetStreamManager,
  changes: readonly Change[],
  settleMs: number,
): Promise<CaptureMove> {
  let info;
  try {
    info = await hedged(() => peerJsm.streams.info(ACK_STREAM), settleMs);
  } catch (error) {
    if (isNotFound(error)) return { kind: "no-capture" };
    throw error;
  }
  const current = info.config.subjects ?? [];
  let subjects: readonly string[] = current;
  for (const change of changes) subjects = change(subjects) ?? subjects;
  if (subjects.length === current.length && subjects.every((subject, index) => subject === current[index]))
    return { kind: "already" };
  const config = { ...info.config, subjects: [...subjects] };
  await hedged(() => peerJsm.streams.update(ACK_STREAM, config), settleMs);
  return { kind: "moved", subjects };
}

/** How long a promotion otherwise done waits for the capture's move to the peer, ms. */
export const CAPTURE_GRACE_MS = 1000;

/**
 * The capture's outcome, or "late: ..." when it is still under way after `graceMs` (it goes on;
 * `whenLate` hears how it ended).
 */
export async function withinGrace(
  capture: Promise<string>,
  whenLate: (final: string, startedAt: number) => void,
  graceMs = CAPTURE_GRACE_MS,
): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(
      () => resolve(`late: not done ${graceMs} ms after the promotion was; the consumers resumed and the move goes on`),
      graceMs,
    );
  });
  const startedAt = Date.now();
  const outcome = await Promise.race([capture, late]);
  clearTimeout(timer);
  if (outcome.startsWith("late")) void capture.then((final) => whenLate(final, startedAt));
  return outcome;
}
