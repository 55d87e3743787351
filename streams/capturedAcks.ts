// Acknowledgements captured in the standby region, for an unplanned promotion.
//
// A checkpoint carries a consumer's acknowledgement floor, and a single delivery lost in flight
// holds that floor for `ackWait` while the service goes on acknowledging everything after it: an
// unplanned promotion in that time would deliver all of it again (2,888 in a drill). So each
// region also keeps the acknowledgements themselves. A service acknowledges a message by
// publishing to its reply subject, `$JS.ACK.<stream>.<consumer>.<deliveries>.<stream seq>.
// <consumer seq>.<timestamp>.<pending>`; subject interest crosses the leafnode, so the stream
// `natsdr-acks` of the standby (subjects `$JS.ACK.<stream>.<consumer>.>` for each catalog
// consumer, `no_ack`, which the server requires for subjects under `$JS.`) stores every
// acknowledgement the active region's consumers get. Nothing runs for it: the servers do it.
//
// The promotion then acknowledges again, on the consumer it positioned at the checkpoint, the
// messages above the floor that were acknowledged there (ackCatchUp.ts). The timestamp in the
// subject is the message's own (a mirror keeps it), so an acknowledgement is used only for the
// very message it acknowledged: a sequence that a re-created stream reused never matches.
import type { StoredMsg } from "@nats-io/jetstream";
import type { Session } from "./client";
import { sleep } from "./client";
import { notePhase } from "./phaseLog";

/** The stream in each region that keeps the acknowledgements of the catalog consumers. */
export const ACK_STREAM = "natsdr-acks";

/** Subject filter of one consumer's acknowledgements (the server's v1 reply subjects). */
export function ackCaptureSubject(stream: string, consumer: string): string {
  return `$JS.ACK.${stream}.${consumer}.>`;
}

/**
 * The one subject of the capture stream while its region captures nothing (it is the active
 * region of every stream): a stream needs a subject, and the server would give it its own name.
 * Nobody publishes to it; the domain keeps the two regions' apart.
 */
export function ackCaptureIdleSubject(domain: string): string {
  return `natsdr.acks.idle.${domain}`;
}

/** What a v1 acknowledgement subject names. */
export interface AckReply {
  readonly stream: string;
  readonly consumer: string;
  readonly deliveries: number;
  readonly streamSequence: number;
  readonly consumerSequence: number;
  /** The message's timestamp, nanoseconds since the epoch, as the server wrote it. */
  readonly timestamp: string;
  readonly pending: number;
}

const DIGITS = /^\d+$/;

/**
 * Pure: the parts of a v1 acknowledgement subject (9 tokens), or undefined for anything else. The
 * v2 format (domain and account tokens, nats-server feature flag `js_ack_fc_v2`, off by default
 * in 2.14 and 2.15) is not captured by the v1 filter and so never reaches here.
 */
export function parseAckReply(subject: string): AckReply | undefined {
  const tokens = subject.split(".");
  if (tokens.length !== 9 || tokens[0] !== "$JS" || tokens[1] !== "ACK") return undefined;
  const numbers = tokens.slice(4);
  if (!numbers.every((token) => DIGITS.test(token))) return undefined;
  return {
    stream: tokens[2]!,
    consumer: tokens[3]!,
    deliveries: Number(tokens[4]),
    streamSequence: Number(tokens[5]),
    consumerSequence: Number(tokens[6]),
    timestamp: tokens[7]!,
    pending: Number(tokens[8]),
  };
}

/** What an acknowledgement's body asks of the server. */
export type AckKind = "ack" | "term" | "nak" | "progress";

/**
 * Pure: the kind of an acknowledgement body. Empty and `+ACK` acknowledge, `+NXT` acknowledges
 * and asks for more, `+TERM` ends redelivery; `-NAK` and `+WPI` leave the message pending.
 * Undefined for a body the server would not take as an acknowledgement.
 */
export function ackKind(body: string): AckKind | undefined {
  const text = body.trim();
  if (text === "" || text === "+ACK") return "ack";
  if (text.startsWith("+NXT")) return "ack";
  if (text.startsWith("+TERM")) return "term";
  if (text.startsWith("-NAK")) return "nak";
  if (text === "+WPI") return "progress";
  return undefined;
}

/** A message the old region's consumer had done with: acknowledged or terminated. */
export interface DoneMessage {
  readonly timestamp: string;
  readonly kind: "ack" | "term";
}

/**
 * Pure: of the captured acknowledgements of one consumer, the messages done with above `floor`
 * and at or below `lastSequence` (a message the mirror does not hold cannot be delivered here),
 * by stream sequence. A negative acknowledgement after a done one changes nothing: the server
 * ignores it for a message no longer pending.
 */
export function doneAboveFloor(
  captured: Iterable<{ readonly subject: string; readonly body: string }>,
  floor: number,
  lastSequence: number,
): Map<number, DoneMessage> {
  const done = new Map<number, DoneMessage>();
  for (const { subject, body } of captured) {
    const reply = parseAckReply(subject);
    const kind = ackKind(body);
    if (reply === undefined || (kind !== "ack" && kind !== "term")) continue;
    if (reply.streamSequence <= floor || reply.streamSequence > lastSequence) continue;
    if (!done.has(reply.streamSequence)) done.set(reply.streamSequence, { timestamp: reply.timestamp, kind });
  }
  return done;
}

/** The highest sequence of `done` (0 for none); a loop, as a spread of many keys overflows the stack. */
export function highestDone(done: ReadonlyMap<number, DoneMessage>): number {
  let highest = 0;
  for (const seq of done.keys()) if (seq > highest) highest = seq;
  return highest;
}

/** The status a direct batch get ends with when no message (or none more) matches. */
export function isEndOfMessages(error: unknown): boolean {
  // nats.js raises it as a JetStreamStatusError, which its public module exports only as the
  // JetStreamError it extends.
  const { JetStreamError } = require("@nats-io/jetstream") as typeof import("@nats-io/jetstream");
  return error instanceof JetStreamError && (error as { code?: unknown }).code === 404;
}

/** How long before the floor's next message an acknowledgement is still looked for: clock skew. */
const CLOCK_SKEW_MS = 2_000;

/** Reads captured messages of one subject filter in pages; the first call starts at a time. */
const PAGE = 1024;

/**
 * The messages of `stream` from `start` on that match `filter`, in order, read locally with direct
 * batch gets of `page` messages; the caller stops when it has what it needs.
 */
export async function* directPages(
  session: Session,
  stream: string,
  start: { start_time: Date } | { seq: number },
  filter: string,
  page = PAGE,
): AsyncGenerator<StoredMsg> {
  let next = start;
  for (;;) {
    let last = 0;
    let count = 0;
    try {
      const batch = await session.jsm.direct.getBatch(stream, { ...next, batch: page, next_by_subj: filter });
      for await (const message of batch) {
        last = message.seq;
        count++;
        yield message;
      }
    } catch (error) {
      // A batch with nothing (more) to give ends with status 404 "message not found".
      if (!isEndOfMessages(error)) throw error;
    }
    if (count < page) return;
    next = { seq: last + 1 };
    await sleep(0);
  }
}

/**
 * Where the capture is read from for a floor without a checkpoint that bounds it: the time of the
 * first message above the floor (nothing acknowledged it before it was stored), less the clock
 * margin. A stream without direct gets, or a gap, is read from the start of what the capture keeps.
 */
async function sinceMessageAfter(
  session: Session,
  stream: string,
  floor: number,
): Promise<{ start_time: Date } | { seq: number }> {
  const after = await session.jsm.direct.getMessage(stream, { seq: floor + 1, next_by_subj: ">" }).catch(() => null);
  return after ? { start_time: new Date(after.time.getTime() - CLOCK_SKEW_MS) } : { seq: 1 };
}

/**
 * How long before a checkpoint was stored here an acknowledgement sent after it was taken may have
 * been: both crossed the same link to this region, the checkpoint as the server's answer to a
 * request, the acknowledgement as a message the server forwards; this covers their order there.
 */
const LINK_ORDER_MS = 1_000;

/**
 * The acknowledgements this region captured for `consumer` of `stream` that can matter above
 * `floor`, read locally with direct gets in pages. When the checkpoint of that floor says nothing
 * above it had been acknowledged yet (`checkpointAt`: when this region stored it), those stored
 * since then, less a margin for the link; this region's clock stamped both. Otherwise (a delivery
 * lost in flight holds the floor while later ones are acknowledged) those stored since the message
 * after the floor was: an acknowledgement cannot come before its message, but the capture's time is
 * this region's clock and the message's the old region's, so less a margin for the clock offset
 * between the regions' servers. Servers kept in time by NTP are far within it; an offset beyond it
 * costs redeliveries, never a skipped message. In a region without the stream (checkpoints off, an
 * older stack) the read fails: callers take that as none.
 */
export async function readCapturedAcks(
  session: Session,
  stream: string,
  consumer: string,
  floor: number,
  lastSequence: number,
  checkpointAt?: string,
): Promise<Map<number, DoneMessage>> {
  if (floor >= lastSequence) return new Map();
  const start = checkpointAt
    ? { start_time: new Date(Date.parse(checkpointAt) - LINK_ORDER_MS) }
    : await sinceMessageAfter(session, stream, floor);
  const captured: Array<{ subject: string; body: string }> = [];
  for await (const message of directPages(session, ACK_STREAM, start, ackCaptureSubject(stream, consumer))) {
    captured.push({ subject: message.subject, body: message.string() });
  }
  return doneAboveFloor(captured, floor, lastSequence);
}

/**
 * The captured acknowledgements of one consumer above `floor`. Only fewer redeliveries hang on
 * them: a capture that cannot be read never stops a failover.
 */
export async function capturedAbove(
  session: Session,
  stream: string,
  consumer: string,
  floor: number,
  lastSequence: number,
  checkpointAt?: string,
): Promise<Map<number, DoneMessage>> {
  const readAt = Date.now();
  try {
    return await readCapturedAcks(session, stream, consumer, floor, lastSequence, checkpointAt);
  } catch (error) {
    notePhase({ domain: session.domain, stream }, "captured-acks-unread", readAt, `${consumer}: ${String(error)}`);
    return new Map();
  }
}
