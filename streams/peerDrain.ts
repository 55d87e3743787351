// A planned promotion's drain: the peer's consumers are paused, and their acknowledgements in
// flight are given a bounded time (failover.consumerDrainTimeoutMs) to land before the positions
// are carried over; it ends early when those still pending are all among the acknowledgements
// this region captured.
import type { ConsumerInfo } from "@nats-io/jetstream";
import { capturedAbove } from "./capturedAcks";
import { effectiveAckFloor, type FloorFacts } from "./checkpoints";
import { sleep, type Session } from "./client";
import { notePhase, type PhaseWhere } from "./phaseLog";

/** A peer consumer paused by a planned promotion, and the position carried from it. */
export interface PausedConsumer {
  readonly name: string;
  readonly ackFloor: number;
  readonly unacknowledged: number;
}

/**
 * Pure: whether every delivery of a consumer above its ack floor was acknowledged or has its
 * acknowledgement among `captured` (stream sequences done with above the floor, captured here).
 * The deliveries above the floor are counted by consumer sequence; with none delivered twice each
 * is a message of its own, and an acknowledgement is only captured for a delivered one, so as
 * many captured as delivered means all of them. A redelivery makes the count unknowable: no.
 */
export function everyDeliveryCaptured(consumer: FloorFacts & { num_redelivered?: number }, captured: number): boolean {
  const floor = consumer.ack_floor?.consumer_seq;
  const delivered = consumer.delivered?.consumer_seq;
  if (floor === undefined || delivered === undefined || (consumer.num_redelivered ?? 0) > 0) return false;
  return captured >= delivered - floor;
}

/**
 * Whether the acknowledgements the peer's consumer still waits for were sent and only lost on
 * their way to it (its leader died with them: a drill's node loss left 3 such for the whole drain
 * time): this region's capture holds every one of them, and the promotion acknowledges them
 * again (ackCatchUp.ts), so waiting for them changes nothing.
 */
export async function capturedEveryDelivery(
  session: Session,
  stream: string,
  consumer: ConsumerInfo,
): Promise<boolean> {
  const floor = consumer.ack_floor.stream_seq;
  const last = consumer.delivered.stream_seq;
  if (last <= floor) return false;
  const done = await capturedAbove(session, stream, consumer.name, floor, last);
  return everyDeliveryCaptured(consumer, done.size);
}

/** How long an acknowledgement in flight is given before the capture is asked instead, ms. */
const ASK_CAPTURE_AFTER_MS = 300;
/** How often the capture is read again meanwhile, ms. */
const ASK_CAPTURE_EVERY_MS = 250;

/**
 * Waits until the paused consumers have no acknowledgement pending, or every one pending is
 * among this region's captured acknowledgements (`captured`), or the drain time is up.
 */
export async function drainPausedConsumers(
  names: readonly string[],
  info: (name: string) => Promise<ConsumerInfo>,
  drainTimeoutMs: number,
  where: PhaseWhere,
  captured: (consumer: ConsumerInfo) => Promise<boolean>,
): Promise<PausedConsumer[]> {
  const drainAt = Date.now();
  const deadline = Date.now() + drainTimeoutMs;
  const accounted = new Set<string>();
  let askedCaptureAt = 0;
  for (;;) {
    const infos = await Promise.all(names.map(info));
    const waiting = infos.filter((consumer) => consumer.num_ack_pending > 0 && !accounted.has(consumer.name));
    if (
      waiting.length > 0 &&
      Date.now() - drainAt >= ASK_CAPTURE_AFTER_MS &&
      Date.now() - askedCaptureAt >= ASK_CAPTURE_EVERY_MS
    ) {
      askedCaptureAt = Date.now();
      const found = await Promise.all(waiting.map((consumer) => captured(consumer).catch(() => false)));
      waiting.forEach((consumer, index) => {
        if (found[index]) accounted.add(consumer.name);
      });
    }
    const drained = infos.every((consumer) => consumer.num_ack_pending === 0 || accounted.has(consumer.name));
    if (drained || Date.now() >= deadline) {
      const carried = infos.map((consumer) => ({
        name: consumer.name,
        ackFloor: effectiveAckFloor(consumer) ?? 0,
        unacknowledged: consumer.num_ack_pending,
      }));
      notePhase(
        where,
        "drain",
        drainAt,
        infos
          .map(
            (consumer, index) =>
              `${consumer.name} pending ${consumer.num_ack_pending}${accounted.has(consumer.name) ? " (all captured here)" : ""} floor ${consumer.ack_floor.stream_seq} carried ${carried[index]!.ackFloor}`,
          )
          .join(", "),
      );
      return carried;
    }
    await sleep(20);
  }
}
