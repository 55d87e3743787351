// One orphan message as it goes back to the active region: the original subject, the message id
// the active stream de-duplicates on, and the headers the application had. Pure.
import { createHash } from "node:crypto";
import type { MsgHdrs } from "@nats-io/transport-node";
import { OrphanHeaders } from "../../streams/orphans";

/** Prefix of the id given to an orphan that had no Nats-Msg-Id. */
export const DERIVED_ID_PREFIX = "natsdr-orphan";

export interface OrphanMessage {
  /** Sequence in the orphan stream. */
  readonly orphanSequence: number;
  readonly subject: string;
  /** Sequence in the stream it was kept from (the demoted region's). */
  readonly originalSequence: number;
  /** ISO time the demoted region stored it. */
  readonly originalTime: string;
  readonly originalDomain: string;
  /** The Nats-Msg-Id it is published with: its own, or a derived one. */
  readonly id: string;
  /** True when the original had no Nats-Msg-Id and `id` was derived from its provenance. */
  readonly idDerived: boolean;
  /** sha256 of the payload, hex: what the read-back compares. */
  readonly sha256: string;
}

/**
 * The id of an orphan without a Nats-Msg-Id: the same on every run (domain, stream, original
 * sequence and time identify the message in the demoted region's history, also for a stream
 * re-created since), so the active stream's duplicate window treats a repeat as a repeat.
 */
export function derivedMessageId(domain: string, stream: string, sequence: number, time: string): string {
  return `${DERIVED_ID_PREFIX}:${domain}:${stream}:${sequence}:${time}`;
}

export function payloadHash(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The message to publish, or why this orphan-stream message is not a nats-dr orphan copy. */
export function orphanMessage(
  stream: string,
  stored: { readonly seq: number; readonly header: MsgHdrs | undefined; readonly data: Uint8Array },
): OrphanMessage | { problem: string } {
  const header = (key: string) => stored.header?.get(key) ?? "";
  const subject = header(OrphanHeaders.subject);
  const originalSequence = Number(header(OrphanHeaders.sequence));
  const originalTime = header(OrphanHeaders.time);
  if (subject === "" || !Number.isInteger(originalSequence) || originalSequence <= 0 || originalTime === "")
    return {
      problem: `message ${stored.seq} has no ${OrphanHeaders.subject}/${OrphanHeaders.sequence}/${OrphanHeaders.time} headers: it is not a copy a demotion made; inspect it and remove it by hand (nats stream rmm).`,
    };
  const originalDomain = header(OrphanHeaders.domain);
  const own = header(OrphanHeaders.msgId);
  return {
    orphanSequence: stored.seq,
    subject,
    originalSequence,
    originalTime,
    originalDomain,
    id: own || derivedMessageId(originalDomain, stream, originalSequence, originalTime),
    idDerived: own === "",
    sha256: payloadHash(stored.data),
  };
}

/**
 * The application's headers: every header but the ones the server acts on (Nats-*). The copy's
 * provenance (Nats-Dr-Original-*) stays with the evidence, and the original's server headers,
 * kept renamed, stay out: Nats-Expected-* would refuse the re-publish and Nats-Rollup would purge.
 */
export function applicationHeaders(stored: MsgHdrs | undefined): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, values] of stored ?? []) {
    if (key.toLowerCase().startsWith("nats-")) continue;
    for (const value of values) out.push([key, value]);
  }
  return out;
}
