// Where a promoted consumer can start without any catch-up.
//
// A checkpoint's floor is at most one interval old, so above it there is usually a run of
// messages that the old region's consumer had all done with: everything acknowledged in the last
// interval. Acknowledging those again (ackCatchUp.ts) means creating the consumer, taking every
// delivery and answering it: the most expensive step of an unplanned promotion, paid per stream
// (50 streams took 3.4 s instead of 2.2 s). Starting the consumer past that run costs a read of
// the mirror's messages there instead. The run is verified message by message: each message the
// consumer would deliver must match a captured acknowledgement by sequence AND timestamp (a
// sequence that a re-created origin reused never matches); a message its filters do not take is
// passed over, as the consumer would. The first message it would deliver that was not done with
// ends the run; only what was done with above it still needs the catch-up (a delivery lost in
// flight held the floor there).
import type { Session } from "./client";
import { directPages, highestDone, type DoneMessage } from "./capturedAcks";
import { subjectsOverlap } from "./names";

/** Pure: nanoseconds since the epoch of an RFC 3339 time with up to nine fractional digits. */
export function timestampNanos(text: string): string | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (match === null) return undefined;
  const seconds = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(seconds)) return undefined;
  return (BigInt(seconds) * 1_000_000n + BigInt((match[2] ?? "").padEnd(9, "0"))).toString();
}

/** A message of the mirror, as far as the run needs it. */
export interface StoredTrace {
  readonly seq: number;
  readonly subject: string;
  /** RFC 3339 with nanoseconds, as the server returns it. */
  readonly timestamp: string;
}

/** Where the run ended. */
export interface DoneRun {
  /** The first sequence the consumer must still deliver (past everything read when the run did not end). */
  readonly start: number;
  /** Messages of the run the consumer delivers: done with in the old region, not delivered again. */
  readonly passed: number;
  /** Whether a message that was not done with ended the run (false: what was read ran out). */
  readonly ended: boolean;
}

/** Pure: whether a consumer with these filter subjects (none: all) delivers a message of `subject`. */
export function delivers(filters: readonly string[], subject: string): boolean {
  return filters.length === 0 || filters.some((filter) => subjectsOverlap(filter, subject));
}

/** Pure: the run after one more message (in order, above the floor); an ended run stays as it is. */
export function stepDoneRun(
  run: DoneRun,
  message: StoredTrace,
  done: ReadonlyMap<number, DoneMessage>,
  filters: readonly string[],
): DoneRun {
  if (run.ended) return run;
  if (!delivers(filters, message.subject)) return { ...run, start: message.seq + 1 };
  const known = done.get(message.seq);
  if (known === undefined || known.timestamp !== timestampNanos(message.timestamp))
    return { start: message.seq, passed: run.passed, ended: true };
  return { start: message.seq + 1, passed: run.passed + 1, ended: false };
}

/** Pure: the run over `messages` (in order, all above `floor`). */
export function walkDoneRun(
  messages: Iterable<StoredTrace>,
  done: ReadonlyMap<number, DoneMessage>,
  filters: readonly string[],
  floor: number,
): DoneRun {
  let run: DoneRun = { start: floor + 1, passed: 0, ended: false };
  for (const message of messages) run = stepDoneRun(run, message, done, filters);
  return run;
}

/** The filter subjects of a consumer config (none: every subject of the stream). */
export function filtersOf(config: { filter_subject?: string; filter_subjects?: string[] }): string[] {
  if (config.filter_subjects !== undefined && config.filter_subjects.length > 0) return [...config.filter_subjects];
  return config.filter_subject ? [config.filter_subject] : [];
}

/**
 * Reads the mirror's messages from `floor + 1` up to the highest one done with and walks the run,
 * stopping at its end. One filter is asked of the server; several are matched here.
 */
export async function findDoneRun(
  session: Session,
  stream: string,
  filters: readonly string[],
  floor: number,
  done: ReadonlyMap<number, DoneMessage>,
): Promise<DoneRun> {
  let run: DoneRun = { start: floor + 1, passed: 0, ended: false };
  if (done.size === 0) return run;
  const until = highestDone(done);
  const filter = filters.length === 1 ? filters[0]! : ">";
  const page = Math.min(1024, until - floor);
  for await (const message of directPages(session, stream, { seq: floor + 1 }, filter, page)) {
    if (message.seq > until) break;
    run = stepDoneRun(run, message, done, filters);
    // Stopping at `until` itself saves the request for a page beyond it.
    if (run.ended || message.seq === until) break;
  }
  return run;
}
