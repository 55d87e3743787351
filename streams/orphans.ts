// Copying a demoted stream's orphans aside: the messages above the peer's promotion point, or,
// when this stream's history is not the one the peer mirrored (it was re-created since), every
// message it holds.
//
// Messages are read by sequence (works for any retention, tells gaps from the end), re-published
// with their original subject, sequence, time, domain and message id in Nats-Dr-Original-*
// headers. Headers the server would act on again (Nats-Expected-*, Nats-Rollup, Nats-TTL, ...)
// are renamed so a re-publish is not rejected or turned into a rollup. The copy resumes where a
// previous interrupted run stopped, and every sequence in the range is accounted for before the
// caller may delete the source.
import type { StreamInfo } from "@nats-io/jetstream";
import type { MsgHdrs } from "@nats-io/transport-node";
import { isNotFound, type Session } from "./client";
import type { DemotionRecord, StreamResourceInputs } from "./spec";
import { FENCE_SUBJECT_PREFIX, MetadataKeys } from "./wire";

/** How many reads and publishes may be in flight at once. */
const COPY_WINDOW = 128;

/**
 * Room per copied message beyond its stored size in the source: the orphan subject, the
 * provenance headers and the renamed server headers (a few hundred bytes), with margin.
 */
export const ORPHAN_OVERHEAD_BYTES = 1024;

/**
 * The orphan stream's size limit while the copy runs: everything the source holds, each message
 * with ORPHAN_OVERHEAD_BYTES more. JetStream reserves it when the stream is created (and refuses
 * a stream that does not fit, before anything is deleted); `discard: new` makes a copy that would
 * not fit fail instead of dropping a kept message. After the copy the limit shrinks to what the
 * orphan stream holds, so it reserves no more than it uses (capacity.ts keeps orphanHeadroom for
 * it). No age or count limit: an orphan waits for an operator, it never expires. Pure.
 */
export function orphanStreamMaxBytes(source: Pick<StreamInfo, "state">): number {
  return source.state.bytes + source.state.messages * ORPHAN_OVERHEAD_BYTES;
}

export const OrphanHeaders = {
  subject: "Nats-Dr-Original-Subject",
  sequence: "Nats-Dr-Original-Sequence",
  time: "Nats-Dr-Original-Time",
  domain: "Nats-Dr-Original-Domain",
  msgId: "Nats-Dr-Original-Msg-Id",
  /** Prefix for other server-interpreted headers, e.g. Nats-Dr-Original-Header-Nats-Rollup. */
  otherPrefix: "Nats-Dr-Original-Header-",
} as const;

export function orphanStreamName(stream: string, promotedAt: number): string {
  return `${stream}-orphans-${promotedAt}`;
}

/** Headers for the copy: application headers as they were, server ones renamed, provenance added. */
export function orphanHeaders(
  original: MsgHdrs | undefined,
  provenance: { subject: string; seq: number; time: string; domain: string },
): MsgHdrs {
  const { headers } = require("@nats-io/transport-node") as typeof import("@nats-io/transport-node");
  const copy = headers();
  for (const [key, values] of original ?? []) {
    for (const value of values) {
      if (key.toLowerCase() === "nats-msg-id") copy.append(OrphanHeaders.msgId, value);
      else if (key.toLowerCase().startsWith("nats-")) copy.append(`${OrphanHeaders.otherPrefix}${key}`, value);
      else copy.append(key, value);
    }
  }
  copy.set(OrphanHeaders.subject, provenance.subject);
  copy.set(OrphanHeaders.sequence, String(provenance.seq));
  copy.set(OrphanHeaders.time, provenance.time);
  copy.set(OrphanHeaders.domain, provenance.domain);
  return copy;
}

/** Which messages an orphan stream holds (its metadata natsdr.orphan-scope). */
export const OrphanScopes = { afterPromotion: "after-promotion", wholeStream: "whole-stream" } as const;
export type OrphanScope = (typeof OrphanScopes)[keyof typeof OrphanScopes];

/** The sequences of a stream to keep aside before it is deleted, where, and why. */
export interface OrphanRange {
  readonly orphanStream: string;
  /** First sequence of the range. */
  readonly from: number;
  /** Last sequence that belongs to the range. */
  readonly last: number;
  readonly scope: OrphanScope;
  /** The orphan stream's description: what it holds and what to do with it. */
  readonly description: string;
  /** More metadata for the orphan stream (e.g. the promotion point). */
  readonly metadata: Record<string, string>;
}

export type OrphanCopy = Pick<
  DemotionRecord,
  "orphanCount" | "orphanStream" | "orphanFirstSequence" | "orphanLastSequence"
>;

export async function copyOrphans(
  session: Session,
  inputs: StreamResourceInputs,
  source: StreamInfo,
  range: OrphanRange,
): Promise<OrphanCopy> {
  const { orphanStream, last } = range;
  const none = { orphanCount: 0, orphanStream: "", orphanFirstSequence: 0, orphanLastSequence: 0 };
  const first = Math.max(range.from, source.state.first_seq);
  if (source.state.messages === 0 || last < first) return none;

  const name = inputs.spec.name;
  const subject = `natsdr.orphans.${orphanStream}`;
  const resumeFrom = await prepareOrphanStream(session, inputs, source, orphanStream, subject, range);
  const { jetstream } = require("@nats-io/jetstream") as typeof import("@nats-io/jetstream");
  const js = jetstream(session.nc, { timeout: inputs.connection.requestTimeoutMs });

  let found = 0;
  let gaps = 0;
  let firstCopied = 0;
  let lastCopied = 0;
  for (let start = Math.max(first, resumeFrom); start <= last; start += COPY_WINDOW) {
    const sequences = Array.from({ length: Math.min(COPY_WINDOW, last - start + 1) }, (_, index) => start + index);
    const messages = await Promise.all(sequences.map((seq) => session.jsm.streams.getMessage(name, { seq })));
    const publishes: Promise<unknown>[] = [];
    for (const message of messages) {
      // Fence subjects carry only nats-dr's own markers (a failover's, published into this
      // stream when it was fenced): no publisher was ever told they were stored.
      if (!message || message.subject.startsWith(FENCE_SUBJECT_PREFIX)) {
        gaps++;
        continue;
      }
      const copyHeaders = orphanHeaders(message.header, {
        subject: message.subject,
        seq: message.seq,
        time: message.time.toISOString(),
        domain: inputs.domain,
      });
      // No `expect` option: it would be stored as a header and break a later re-publish.
      publishes.push(
        js.publish(subject, message.data, { msgID: `${inputs.domain}:${name}:${message.seq}`, headers: copyHeaders }),
      );
      found++;
      if (firstCopied === 0) firstCopied = message.seq;
      lastCopied = message.seq;
    }
    await Promise.all(publishes);
  }
  const skipped = Math.max(first, resumeFrom) - first;
  if (found + gaps !== last - first + 1 - skipped) {
    throw new Error(
      `stream ${name}: accounted for ${found + gaps} of ${last - first + 1 - skipped} orphaned sequences; the stream was NOT deleted. Run pulumi up again.`,
    );
  }
  const stored = await session.jsm.streams.info(orphanStream);
  const total = stored.state.messages;
  if (total < found) {
    throw new Error(
      `stream ${name}: copied ${found} orphaned messages to ${orphanStream} but it holds ${total}; the stream was NOT deleted. Inspect ${orphanStream} and run pulumi up again.`,
    );
  }
  if (total === 0) {
    await session.jsm.streams.delete(orphanStream);
    return none;
  }
  // Sealed at its size: it reserves what it holds, and nothing more can be added to it.
  if (stored.config.max_bytes !== stored.state.bytes)
    await session.jsm.streams.update(orphanStream, { max_bytes: stored.state.bytes });
  return {
    orphanCount: total,
    orphanStream,
    orphanFirstSequence: skipped > 0 ? first : firstCopied,
    orphanLastSequence: lastCopied || last,
  };
}

/** Creates the orphan stream, or finds where an interrupted copy into it stopped. */
async function prepareOrphanStream(
  session: Session,
  inputs: StreamResourceInputs,
  source: StreamInfo,
  orphanStream: string,
  subject: string,
  range: OrphanRange,
): Promise<number> {
  try {
    const info = await session.jsm.streams.info(orphanStream);
    if (info.state.messages === 0) return 0;
    const lastCopy = await session.jsm.streams.getMessage(orphanStream, { last_by_subj: subject });
    return Number(lastCopy?.header.get(OrphanHeaders.sequence) ?? 0) + 1;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  await session.jsm.streams.add({
    name: orphanStream,
    subjects: [subject],
    description: range.description,
    storage: source.config.storage,
    num_replicas: source.config.num_replicas,
    duplicate_window: 10 * 60 * 1e9,
    max_bytes: orphanStreamMaxBytes(source),
    discard: "new",
    max_age: 0,
    max_msgs: -1,
    metadata: {
      [MetadataKeys.managed]: "true",
      ...range.metadata,
      "natsdr.orphans-of": inputs.spec.name,
      [MetadataKeys.orphanScope]: range.scope,
    },
  });
  return 0;
}

/** Orphan streams of `stream` still in this domain (kept until an operator deals with them). */
export async function listOrphanStreams(
  session: Session,
  stream: string,
): Promise<{ stream: string; messages: number }[]> {
  const found: { stream: string; messages: number }[] = [];
  for await (const info of session.jsm.streams.list("natsdr.orphans.>")) {
    if (info.config.metadata?.["natsdr.orphans-of"] === stream && info.state.messages > 0) {
      found.push({ stream: info.config.name, messages: info.state.messages });
    }
  }
  return found.sort((a, b) => (a.stream < b.stream ? -1 : 1));
}
