// Do two streams hold one history? Sequence numbers alone cannot tell.
//
// A mirror keeps its origin's sequence numbers and timestamps, so a message two such streams
// share is the same subject, time (to the nanosecond), message id and data at the same sequence.
// A stream deleted and re-created starts again at sequence 1, and its messages then sit at
// sequences where the other region holds the old stream's: comparing sequences finds nothing
// amiss (issue 15, item 7). This module compares real messages, and the identity a mirror
// records when it is created empty: the `created` time of the stream it copies.
//
// The comparison rests on one fact: a mirror stores sequences in increasing order, and the
// origin streams it copied from follow each other in time. So once the mirror holds a message of
// the current origin at sequence k, every later sequence it mirrored came from that origin too;
// comparing the lowest sequence both hold decides for the whole range above it. The highest
// sequence both hold is compared as well (a stream restored from an older backup shares the low
// sequences and diverges above them).
import type { JetStreamManager, MsgRequest, StoredMsg, StreamInfo } from "@nats-io/jetstream";

export const HistoryVerdicts = { same: "same", diverged: "diverged", unproven: "unproven" } as const;
export type HistoryVerdict = (typeof HistoryVerdicts)[keyof typeof HistoryVerdicts];

/** What identifies a stored message across a mirror. */
export interface MessageFingerprint {
  readonly seq: number;
  readonly subject: string;
  /** The server's timestamp as it sends it (RFC 3339, nanoseconds). */
  readonly time: string;
  /** Nats-Msg-Id, or "" without one. */
  readonly msgId: string;
  /** SHA-256 of the payload, hex. */
  readonly dataSha256: string;
}

export interface ComparedSequence {
  readonly seq: number;
  readonly same: boolean;
}

/** The evidence a check leaves in outputs: what was compared and what it showed. */
export interface HistoryCheck {
  /**
   * "same": every message of the source at or below `upTo` was stored by the copy at the same
   * sequence; "diverged": they are different streams; "unproven": it cannot be shown either way.
   */
  readonly verdict: HistoryVerdict;
  /** In words, with the sequences and times that decided. */
  readonly reason: string;
  /** The source stream's `created` time, as its server reports it. */
  readonly sourceCreated: string;
  /** The source `created` time the copy recorded when it was made a mirror; "" when it has none. */
  readonly recordedSourceCreated: string;
  /** Highest source sequence the copy must hold. */
  readonly upTo: number;
  readonly compared: ComparedSequence[];
}

/** One side of a comparison. */
export interface HistorySide {
  readonly jsm: JetStreamManager;
  /** JetStream domain, for the words. */
  readonly domain: string;
  readonly info: StreamInfo;
}

export function fingerprint(message: StoredMsg): MessageFingerprint {
  const { createHash } = require("node:crypto") as typeof import("node:crypto");
  return {
    seq: message.seq,
    subject: message.subject,
    time: message.timestamp,
    msgId: message.header.get("Nats-Msg-Id") ?? "",
    dataSha256: createHash("sha256").update(message.data).digest("hex"),
  };
}

export function sameMessage(a: MessageFingerprint, b: MessageFingerprint): boolean {
  return (
    a.seq === b.seq &&
    a.subject === b.subject &&
    a.time === b.time &&
    a.msgId === b.msgId &&
    a.dataSha256 === b.dataSha256
  );
}

function describeMessage(message: MessageFingerprint): string {
  return `${message.subject} stored ${message.time}${message.msgId ? ` (Nats-Msg-Id ${message.msgId})` : ""}`;
}

/** The facts gathered from the servers; `judgeHistory` turns them into a verdict. */
export interface HistoryFacts {
  readonly stream: string;
  readonly source: { readonly domain: string; readonly created: string };
  readonly copy: { readonly domain: string };
  readonly recordedSourceCreated: string | undefined;
  readonly upTo: number;
  /** Lowest sequence the source holds at or below `upTo`; undefined when it holds none there. */
  readonly sourceLowest: number | undefined;
  /** Messages both hold at one sequence, lowest first. */
  readonly pairs: readonly { readonly source: MessageFingerprint; readonly copy: MessageFingerprint }[];
}

/** Pure: the verdict of a history comparison, with its reason. */
export function judgeHistory(facts: HistoryFacts): HistoryCheck {
  const { stream, source, copy, recordedSourceCreated, upTo, sourceLowest } = facts;
  const compared = facts.pairs.map((pair) => ({ seq: pair.source.seq, same: sameMessage(pair.source, pair.copy) }));
  const result = (verdict: HistoryVerdict, reason: string): HistoryCheck => ({
    verdict,
    reason,
    sourceCreated: source.created,
    recordedSourceCreated: recordedSourceCreated ?? "",
    upTo,
    compared,
  });
  if (recordedSourceCreated !== undefined && recordedSourceCreated !== source.created) {
    return result(
      "diverged",
      `stream ${stream} in "${source.domain}" was created at ${source.created}, but the stream in "${copy.domain}" was made a mirror of one created at ${recordedSourceCreated}: the stream in "${source.domain}" was re-created since, and its sequence numbers name other messages in "${copy.domain}"`,
    );
  }
  const mismatch = facts.pairs.find((pair) => !sameMessage(pair.source, pair.copy));
  if (mismatch) {
    return result(
      "diverged",
      `at sequence ${mismatch.source.seq} stream ${stream} in "${source.domain}" holds ${describeMessage(mismatch.source)}, but "${copy.domain}" holds ${describeMessage(mismatch.copy)}: the two are different streams under one name`,
    );
  }
  const matched = compared.map((entry) => entry.seq).join(", ");
  const checked = matched ? `; the messages at sequence ${matched} are the same in both` : "";
  if (recordedSourceCreated !== undefined) {
    return result(
      "same",
      `stream ${stream} in "${source.domain}" (created ${source.created}) is the stream "${copy.domain}" was made a mirror of${checked}`,
    );
  }
  if (sourceLowest === undefined) {
    return result(
      "unproven",
      `"${copy.domain}" recorded no identity for stream ${stream}, and "${source.domain}" holds no message at or below sequence ${upTo} to compare`,
    );
  }
  if (facts.pairs[0]?.source.seq === sourceLowest) {
    return result(
      "same",
      `"${copy.domain}" recorded no identity for stream ${stream}, but it holds the lowest message of "${source.domain}" at or below sequence ${upTo} (sequence ${sourceLowest}) unchanged, so it mirrored every later one${checked}`,
    );
  }
  return result(
    "unproven",
    `"${copy.domain}" recorded no identity for stream ${stream} and no longer holds sequence ${sourceLowest}, the lowest message of "${source.domain}" at or below sequence ${upTo}, so it cannot be shown that it ever stored it`,
  );
}

/** How many sequences a search may probe before giving up (gaps in both streams). */
const PROBE_LIMIT = 64;

async function messageAt(side: HistorySide, seq: number): Promise<StoredMsg | null> {
  return side.jsm.streams.getMessage(side.info.config.name, { seq });
}

/** The first message at or after `seq` (any subject), or null. */
async function nextMessage(side: HistorySide, seq: number): Promise<StoredMsg | null> {
  // The server's message get takes next_by_subj with a start sequence; nats.js types only the
  // direct-get form of it.
  const query = { seq, next_by_subj: ">" } as unknown as MsgRequest;
  return side.jsm.streams.getMessage(side.info.config.name, query);
}

/** The lowest sequence in [from, upTo] at which both hold a message, with both messages. */
async function lowestCommon(
  source: HistorySide,
  copy: HistorySide,
  from: number,
  upTo: number,
): Promise<{ source: StoredMsg; copy: StoredMsg } | undefined> {
  let seq = from;
  for (let probe = 0; probe < PROBE_LIMIT && seq <= upTo; probe++) {
    const [mine, theirs] = await Promise.all([nextMessage(source, seq), nextMessage(copy, seq)]);
    if (!mine || !theirs || mine.seq > upTo || theirs.seq > upTo) return undefined;
    if (mine.seq === theirs.seq) return { source: mine, copy: theirs };
    seq = Math.max(mine.seq, theirs.seq);
  }
  return undefined;
}

/** The highest sequence in (above, upTo] at which both hold a message, probing down from upTo. */
async function highestCommon(
  source: HistorySide,
  copy: HistorySide,
  above: number,
  upTo: number,
): Promise<{ source: StoredMsg; copy: StoredMsg } | undefined> {
  const batch = 16;
  for (let top = upTo; top > above && top > upTo - PROBE_LIMIT; top -= batch) {
    const sequences = Array.from({ length: Math.min(batch, top - above) }, (_, index) => top - index);
    const found = await Promise.all(
      sequences.map(async (seq) => {
        const [mine, theirs] = await Promise.all([messageAt(source, seq), messageAt(copy, seq)]);
        return mine && theirs ? { source: mine, copy: theirs } : undefined;
      }),
    );
    const pair = found.find((entry) => entry !== undefined);
    if (pair) return pair;
  }
  return undefined;
}

/**
 * Compares `source` with `copy`, a stream that mirrored it (or a mirror's origin with the
 * mirror): must every source message at or below `upTo` be in the copy at the same sequence?
 * `recordedSourceCreated` is the source identity the copy recorded when it was made a mirror.
 */
export async function compareHistories(
  source: HistorySide,
  copy: HistorySide,
  upTo: number,
  recordedSourceCreated: string | undefined,
): Promise<HistoryCheck> {
  const name = source.info.config.name;
  const from = source.info.state.first_seq;
  const lowestHeld = source.info.state.messages > 0 && from <= upTo ? await nextMessage(source, from) : null;
  const sourceLowest = lowestHeld && lowestHeld.seq <= upTo ? lowestHeld.seq : undefined;
  const pairs: { source: MessageFingerprint; copy: MessageFingerprint }[] = [];
  if (sourceLowest !== undefined) {
    const low = await lowestCommon(source, copy, sourceLowest, upTo);
    if (low) pairs.push({ source: fingerprint(low.source), copy: fingerprint(low.copy) });
    const high = await highestCommon(source, copy, low?.source.seq ?? sourceLowest - 1, upTo);
    if (high) pairs.push({ source: fingerprint(high.source), copy: fingerprint(high.copy) });
  }
  return judgeHistory({
    stream: name,
    source: { domain: source.domain, created: source.info.created },
    copy: { domain: copy.domain },
    recordedSourceCreated,
    upTo,
    sourceLowest,
    pairs,
  });
}
