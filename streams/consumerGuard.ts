// The delete guard of consumers on interest streams. On an interest stream a message is kept only
// while a consumer still has interest in it, so deleting a consumer makes the server drop every
// message that consumer had not acknowledged and no other consumer still reads (checked with
// nats-server 2.14.9: 5 messages before `nats consumer rm`, 0 after). Work-queue and limits
// streams keep their messages when a consumer goes, so only interest streams are guarded.

/** What the guard needs to know of one consumer, from its consumer info. */
export interface ConsumerFacts {
  readonly name: string;
  /** Its filter subjects; empty reads the whole stream. */
  readonly filters: readonly string[];
  /** Stream sequence up to which every message is acknowledged. */
  readonly ackFloor: number;
  /** Messages it has not acknowledged: not delivered yet plus delivered and waiting for an ack. */
  readonly unacknowledged: number;
}

/** The facts of a consumer info as the server reports it. Pure. */
export function consumerFacts(info: {
  readonly name: string;
  readonly config: { readonly filter_subject?: string; readonly filter_subjects?: string[] };
  readonly ack_floor: { readonly stream_seq: number };
  readonly num_pending: number;
  readonly num_ack_pending: number;
}): ConsumerFacts {
  const filters = info.config.filter_subjects ?? (info.config.filter_subject ? [info.config.filter_subject] : []);
  return {
    name: info.name,
    filters: filters.filter((subject) => subject !== ""),
    ackFloor: info.ack_floor.stream_seq,
    unacknowledged: info.num_pending + info.num_ack_pending,
  };
}

/**
 * Whether `other` keeps interest in every message `target` has not acknowledged: it reads at
 * least the same subjects and has acknowledged no further than `target`. A message `other` has
 * acknowledged on its own beyond its ack floor still goes with `target`: a consumer read it. Pure.
 */
export function keepsInterest(other: ConsumerFacts, target: ConsumerFacts): boolean {
  const readsEverything = other.filters.length === 0 || other.filters.includes(">");
  const readsSame = target.filters.length > 0 && target.filters.every((subject) => other.filters.includes(subject));
  return (readsEverything || readsSame) && other.ackFloor <= target.ackFloor;
}

/**
 * How many messages deleting `target` drops from a stream with `retention`: its unacknowledged
 * messages unless another consumer keeps interest in all of them (0 then). Conservative: when
 * other consumers keep interest in only some of them, all are counted. Pure.
 */
export function messagesDroppedByDelete(
  retention: string,
  target: ConsumerFacts,
  others: readonly ConsumerFacts[],
): number {
  if (retention !== "interest" || target.unacknowledged === 0) return 0;
  return others.some((other) => other.name !== target.name && keepsInterest(other, target)) ? 0 : target.unacknowledged;
}
