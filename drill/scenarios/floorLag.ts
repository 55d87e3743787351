// Which consumer's checkpoint floor lagged at an unplanned failover, and why (issue 15: one CI run
// under load redelivered 673 acknowledged messages against an allowance of 56). Pure.
//
// An unplanned promotion starts each consumer right after the old region's last checkpoint held
// in the new region. Everything a worker had confirmed above that floor before the kill is
// delivered again. The floor can lag for two reasons, told apart here: the checkpoint itself was
// old (the checkpointer or the link fell behind), or the server's floor was held back by one
// delivery whose acknowledgement was never confirmed (an ack lost with a consumer leader, a worker
// that gave up confirming it), or by messages the server counted as delivered that never
// reached the worker (a pull request's batch lost on the way: only the consumer's ackWait brings
// them back), so every later confirmed ack sat above it.
import type { CatchUpRecord } from "../../streams/spec";
import type { AckRecord } from "../load/consumers";

export interface FloorLagInput {
  readonly consumer: string;
  readonly stream: string;
  /** The worker's deliveries in the killed region. */
  readonly deliveries: readonly AckRecord[];
  /** Drill clock (ms) and wall clock (ms since the epoch) of the kill. */
  readonly killAt: number;
  readonly killWallMs: number;
  /** The consumer's info from the killed region just before the kill, if it answered. */
  readonly server?: { readonly ackFloor: number; readonly ackPending: number; readonly redelivered: number };
  /** What the promotion recorded for this consumer (lastPromotion.consumersPositioned). */
  readonly positioned?: {
    readonly checkpointFloor: number;
    readonly checkpointAt: string;
    readonly startSequence: number;
    readonly acknowledgedAgain?: CatchUpRecord;
  };
  /** Confirmed acknowledgements of the allowance window before the kill (the redelivery target). */
  readonly allowance: number;
  /** Checkpoint interval, ms. */
  readonly intervalMs: number;
}

export interface FloorLag {
  readonly consumer: string;
  readonly stream: string;
  readonly serverAtKill?: FloorLagInput["server"];
  readonly checkpointFloor?: number;
  /** Age of the checkpoint at the kill, ms (when the new region stored it). */
  readonly checkpointAgeMs?: number;
  readonly startSequence?: number;
  /** Highest sequence up to which every delivery in the killed region was confirmed by the kill. */
  readonly confirmedFloorAtKill: number;
  /** Deliveries above the checkpoint floor confirmed before the kill. */
  readonly confirmedAboveCheckpoint: number;
  /** Of those, what the promotion started past or acknowledged again from the captured acknowledgements. */
  readonly acknowledgedAgain?: CatchUpRecord;
  /** Confirmed above the checkpoint, neither started past nor acknowledged again: delivered again after the kill. */
  readonly deliveredAgain: number;
  readonly allowance: number;
  /** More delivered again than the allowance. */
  readonly lagged: boolean;
  /** The first delivery above the checkpoint floor not confirmed by the kill, and what became of it. */
  readonly firstUnconfirmed?: {
    readonly seq: number;
    readonly id: string;
    readonly deliveredAt: number;
    readonly state: "gave up unconfirmed" | "confirmed after the kill" | "awaiting confirmation at the kill";
  };
  readonly why: string;
}

export function floorLag(input: FloorLagInput): FloorLag {
  const sorted = [...input.deliveries].sort((a, b) => a.seq - b.seq);
  const confirmedByKill = (record: AckRecord) => record.confirmedAt !== undefined && record.confirmedAt <= input.killAt;
  let confirmedFloorAtKill = 0;
  for (const record of sorted) {
    if (!confirmedByKill(record)) break;
    confirmedFloorAtKill = record.seq;
  }
  const floor = input.positioned?.checkpointFloor;
  const above =
    floor === undefined ? [] : sorted.filter((record) => record.seq > floor && record.deliveredAt <= input.killAt);
  const confirmedAboveCheckpoint = above.filter(confirmedByKill).length;
  const first = above.find((record) => !confirmedByKill(record));
  const firstUnconfirmed = first && {
    seq: first.seq,
    id: first.id,
    deliveredAt: first.deliveredAt,
    state:
      first.gaveUpAt !== undefined && first.gaveUpAt <= input.killAt
        ? ("gave up unconfirmed" as const)
        : first.confirmedAt !== undefined
          ? ("confirmed after the kill" as const)
          : ("awaiting confirmation at the kill" as const),
  };
  const heldAbove = (server: NonNullable<FloorLagInput["server"]>) =>
    above.filter((record) => record.seq > server.ackFloor && confirmedByKill(record)).length;
  const checkpointAgeMs =
    input.positioned === undefined ? undefined : input.killWallMs - Date.parse(input.positioned.checkpointAt);
  const reasons: string[] = [];
  if (input.positioned === undefined) reasons.push("no checkpoint was used for it");
  if (checkpointAgeMs !== undefined && checkpointAgeMs > 2 * input.intervalMs)
    reasons.push(`its last checkpoint was ${checkpointAgeMs} ms old at the kill (interval ${input.intervalMs} ms)`);
  if (input.server && floor !== undefined && input.server.ackFloor <= floor + 1 && firstUnconfirmed)
    reasons.push(
      `the server's own floor was held at ${input.server.ackFloor} (${input.server.ackPending} acks pending) by sequence ${firstUnconfirmed.seq}, delivered at ${firstUnconfirmed.deliveredAt} ms: ${firstUnconfirmed.state}`,
    );
  else if (
    input.server &&
    floor !== undefined &&
    input.server.ackFloor <= floor + 1 &&
    input.server.ackPending > 0 &&
    !sorted.some((record) => record.seq === floor + 1)
  )
    reasons.push(
      `the server's own floor was held at ${input.server.ackFloor} (${input.server.ackPending} acks pending) by sequence ${floor + 1}, which the server counted as delivered but the worker never received (redelivered only after the consumer's ackWait)`,
    );
  else if (
    input.server &&
    floor !== undefined &&
    input.server.ackPending > 0 &&
    heldAbove(input.server) > input.allowance
  )
    // The checkpoint was behind the server, but the server's floor was itself held: catching up
    // with it would not have helped.
    reasons.push(
      `the server's own floor was held at ${input.server.ackFloor} (${input.server.ackPending} acks pending) with ${heldAbove(input.server)} deliveries above it confirmed by the kill; the checkpoint's ${floor} was ${input.server.ackFloor - floor} behind it`,
    );
  else if (input.server && floor !== undefined && input.server.ackFloor > floor)
    reasons.push(
      `the server's floor was ${input.server.ackFloor} at the kill, the checkpoint's ${floor}: the checkpoint had not caught up`,
    );
  if (input.server === undefined) reasons.push("the killed region's consumer info did not answer just before the kill");
  const again = input.positioned?.acknowledgedAgain;
  const spared = again === undefined ? 0 : again.startedPast + again.acknowledged;
  const deliveredAgain = Math.max(0, confirmedAboveCheckpoint - spared);
  if (again !== undefined && confirmedAboveCheckpoint > input.allowance)
    reasons.push(
      `of the ${again.captured} acknowledgements captured above the floor, the promotion started past ${again.startedPast} and acknowledged ${again.acknowledged} again${again.complete ? "" : " before its time was up"}`,
    );
  const lagged = deliveredAgain > input.allowance;
  if (reasons.length === 0)
    reasons.push(lagged ? "no cause found in the evidence" : "within one checkpoint interval of traffic");
  return {
    consumer: input.consumer,
    stream: input.stream,
    ...(input.server ? { serverAtKill: input.server } : {}),
    ...(floor !== undefined ? { checkpointFloor: floor } : {}),
    ...(checkpointAgeMs !== undefined ? { checkpointAgeMs } : {}),
    ...(input.positioned ? { startSequence: input.positioned.startSequence } : {}),
    confirmedFloorAtKill,
    confirmedAboveCheckpoint,
    ...(again !== undefined ? { acknowledgedAgain: again } : {}),
    deliveredAgain,
    allowance: input.allowance,
    lagged,
    ...(firstUnconfirmed ? { firstUnconfirmed } : {}),
    why: reasons.join("; "),
  };
}
