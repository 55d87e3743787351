// Reading what a region really stored, and comparing it with what publishers were told and with
// the other region. Reading uses an ordered consumer (no state left on the server); the
// comparisons are pure.
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { maxOf, minOf } from "./report/stats";

/** Message id by stream sequence (messages without an id get `seq:<n>`). */
export type StoredIds = Map<number, string>;

/**
 * Every message of `stream` in `domain` up to its last sequence now; bounded by `timeoutMs`.
 * An ordered consumer that fails (its server restarted, a leader moved: "no responders") is
 * replaced by one starting after the last sequence read.
 */
export async function readIds(
  nc: NatsConnection,
  domain: string,
  stream: string,
  timeoutMs = 60_000,
): Promise<StoredIds> {
  const jsm = await jetstreamManager(nc, { domain, timeout: 5000, checkAPI: false });
  const info = await jsm.streams.info(stream);
  const ids: StoredIds = new Map();
  const js = jetstream(nc, { domain, timeout: 5000 });
  const deadline = Date.now() + timeoutMs;
  let next = info.state.first_seq;
  let failures = 0;
  while (ids.size < info.state.messages && next <= info.state.last_seq && Date.now() < deadline) {
    const consumer = await js.consumers.get(stream, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: next,
    });
    try {
      // Ask for exactly what is left: a fetch for more than the stream holds waits for its expiry.
      for (;;) {
        const wanted = Math.min(1000, info.state.messages - ids.size);
        if (wanted <= 0) break;
        let received = 0;
        for await (const message of await consumer.fetch({ max_messages: wanted, expires: 5000 })) {
          received++;
          ids.set(message.seq, message.headers?.get("Nats-Msg-Id") || `seq:${message.seq}`);
          next = message.seq + 1;
          if (message.seq >= info.state.last_seq) return ids;
        }
        if (received === 0) return ids;
      }
    } catch (error) {
      if (++failures > 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    } finally {
      await consumer.delete().catch(() => undefined);
    }
  }
  if (ids.size < info.state.messages && Date.now() >= deadline) {
    throw new Error(
      `reading stream ${stream} in ${domain} took longer than ${timeoutMs} ms (${ids.size} of ${info.state.messages} messages read)`,
    );
  }
  return ids;
}

/** Ids that appear at more than one sequence. */
export function duplicateIds(stored: StoredIds): number {
  const seen = new Set<string>();
  let duplicates = 0;
  for (const id of stored.values()) {
    if (seen.has(id)) duplicates++;
    else seen.add(id);
  }
  return duplicates;
}

export interface SequenceComparison {
  readonly stream: string;
  readonly primary: { readonly region: string; readonly count: number; readonly first: number; readonly last: number };
  readonly mirror: { readonly region: string; readonly count: number; readonly first: number; readonly last: number };
  /** Sequences the primary holds and the mirror lacks, as ranges "a-b". */
  readonly missingInMirror: readonly string[];
  /** Sequences the mirror holds and the primary does not (deleted in the primary, or foreign). */
  readonly extraInMirror: readonly string[];
  /** Same sequence, different message id: the streams diverged. First 20. */
  readonly differentIds: readonly { readonly seq: number; readonly primary: string; readonly mirror: string }[];
  readonly mismatches: number;
}

function ranges(sequences: readonly number[]): string[] {
  const sorted = [...sequences].sort((a, b) => a - b);
  const out: string[] = [];
  let start: number | undefined;
  let previous = 0;
  for (const seq of sorted) {
    if (start !== undefined && seq === previous + 1) {
      previous = seq;
      continue;
    }
    if (start !== undefined) out.push(start === previous ? `${start}` : `${start}-${previous}`);
    start = seq;
    previous = seq;
  }
  if (start !== undefined) out.push(start === previous ? `${start}` : `${start}-${previous}`);
  return out;
}

function bounds(stored: StoredIds): { count: number; first: number; last: number } {
  const seqs = [...stored.keys()];
  return { count: stored.size, first: minOf(seqs) ?? 0, last: maxOf(seqs) ?? 0 };
}

/**
 * Compares a primary and its mirror sequence by sequence. Mirrors keep the origin's sequences,
 * so after a catch-up both must hold the same id at every sequence the primary holds. A
 * mirror re-created from scratch starts at the primary's first retained sequence.
 */
export function compareSequences(
  stream: string,
  primaryRegion: string,
  primary: StoredIds,
  mirrorRegion: string,
  mirror: StoredIds,
): SequenceComparison {
  const missing: number[] = [];
  const different: { seq: number; primary: string; mirror: string }[] = [];
  let differentCount = 0;
  for (const [seq, id] of primary) {
    const copy = mirror.get(seq);
    if (copy === undefined) missing.push(seq);
    else if (copy !== id) {
      differentCount++;
      if (different.length < 20) different.push({ seq, primary: id, mirror: copy });
    }
  }
  const extra = [...mirror.keys()].filter((seq) => !primary.has(seq));
  return {
    stream,
    primary: { region: primaryRegion, ...bounds(primary) },
    mirror: { region: mirrorRegion, ...bounds(mirror) },
    missingInMirror: ranges(missing),
    extraInMirror: ranges(extra),
    differentIds: different,
    mismatches: missing.length + differentCount,
  };
}

/** Of the acknowledged ids, those not in any of the stored sets. */
export function missingIds(acknowledged: Iterable<string>, stored: readonly StoredIds[]): string[] {
  const present = new Set<string>();
  for (const ids of stored) for (const id of ids.values()) present.add(id);
  const missing: string[] = [];
  for (const id of acknowledged) if (!present.has(id)) missing.push(id);
  return missing;
}
