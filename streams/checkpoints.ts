// Consumer checkpoints: the active region's acknowledgement floors, kept in the standby region.
//
// Each region runs a checkpointer (infra/checkpoints) that, every interval, sends one JetStream
// API request per catalog consumer, `$JS.API.CONSUMER.INFO.<stream>.<consumer>`, with the reply
// subject `natsdr.checkpoints.<its domain>.<stream>.<consumer>`. The server answers to that
// subject, the leafnode carries the answer to the other region, and that region's stream
// `natsdr-checkpoints` (subjects `natsdr.checkpoints.<peer domain>.>`, one message per subject)
// stores it. The standby thus holds, locally, the last consumer info of every consumer of the
// active region; an unplanned promotion starts each consumer right after that info's
// acknowledgement floor, without asking the dead region anything.
//
// A floor only moves forward, so an older checkpoint is a floor from the past: the consumer
// restarts earlier than the old region's floor (redeliveries), never later (no message skipped).
import type { ConsumerInfo } from "@nats-io/jetstream";
import { isEndOfMessages } from "./capturedAcks";
import { isNotFound, type Session } from "./client";

/** The stream in each region that keeps the peer region's consumer checkpoints. */
export const CHECKPOINT_STREAM = "natsdr-checkpoints";

/** Subject a region's checkpointer has the server answer on, for one consumer. */
export function checkpointSubject(domain: string, stream: string, consumer: string): string {
  return `natsdr.checkpoints.${domain}.${stream}.${consumer}`;
}

/** Subjects of the checkpoint stream in the region whose peer is `peerDomain`. */
export function checkpointStreamSubjects(peerDomain: string): string[] {
  return [`natsdr.checkpoints.${peerDomain}.>`];
}

/** The API request whose answer is a checkpoint. */
export function checkpointRequestSubject(stream: string, consumer: string): string {
  return `$JS.API.CONSUMER.INFO.${stream}.${consumer}`;
}

export interface Checkpoint {
  /**
   * The old region's acknowledgement floor (stream sequence) when the checkpoint was taken, as
   * effectiveAckFloor reads it.
   */
  readonly ackFloor: number;
  /** When the standby stored it (ISO 8601, the standby's clock). */
  readonly at: string;
  /**
   * Deliveries above the floor already acknowledged (or delivered again) when it was taken, or
   * undefined when the info does not say. 0: every acknowledgement above the floor came after the
   * checkpoint, so the captured ones are found from its time on (capturedAcks.ts).
   */
  readonly acknowledgedAboveFloor?: number;
}

/** What of a consumer info the position of the consumer is taken from. */
export interface FloorFacts {
  readonly ack_floor?: { readonly stream_seq?: number; readonly consumer_seq?: number };
  readonly delivered?: { readonly stream_seq?: number; readonly consumer_seq?: number };
  readonly num_ack_pending?: number;
  readonly config?: { readonly deliver_policy?: string; readonly opt_start_seq?: number };
}

const isSequence = (value: unknown): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= 0;

/**
 * Pure: the stream sequence at or below which the consumer has nothing left to deliver again, or
 * undefined when the info does not say. Its acknowledgement floor, raised to two things the floor
 * can lag behind: with no acknowledgement pending, everything delivered was acknowledged; and a
 * consumer that starts at sequence N never delivers anything below it. A clustered (R3) consumer
 * created at a start sequence reports floor 0 until an acknowledgement moves it (nats-server
 * 2.14.9; a single server reports N-1): taken as it is, a promotion started the consumer at 1 and
 * delivered the whole stream again (6,492 acknowledged messages in a drill's unplanned failover).
 */
export function effectiveAckFloor(info: FloorFacts): number | undefined {
  const floor = info.ack_floor?.stream_seq;
  if (!isSequence(floor)) return undefined;
  let effective = floor;
  const delivered = info.delivered?.stream_seq;
  if (info.num_ack_pending === 0 && isSequence(delivered)) effective = Math.max(effective, delivered);
  const start = info.config?.opt_start_seq;
  if (info.config?.deliver_policy === "by_start_sequence" && isSequence(start) && start > 0) {
    effective = Math.max(effective, start - 1);
  }
  return effective;
}

/**
 * Pure: how many deliveries above the acknowledgement floor were acknowledged out of order (or
 * superseded by a redelivery) when the info was taken. Every delivery after the floor's is either
 * pending (`num_ack_pending`) or one of those, counted by consumer sequence: when the two agree,
 * nothing above the floor had been acknowledged yet. Undefined when the info does not say.
 */
export function acknowledgedAboveFloor(info: FloorFacts): number | undefined {
  const pending = info.num_ack_pending;
  if (pending === 0) return 0;
  const floor = info.ack_floor?.consumer_seq;
  const delivered = info.delivered?.consumer_seq;
  if (!isSequence(pending) || !isSequence(floor) || !isSequence(delivered)) return undefined;
  return Math.max(0, delivered - floor - pending);
}

/**
 * Pure: the checkpoint in one stored answer, or undefined for an answer that is not a consumer
 * info of that consumer (an API error while the consumer was being re-created, say).
 */
export function parseCheckpoint(payload: string, stream: string, consumer: string, at: string): Checkpoint | undefined {
  let info: Partial<ConsumerInfo> & { error?: unknown };
  try {
    info = JSON.parse(payload) as typeof info;
  } catch {
    return undefined;
  }
  if (info.error !== undefined || info.stream_name !== stream || info.name !== consumer) return undefined;
  const floor = effectiveAckFloor(info);
  if (floor === undefined) return undefined;
  const above = acknowledgedAboveFloor(info);
  return above === undefined ? { ackFloor: floor, at } : { ackFloor: floor, at, acknowledgedAboveFloor: above };
}

/**
 * The last checkpoint of each named consumer of `stream` the peer's checkpointer left in this
 * region, read locally. A region without the checkpoint stream (checkpoints off) has none.
 */
export async function readCheckpoints(
  session: Session,
  peerDomain: string,
  stream: string,
  consumers: readonly string[],
): Promise<Map<string, Checkpoint>> {
  const found = new Map<string, Checkpoint>();
  for (const consumer of consumers) {
    try {
      const message = await session.jsm.streams.getMessage(CHECKPOINT_STREAM, {
        last_by_subj: checkpointSubject(peerDomain, stream, consumer),
      });
      if (!message) continue;
      const checkpoint = parseCheckpoint(message.string(), stream, consumer, message.time.toISOString());
      if (checkpoint) found.set(consumer, checkpoint);
    } catch (error) {
      // No checkpoint stream, or no message for this consumer: the standby's own position stays.
      if (isNotFound(error) || isNoMessage(error)) continue;
      throw error;
    }
  }
  return found;
}

/**
 * The checkpoints this region holds for every consumer of `stream`, in one direct request for the
 * last message of each consumer's subject: unlike {@link readCheckpoints} it needs no consumer
 * names, so it runs while the consumers are listed. Undefined when the checkpoint stream does not
 * answer direct gets (absent, or declared without them by an older stack): read them one by one.
 */
export async function readStreamCheckpoints(
  session: Session,
  peerDomain: string,
  stream: string,
): Promise<Map<string, Checkpoint> | undefined> {
  const prefix = checkpointSubject(peerDomain, stream, "");
  const found = new Map<string, Checkpoint>();
  try {
    const messages = await session.jsm.direct.getLastMessagesFor(CHECKPOINT_STREAM, { multi_last: [`${prefix}*`] });
    for await (const message of messages) {
      const consumer = message.subject.slice(prefix.length);
      const checkpoint = parseCheckpoint(message.string(), stream, consumer, message.time.toISOString());
      if (checkpoint) found.set(consumer, checkpoint);
    }
  } catch (error) {
    // No checkpoint of this stream at all ends the batch with 404; anything else: one by one.
    return isEndOfMessages(error) ? found : undefined;
  }
  return found;
}

/** "no message found" (10037) from a get by subject. */
function isNoMessage(error: unknown): boolean {
  const candidate = error as { apiError?: () => { err_code?: number } } | undefined;
  return typeof candidate?.apiError === "function" && candidate.apiError().err_code === 10037;
}

/**
 * Pure: where a consumer starts after an unplanned promotion from a checkpoint: right after its
 * floor, but never after the last message this stream holds (sequences above it are the next
 * ones published here; starting beyond would skip them).
 */
export function checkpointStart(checkpoint: Checkpoint, lastMirroredSequence: number): number {
  return Math.min(checkpoint.ackFloor, lastMirroredSequence) + 1;
}
