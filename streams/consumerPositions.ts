// Durable consumers across a failover.
//
// Mirrors keep the origin's sequence numbers, so a consumer's position is just a stream
// sequence: the peer's acknowledgement floor. During a planned promotion the peer's consumers
// are paused (no new deliveries), given a bounded time for in-flight acks to land, and the
// local consumers are re-created to start right after the peer's floor. Acknowledged messages
// are then not delivered again in the new region.
import type { ConsumerConfig, ConsumerInfo, JetStreamManager } from "@nats-io/jetstream";
import { isNotFound, isUnreachable, sleep, type Session } from "./client";
import { checkpointStart, readCheckpoints, readStreamCheckpoints } from "./checkpoints";
import { capturedEveryDelivery, drainPausedConsumers, type PausedConsumer } from "./peerDrain";
import type { PromotionRecord } from "./spec";
import { durationToNanos } from "./units";
import { isMirrorFeed, MetadataKeys, userMetadata } from "./wire";
import { notePhase, timedPhase } from "./phaseLog";
import { hedged } from "./hedge";
import { capturedAbove, type DoneMessage } from "./capturedAcks";
import {
  applyReposition,
  PAUSE_FOR_MS,
  planReposition,
  withoutMirrorPause,
  type PlannedReposition,
  type RepositionTarget,
} from "./reposition";

export type { PausedConsumer } from "./peerDrain";

/**
 * A consumer on a mirror is created paused. Subject interest crosses the leafnode, so an active
 * push consumer on the standby would deliver every mirrored message to the same subscribers as
 * the primary's consumer; a paused one delivers nothing until the promotion resumes it.
 */
export function pausedWhileMirror(config: Partial<ConsumerConfig>): Partial<ConsumerConfig> {
  return {
    ...config,
    pause_until: new Date(Date.now() + PAUSE_FOR_MS).toISOString(),
    metadata: { ...userMetadata(config.metadata), [MetadataKeys.pausedWhileMirror]: "true" },
  };
}

/** After a promotion: resumes the consumers that were paused because the stream was a mirror. */
export async function resumeMirrorPausedConsumers(
  session: Session,
  stream: string,
  /** The consumers to look at, when the caller just listed them (else they are listed now). */
  known?: readonly ConsumerInfo[],
): Promise<string[]> {
  const resumed: string[] = [];
  for (const info of known ?? (await listConsumers(session.jsm, stream))) {
    if (userMetadata(info.config.metadata)[MetadataKeys.pausedWhileMirror] !== "true") continue;
    await session.jsm.consumers.resume(stream, info.name);
    await session.jsm.consumers.update(stream, info.name, { metadata: withoutMirrorPause(info.config).metadata ?? {} });
    resumed.push(info.name);
  }
  return resumed;
}

export async function listConsumers(jsm: JetStreamManager, stream: string): Promise<ConsumerInfo[]> {
  const result: ConsumerInfo[] = [];
  for await (const info of jsm.consumers.list(stream)) result.push(info);
  return result;
}

/**
 * Pauses every consumer of the peer's copy of `stream` that this region also has, at once, and
 * waits up to `drainTimeoutMs` for their acknowledgements in flight to land. If anything fails,
 * the consumers it paused are resumed before the error is thrown.
 */
export async function pausePeerConsumers(
  session: Session,
  peerJsm: JetStreamManager,
  peerDomain: string,
  stream: string,
  drainTimeoutMs: number,
  settleMs = 0,
): Promise<PausedConsumer[]> {
  // A consumer of the peer whose leader died answers nothing until its group elected a new one:
  // its pause and info are asked again while unanswered, for up to settleMs (hedge.ts). Both are
  // idempotent.
  const ask = <T>(work: () => Promise<T>) => hedged(work, settleMs);
  const where = { domain: "peer", stream };
  const pausedAt = Date.now();
  // This region's own list is asked again while unanswered too: its mirror may be electing a
  // leader (a server of it restarted or died; seen in a test that kills the mirror's leader).
  const local = await ask(() => listConsumers(session.jsm, stream));
  // All at once: across a region link each pause is a round trip (90 ms in the drill).
  const until = new Date(Date.now() + PAUSE_FOR_MS);
  const outcomes = await Promise.allSettled(
    local.map((consumer) => ask(() => peerJsm.consumers.pause(stream, consumer.name, until))),
  );
  const names: string[] = [];
  let failed: PromiseRejectedResult | undefined;
  outcomes.forEach((outcome, index) => {
    if (outcome.status === "fulfilled") names.push(local[index]!.name);
    else if (!isNotFound(outcome.reason)) failed ??= outcome;
  });
  notePhase(where, "pause", pausedAt, names.join(","));
  try {
    if (failed) throw failed.reason;
    return await drainPausedConsumers(
      names,
      (name) => ask(() => peerJsm.consumers.info(stream, name)),
      drainTimeoutMs,
      where,
      (consumer) => capturedEveryDelivery(session, stream, consumer),
    );
  } catch (error) {
    // The promotion stops here and its undo knows no paused consumer yet: resume those paused
    // now, or they would deliver nothing for a century.
    const stuck = await resumePeerConsumers(
      peerJsm,
      stream,
      names.map((name) => ({ name })),
    );
    const note = stuckConsumersNote(stream, peerDomain, stuck);
    throw note === "" ? error : new Error(`${String((error as Error)?.message ?? error)}${note}`, { cause: error });
  }
}

/** A paused peer consumer that could not be resumed, and why. */
export interface StuckConsumer {
  readonly name: string;
  readonly error: string;
}

/**
 * Resumes every paused peer consumer, each on its own: one that fails does not keep the others
 * paused. Returns those that could not be resumed, for the error to name them (one deleted
 * meanwhile is not among them: it is not paused either).
 */
export async function resumePeerConsumers(
  peerJsm: JetStreamManager,
  stream: string,
  paused: ReadonlyArray<Pick<PausedConsumer, "name">>,
): Promise<StuckConsumer[]> {
  const stuck: StuckConsumer[] = [];
  for (const [index, consumer] of paused.entries()) {
    try {
      await peerJsm.consumers.resume(stream, consumer.name);
    } catch (error) {
      // Deleted meanwhile: nothing of it is left paused.
      if (isNotFound(error)) continue;
      const reason = String((error as Error).message ?? error);
      if (!isUnreachable(error)) {
        stuck.push({ name: consumer.name, error: reason });
        continue;
      }
      // The peer stopped answering: the rest would each wait for the same timeout.
      for (const rest of paused.slice(index)) stuck.push({ name: rest.name, error: reason });
      break;
    }
  }
  return stuck;
}

/** What an aborted promotion says about the peer consumers it paused and could not resume. */
export function stuckConsumersNote(stream: string, peerDomain: string, stuck: readonly StuckConsumer[]): string {
  if (stuck.length === 0) return "";
  const list = stuck.map(({ name, error }) => `${name} (${error})`).join(", ");
  return ` Its paused consumers ${list} could NOT be resumed: they deliver nothing until resumed with \`nats --js-domain ${peerDomain} consumer resume ${stream} <consumer>\`.`;
}

/**
 * Resumes the consumers a peer's promotion paused on this (fenced) stream when it takes its writes
 * back: they are paused for a century, which nothing but nats-dr asks for. Consumers paused because
 * the stream was a mirror are resumed by the promotion instead.
 */
export async function resumeFencePausedConsumers(jsm: JetStreamManager, stream: string): Promise<string[]> {
  const resumed: string[] = [];
  const beyond = Date.now() + PAUSE_FOR_MS / 2;
  for (const info of await listConsumers(jsm, stream)) {
    const until = info.config.pause_until ? Date.parse(info.config.pause_until) : 0;
    if (until < beyond || userMetadata(info.config.metadata)[MetadataKeys.pausedWhileMirror] === "true") continue;
    await jsm.consumers.resume(stream, info.name);
    resumed.push(info.name);
  }
  return resumed;
}

/**
 * Planned: each local consumer starts right after the peer consumer's acknowledgement floor. A
 * consumer that still had acknowledgements pending after the drain (a delivery lost in flight
 * holds its floor) gets what was acknowledged above the floor acknowledged again, as in an
 * unplanned promotion.
 */
export async function carryConsumerPositions(
  session: Session,
  stream: string,
  paused: PausedConsumer[],
  retention: string,
  lastSequence: number,
  catchUpMs = 0,
): Promise<PromotionRecord["consumersPositioned"]> {
  const done = await Promise.all(
    paused.map(async (consumer) =>
      consumer.unacknowledged > 0
        ? capturedAbove(session, stream, consumer.name, consumer.ackFloor, lastSequence)
        : new Map<number, DoneMessage>(),
    ),
  );
  const planned = await planReposition(
    session,
    stream,
    paused.map((consumer, index) => ({
      name: consumer.name,
      start: { seq: consumer.ackFloor + 1 },
      done: done[index],
    })),
  );
  const repositioned = await applyReposition(session, stream, planned, retention, catchUpMs);
  return Object.fromEntries(
    paused.map((consumer) => {
      const again = repositioned.get(consumer.name)?.catchUp;
      return [
        consumer.name,
        {
          ackFloor: consumer.ackFloor,
          unacknowledged: consumer.unacknowledged,
          ...(again === undefined ? {} : { acknowledgedAgain: again }),
        },
      ];
    }),
  );
}

/** What an unplanned promotion read to position its consumers, before it changes anything. */
export interface UnplannedReads {
  /** The last sequence of the mirror the positions were read against. */
  readonly lastSequence: number;
  readonly planned: readonly PlannedReposition[];
  readonly positions: PromotionRecord["consumersPositioned"];
  /** Consumers waiting on the mirror that are not re-positioned (no checkpoint, no rewind): resumed as they are. */
  readonly unpositioned: readonly ConsumerInfo[];
}

/**
 * Unplanned: the peer cannot be asked. Each consumer that was waiting on the mirror starts right
 * after the acknowledgement floor of the peer's last checkpoint this region holds (checkpoints.ts),
 * or past the run above it the captured acknowledgements show done with; one without a
 * checkpoint starts, with a rewind window, at messages stored that long before the last mirrored
 * one (an operator's trade of redeliveries against the risk of skipping what the old region had
 * not processed), or else where it stands (everything it has not delivered). Only reads: nothing
 * changes until {@link applyUnplannedPositions}, so a promotion may read while the peer is still
 * judged. A mirror holds at least `last.seq` later too, and positions read against a lower last
 * sequence start no later than they would against a higher one: read early, nothing is skipped.
 */
export async function readUnplannedPositions(
  session: Session,
  stream: string,
  peerDomain: string,
  last: { readonly seq: number; readonly at: string | undefined },
  rewind: string,
): Promise<UnplannedReads> {
  const where = { domain: session.domain, stream };
  // The consumers and their checkpoints at once: the checkpoints of the whole stream need no names.
  const [listed, ofStream] = await Promise.all([
    timedPhase(where, "list-consumers", () => listConsumers(session.jsm, stream)),
    timedPhase(where, "read-checkpoints", () => readStreamCheckpoints(session, peerDomain, stream)),
  ]);
  const waiting = listed.filter(
    (info) => userMetadata(info.config.metadata)[MetadataKeys.pausedWhileMirror] === "true",
  );
  const checkpoints =
    ofStream ??
    (await timedPhase(where, "read-checkpoints-one-by-one", () =>
      readCheckpoints(
        session,
        peerDomain,
        stream,
        waiting.map((info) => info.name),
      ),
    ));
  const since =
    rewind !== "unlimited" && last.at
      ? new Date(Date.parse(last.at) - durationToNanos(rewind) / 1e6).toISOString()
      : undefined;
  const targets: RepositionTarget[] = [];
  const positions: PromotionRecord["consumersPositioned"] = {};
  const checkpointed = waiting.filter((info) => checkpoints.has(info.name));
  // What the old region acknowledged above each checkpoint, read here at once for all of them.
  const done = await timedPhase(where, "read-captured-acks", () =>
    Promise.all(
      checkpointed.map((info) => {
        const checkpoint = checkpoints.get(info.name)!;
        const seq = checkpointStart(checkpoint, last.seq);
        // Nothing above the floor acknowledged when it was taken: the capture from its time on.
        const from = checkpoint.acknowledgedAboveFloor === 0 ? checkpoint.at : undefined;
        return capturedAbove(session, stream, info.name, seq - 1, last.seq, from);
      }),
    ),
  );
  const doneOf = new Map(checkpointed.map((info, index) => [info.name, done[index]!]));
  for (const info of waiting) {
    const checkpoint = checkpoints.get(info.name);
    if (checkpoint) {
      const seq = checkpointStart(checkpoint, last.seq);
      targets.push({ name: info.name, start: { seq }, done: doneOf.get(info.name), config: info.config });
      positions[info.name] = { checkpointFloor: checkpoint.ackFloor, checkpointAt: checkpoint.at, startSequence: seq };
    } else if (since !== undefined) {
      targets.push({ name: info.name, start: { time: since }, config: info.config });
      positions[info.name] = { startTime: since };
    }
  }
  const planned = await timedPhase(where, "plan-positions", () => planReposition(session, stream, targets));
  const unpositioned = waiting.filter((info) => !targets.some((target) => target.name === info.name));
  return { lastSequence: last.seq, planned, positions, unpositioned };
}

/** Re-creates the consumers where {@link readUnplannedPositions} placed them; returns the record. */
export async function applyUnplannedPositions(
  session: Session,
  stream: string,
  reads: UnplannedReads,
  retention: string,
  catchUpMs: number,
): Promise<PromotionRecord["consumersPositioned"]> {
  const where = { domain: session.domain, stream };
  const repositioned = await timedPhase(where, "reposition", () =>
    applyReposition(session, stream, reads.planned, retention, catchUpMs),
  );
  const positions = { ...reads.positions };
  for (const [name, { start, catchUp }] of repositioned) {
    const position = positions[name]!;
    if (catchUp === undefined || !("checkpointFloor" in position) || !("seq" in start)) continue;
    positions[name] = { ...position, startSequence: start.seq, acknowledgedAgain: catchUp };
  }
  return positions;
}

/**
 * The consumers of a stream, to re-create them after the stream itself is re-created. A
 * clustered server can answer the list with some consumers missing (right after a restart it
 * logs "Did not receive all consumer info results"), so the list must match the stream's own
 * consumer count before anything is deleted. A primary's mirror feed is left out: it served the
 * other region's old mirror, and a mirror has none.
 */
export async function snapshotConsumers(session: Session, stream: string): Promise<ConsumerConfig[]> {
  let listed: ConsumerInfo[] = [];
  let expected = 0;
  for (let attempt = 0; attempt < 5; attempt++) {
    expected = (await session.jsm.streams.info(stream)).state.consumer_count;
    listed = await listConsumers(session.jsm, stream);
    if (listed.length === expected) return listed.map((info) => info.config).filter((config) => !isMirrorFeed(config));
    await sleep(500);
  }
  throw new Error(
    `listing the consumers of stream ${stream} returned ${listed.length} of its ${expected}; the stream was NOT deleted, so no consumer is lost. Run pulumi up again when the cluster has settled.`,
  );
}

/**
 * Re-creates consumers, paused, on a freshly created mirror; positions start from the beginning.
 * In a cluster that lost a server, a new consumer's raft group may first wait out an election
 * before the server answers its create: each create is sent again while unanswered, for up to
 * `settleMs` (the same config, so the server creates it once).
 */
export async function restoreConsumers(
  session: Session,
  stream: string,
  configs: ConsumerConfig[],
  settleMs = 0,
): Promise<void> {
  for (const config of configs) {
    const metadata = userMetadata(config.metadata);
    delete metadata[MetadataKeys.positionedAt];
    const declared = metadata[MetadataKeys.deliverPolicy] ?? config.deliver_policy;
    const fresh: Partial<ConsumerConfig> = {
      ...config,
      deliver_policy: declared as ConsumerConfig["deliver_policy"],
      metadata,
    };
    delete fresh.opt_start_seq;
    delete fresh.opt_start_time;
    const paused = pausedWhileMirror(fresh);
    await hedged(() => session.jsm.consumers.add(stream, paused), settleMs);
  }
}
