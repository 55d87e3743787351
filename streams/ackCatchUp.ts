// An unplanned promotion acknowledges again what the old region's consumer had acknowledged.
//
// The consumer is positioned right after the checkpoint's floor; the messages above it that the
// old region's services acknowledged (capturedAcks.ts) must not reach them again. The server
// ignores an acknowledgement for a message its consumer has not delivered yet (nats-server
// 2.14.9, processAckMsg), so the promotion takes those deliveries itself: a push consumer is
// created delivering to an inbox of ours and handed to its real deliver subject afterwards; a pull
// consumer is fetched from (no_wait, so no pull request of ours outlives the catch-up). Each
// delivery whose sequence and message timestamp match a captured acknowledgement is acknowledged
// (or terminated) again; every other delivery is released with a negative acknowledgement once
// the catch-up ends, so the services get it at once rather than after `ackWait`. The catch-up is
// bounded in time; what it did not reach is delivered again, never skipped.
import type { ConsumerConfig, JetStreamManager } from "@nats-io/jetstream";
import { createInbox, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { ApiErrorCodes, apiErrorCode, sleep } from "./client";
import { highestDone, parseAckReply, type DoneMessage } from "./capturedAcks";
import type { CatchUpRecord } from "./spec";
import { domainApiPrefix, MetadataKeys } from "./wire";

/** What a catch-up did, for the promotion record. */
export type CatchUp = Pick<CatchUpRecord, "acknowledged" | "released" | "complete">;

/** How long deliveries already on their way to the inbox are still taken after the hand-over. */
const HANDOVER_GRACE_MS = 150;
/** A pause the catch-up ends itself; a run cut off meanwhile re-creates the consumer anyway. */
const PAUSE_MS = 24 * 3600 * 1000;
/** How long the server may still see the inbox's interest after it went. */
const INTEREST_GONE_MS = 2000;
/** Largest pull batch of one request. */
const PULL_BATCH = 256;
/** How long one no_wait pull request may take to end. */
const REQUEST_END_MS = 2000;

/**
 * A push consumer redirected to an inbox by a catch-up carries its real deliver subject here, so
 * a run interrupted during the catch-up gives it back when it positions the consumer again.
 */
export function withoutCatchUpRedirect(config: Partial<ConsumerConfig>): Partial<ConsumerConfig> {
  const original = config.metadata?.[MetadataKeys.catchUpDeliverSubject];
  if (original === undefined) return config;
  const metadata = { ...config.metadata };
  delete metadata[MetadataKeys.catchUpDeliverSubject];
  return { ...config, deliver_subject: original, metadata };
}

/** Pure: what to send for one delivery of the catch-up, or undefined to hold it for release. */
export function catchUpAnswer(
  replySubject: string,
  done: ReadonlyMap<number, DoneMessage>,
): "+ACK" | "+TERM" | undefined {
  const reply = parseAckReply(replySubject);
  if (reply === undefined) return undefined;
  const known = done.get(reply.streamSequence);
  if (known === undefined || known.timestamp !== reply.timestamp) return undefined;
  return known.kind === "term" ? "+TERM" : "+ACK";
}

class Deliveries {
  acknowledged = 0;
  highest = 0;
  readonly held: string[] = [];
  lastStatus = 0;
  statusCount = 0;
  count = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly done: ReadonlyMap<number, DoneMessage>,
  ) {}

  take(message: Msg): void {
    const code = message.headers?.code ?? 0;
    if (code !== 0 && message.data.length === 0) {
      // Flow control asks for an answer; heartbeats and the end of a pull batch do not.
      if (code === 100 && message.reply) message.respond();
      this.lastStatus = code;
      this.statusCount++;
      return;
    }
    if (!message.reply) return;
    this.count++;
    const reply = parseAckReply(message.reply);
    if (reply !== undefined) this.highest = Math.max(this.highest, reply.streamSequence);
    const answer = catchUpAnswer(message.reply, this.done);
    if (answer === undefined) {
      this.held.push(message.reply);
      return;
    }
    this.nc.publish(message.reply, answer);
    this.acknowledged++;
  }

  release(): void {
    for (const reply of this.held) this.nc.publish(reply, "-NAK");
  }
}

/**
 * Creates the consumer `config` (its position already set) and acknowledges again, within
 * `timeoutMs`, the deliveries the old region's consumer had done with. A pull consumer is put at
 * its start by `placePull` when given (a move in place, reposition.ts), else created.
 */
export async function addCaughtUp(
  nc: NatsConnection,
  jsm: JetStreamManager,
  domain: string,
  stream: string,
  config: Partial<ConsumerConfig> & { durable_name: string },
  done: ReadonlyMap<number, DoneMessage>,
  timeoutMs: number,
  placePull: () => Promise<unknown> = () => jsm.consumers.add(stream, config),
): Promise<CatchUp> {
  const target = highestDone(done);
  const deliveries = new Deliveries(nc, done);
  const deadline = Date.now() + timeoutMs;
  const inbox = createInbox();
  const push = typeof config.deliver_subject === "string" && config.deliver_subject !== "";
  const subscription = nc.subscribe(inbox, {
    ...(push && config.deliver_group ? { queue: config.deliver_group } : {}),
    callback: (error, message) => {
      if (!error) deliveries.take(message);
    },
  });
  try {
    if (push) {
      await step("creating it delivering to an inbox", () =>
        jsm.consumers.add(stream, {
          ...config,
          deliver_subject: inbox,
          metadata: { ...config.metadata, [MetadataKeys.catchUpDeliverSubject]: config.deliver_subject! },
        }),
      );
      while (deliveries.highest < target && Date.now() < deadline) await sleep(5);
      // The server refuses to move an active push consumer ("consumer name already in use"):
      // paused, its deliveries on their way are taken, then the inbox goes and it moves.
      await step("pausing it", () => jsm.consumers.pause(stream, config.durable_name, new Date(Date.now() + PAUSE_MS)));
      await sleep(HANDOVER_GRACE_MS);
      subscription.unsubscribe();
      await nc.flush();
      await step("handing it to its deliver subject", () =>
        whileInterestLingers(() =>
          jsm.consumers.update(stream, config.durable_name, {
            deliver_subject: config.deliver_subject!,
            metadata: config.metadata ?? {},
          }),
        ),
      );
      await step("resuming it", () => jsm.consumers.resume(stream, config.durable_name));
    } else {
      await step("creating it", placePull);
      const next = `${domainApiPrefix(domain)}.CONSUMER.MSG.NEXT.${stream}.${config.durable_name}`;
      const batch = Math.min(
        PULL_BATCH,
        config.max_ack_pending && config.max_ack_pending > 0 ? config.max_ack_pending : PULL_BATCH,
      );
      while (deliveries.highest < target && Date.now() < deadline) {
        const before = deliveries.statusCount;
        const taken = deliveries.count;
        nc.publish(next, JSON.stringify({ batch, no_wait: true }), { reply: inbox });
        // A no_wait request ends with a status (404 no messages, 408, 409) unless it filled up;
        // its deliveries are all taken before the inbox goes, even past the deadline.
        const ended = Date.now() + REQUEST_END_MS;
        while (deliveries.statusCount === before && deliveries.count - taken < batch && Date.now() < ended) {
          await sleep(2);
        }
        // Nothing more to deliver now (the rest waits for its ackWait): going on changes nothing.
        if (deliveries.count === taken) break;
      }
    }
  } finally {
    subscription.unsubscribe();
    deliveries.release();
    await nc.flush();
  }
  return {
    acknowledged: deliveries.acknowledged,
    released: deliveries.held.length,
    complete: deliveries.highest >= target,
  };
}

/** Runs one step of a catch-up, naming it in the error. */
async function step<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new Error(`catch-up ${what}: ${String((error as Error).message ?? error)}`, { cause: error });
  }
}

/** Asks again while the server still counts the inbox as the consumer's interest. */
async function whileInterestLingers<T>(work: () => Promise<T>): Promise<T> {
  const until = Date.now() + INTEREST_GONE_MS;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (apiErrorCode(error) !== ApiErrorCodes.consumerNameInUse || Date.now() >= until) throw error;
      await sleep(25);
    }
  }
}
