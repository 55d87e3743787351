// Moving a promoted stream's consumers to new positions.
//
// From nats-server 2.14 a consumer is moved in place (ADR-60, `$JS.API.CONSUMER.RESET`): one
// replicated operation, so a `pulumi up` killed at any moment leaves the consumer there, paused
// and still marked as waiting, and the re-run moves it again. Where the server cannot (older
// servers; deliver policies other than all, by_start_sequence at or past its start; a start by
// time; a catch-up, which takes the first deliveries itself), the consumer is deleted and created
// again with `by_start_sequence` (or `by_start_time`): deliver policy and start are fixed when a
// consumer is created. In two steps, so that everything a promotion only reads can be read before
// it changes anything (an unplanned promotion reads while the peer is still being judged,
// promotion.ts): planning reads the consumer's config and, where the old region's
// acknowledgements were captured, how far past the start the consumer may begin (doneRun.ts);
// applying moves the consumers, all at once, and acknowledges again what was done with above that
// run (ackCatchUp.ts).
import type { ConsumerConfig } from "@nats-io/jetstream";
import { serverAtLeast, type Session } from "./client";
import { addCaughtUp, withoutCatchUpRedirect, type CatchUp } from "./ackCatchUp";
import type { DoneMessage } from "./capturedAcks";
import { filtersOf, findDoneRun, type DoneRun } from "./doneRun";
import { notePhase } from "./phaseLog";
import type { CatchUpRecord } from "./spec";
import { MetadataKeys, userMetadata } from "./wire";

/** "Paused until" far in the future: pauses last until we resume them. */
export const PAUSE_FOR_MS = 100 * 365 * 24 * 3600 * 1000;

/** Name of the temporary consumer that holds an interest stream's messages during re-creation. */
const ANCHOR_CONSUMER = "natsdr-position-anchor";

/** Where a re-created consumer starts: a stream sequence, or a time. */
export type Start = { readonly seq: number } | { readonly time: string };

function startConfig(start: Start): Partial<ConsumerConfig> {
  return "seq" in start
    ? { deliver_policy: "by_start_sequence", opt_start_seq: start.seq }
    : { deliver_policy: "by_start_time", opt_start_time: start.time };
}

/** A consumer's config without the pause it had while its stream was a mirror. */
export function withoutMirrorPause(config: Partial<ConsumerConfig>): Partial<ConsumerConfig> {
  const metadata = userMetadata(config.metadata);
  delete metadata[MetadataKeys.pausedWhileMirror];
  const copy = { ...config, metadata };
  delete copy.pause_until;
  return copy;
}

/** A consumer to re-create at a new position. */
export interface RepositionTarget {
  readonly name: string;
  readonly start: Start;
  /** Messages above the start the old region's consumer had done with, not to deliver again. */
  readonly done?: ReadonlyMap<number, DoneMessage>;
  /** Its config as just listed; asked of the server when absent. */
  readonly config?: ConsumerConfig;
}

/** A consumer's re-creation as planned: where it starts, and what is left to acknowledge again. */
export interface PlannedReposition {
  readonly name: string;
  readonly start: Start;
  readonly config: Partial<ConsumerConfig> & { durable_name: string };
  /** The consumer as the server holds it: the start a move in place is allowed from, its deliver subject. */
  readonly current: Pick<ConsumerConfig, "deliver_policy"> &
    Partial<Pick<ConsumerConfig, "opt_start_seq" | "deliver_subject">>;
  /** With captured acknowledgements: how many, the run started past, and those above it. */
  readonly captured?: {
    readonly count: number;
    readonly run: DoneRun;
    readonly rest: ReadonlyMap<number, DoneMessage>;
  };
}

/** Where a consumer was re-created, and what its captured acknowledgements spared. */
export interface Repositioned {
  readonly start: Start;
  readonly catchUp?: CatchUpRecord;
}

/** Reads what re-creating `targets` needs: their configs and the runs their starts move past. */
export async function planReposition(
  session: Session,
  stream: string,
  targets: readonly RepositionTarget[],
): Promise<PlannedReposition[]> {
  return Promise.all(
    targets.map(async (target) => {
      const local = target.config ?? (await session.jsm.consumers.info(stream, target.name)).config;
      // A run cut off during a catch-up left the consumer delivering to its inbox: give it back.
      const declared = withoutMirrorPause(withoutCatchUpRedirect(local));
      const done = declared.ack_policy === "none" ? undefined : target.done;
      const captured =
        "seq" in target.start && done !== undefined && done.size > 0
          ? { count: done.size, ...(await startPastRun(session, stream, declared, target.start.seq, done)) }
          : undefined;
      const start: Start = captured === undefined ? target.start : { seq: captured.run.start };
      const config: Partial<ConsumerConfig> & { durable_name: string } = {
        ...declared,
        durable_name: target.name,
        ...startConfig(start),
        metadata: { ...declared.metadata, [MetadataKeys.positionedAt]: positionMarker(start) },
      };
      if ("seq" in start) delete config.opt_start_time;
      else delete config.opt_start_seq;
      const current = {
        deliver_policy: local.deliver_policy,
        ...(local.opt_start_seq === undefined ? {} : { opt_start_seq: local.opt_start_seq }),
        ...(local.deliver_subject ? { deliver_subject: local.deliver_subject } : {}),
      };
      return { name: target.name, start, config, current, ...(captured === undefined ? {} : { captured }) };
    }),
  );
}

/**
 * Re-creates the planned consumers, all at once. On an interest stream, deleting the last consumer
 * would drop every message, so a temporary anchor consumer keeps interest from the earliest start
 * while they are re-created; it goes only after every one of them is back.
 */
export async function applyReposition(
  session: Session,
  stream: string,
  planned: readonly PlannedReposition[],
  retention: string,
  catchUpMs: number,
): Promise<Map<string, Repositioned>> {
  const result = new Map<string, Repositioned>();
  if (planned.length === 0) return result;
  const anchored = retention === "interest";
  if (anchored) {
    const starts = planned.map((plan) => plan.start);
    const earliest = starts.every((start) => "seq" in start)
      ? { seq: Math.min(...starts.map((start) => (start as { seq: number }).seq)) }
      : { seq: 1 };
    await session.jsm.consumers.add(stream, {
      durable_name: ANCHOR_CONSUMER,
      ack_policy: "explicit",
      ...startConfig(earliest),
      pause_until: new Date(Date.now() + PAUSE_FOR_MS).toISOString(),
    });
  }
  try {
    const outcomes = await Promise.allSettled(
      planned.map(async (plan) => result.set(plan.name, await recreate(session, stream, plan, catchUpMs))),
    );
    const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
    if (failed) throw failed.reason;
  } finally {
    if (anchored) await session.jsm.consumers.delete(stream, ANCHOR_CONSUMER);
  }
  return result;
}

/** Moves one consumer as planned, acknowledging again what is left above its run. */
async function recreate(
  session: Session,
  stream: string,
  plan: PlannedReposition,
  catchUpMs: number,
): Promise<Repositioned> {
  const startedAt = Date.now();
  const { captured } = plan;
  if (captured === undefined) {
    await place(session, stream, plan);
    return { start: plan.start };
  }
  // A push consumer's catch-up creates it delivering to an inbox of ours: the server does not
  // move an active push consumer to another deliver subject, so it is deleted first.
  const push = typeof plan.config.deliver_subject === "string" && plan.config.deliver_subject !== "";
  const caughtUp =
    captured.rest.size === 0
      ? await place(session, stream, plan).then(() => ({ acknowledged: 0, released: 0, complete: true }))
      : push
        ? await session.jsm.consumers
            .delete(stream, plan.name)
            .then(() => catchUp(session, stream, plan.config, captured.rest, catchUpMs))
        : await catchUp(session, stream, plan.config, captured.rest, catchUpMs, () => place(session, stream, plan));
  const startedPast = captured.run.passed;
  notePhase(
    { domain: session.domain, stream },
    "ack-catch-up",
    startedAt,
    `${plan.name} captured ${captured.count} started past ${startedPast} acknowledged ${caughtUp.acknowledged} released ${caughtUp.released}${caughtUp.complete ? "" : " (time up)"}`,
  );
  return { start: plan.start, catchUp: { captured: captured.count, startedPast, ...caughtUp } };
}

/**
 * Whether the server can move the consumer to the plan's start in place: nats-server 2.14 or
 * newer (the one the client is connected to; a consumer leader on an older one in a rolling
 * upgrade answers nothing, and the move falls back), a start by sequence, and a deliver policy
 * the server resets from (all; by_start_sequence at or past its start). Pure.
 */
export function movableInPlace(serverVersion: string | undefined, plan: PlannedReposition): boolean {
  if (!serverAtLeast(serverVersion, 2, 14) || !("seq" in plan.start)) return false;
  const { deliver_policy: policy, opt_start_seq: from = 0 } = plan.current;
  return policy === "all" || (policy === "by_start_sequence" && plan.start.seq >= from);
}

/**
 * Puts the consumer at the plan's start: in place where the server can, else deleted and created
 * again. In place it is moved while still paused and marked as waiting (a run killed right after
 * moves it again), then resumed, then given the plan's metadata (and its deliver subject back
 * from a catch-up's inbox); its deliver policy stays as declared. A move the server refuses falls back to re-creating it, the old way.
 */
async function place(session: Session, stream: string, plan: PlannedReposition): Promise<void> {
  const { jsm } = session;
  if (movableInPlace(session.nc.info?.version, plan) && "seq" in plan.start) {
    const startedAt = Date.now();
    try {
      await jsm.consumers.reset(stream, plan.name, plan.start.seq);
      await jsm.consumers.resume(stream, plan.name);
      // The deliver subject only when it changes (a run cut off during a push catch-up left the
      // consumer on its inbox): the server refuses to move an active push consumer.
      const { deliver_subject: deliverSubject } = plan.config;
      await jsm.consumers.update(stream, plan.name, {
        metadata: plan.config.metadata ?? {},
        ...(deliverSubject && deliverSubject !== plan.current.deliver_subject
          ? { deliver_subject: deliverSubject }
          : {}),
      });
      notePhase({ domain: session.domain, stream }, "move-in-place", startedAt, `${plan.name} at ${plan.start.seq}`);
      return;
    } catch (error) {
      notePhase(
        { domain: session.domain, stream },
        "move-in-place-refused",
        startedAt,
        `${plan.name}: ${String(error)}`,
      );
    }
  }
  await jsm.consumers.delete(stream, plan.name);
  await jsm.consumers.add(stream, plan.config);
}

/** What the positioned-after metadata says: the sequence the consumer starts past, or its start time. */
function positionMarker(start: Start): string {
  return "seq" in start ? String(start.seq - 1) : start.time;
}

/**
 * The verified run of done-with messages from `start` on, and what was done with above it. A read
 * that fails leaves the start where it was: only fewer redeliveries hang on it.
 */
async function startPastRun(
  session: Session,
  stream: string,
  config: Partial<ConsumerConfig>,
  start: number,
  done: ReadonlyMap<number, DoneMessage>,
): Promise<{ run: DoneRun; rest: Map<number, DoneMessage> }> {
  const at = Date.now();
  let run: DoneRun = { start, passed: 0, ended: false };
  try {
    run = await findDoneRun(session, stream, filtersOf(config), start - 1, done);
  } catch (error) {
    notePhase({ domain: session.domain, stream }, "done-run-unread", at, `${config.durable_name}: ${String(error)}`);
  }
  const rest = new Map([...done].filter(([seq]) => seq >= run.start));
  return { run, rest };
}

/**
 * Puts the consumer at its start (a pull consumer by `placePull` when given, else it is created)
 * and acknowledges again what was done with above it. If the catch-up fails, the consumer is
 * created plainly at its start: what the catch-up did not do is delivered again, never skipped.
 */
async function catchUp(
  session: Session,
  stream: string,
  config: Partial<ConsumerConfig> & { durable_name: string },
  done: ReadonlyMap<number, DoneMessage>,
  catchUpMs: number,
  placePull?: () => Promise<unknown>,
): Promise<CatchUp> {
  const startedAt = Date.now();
  try {
    return await addCaughtUp(session.nc, session.jsm, session.domain, stream, config, done, catchUpMs, placePull);
  } catch (error) {
    notePhase(
      { domain: session.domain, stream },
      "ack-catch-up-failed",
      startedAt,
      `${config.durable_name}: ${String(error)}`,
    );
    await session.jsm.consumers.delete(stream, config.durable_name).catch(() => false);
    await session.jsm.consumers.add(stream, config);
    return { acknowledged: 0, released: 0, complete: false };
  }
}
