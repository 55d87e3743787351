// Primary -> mirror: the failback, or the second half of a planned failover.
//
// The server cannot add a mirror to a stream, so the stream is replaced. Before anything is
// deleted, the messages this stream holds beyond the point where the peer was promoted from it
// (orphans: written here after the last replication, e.g. just before an unplanned failover)
// are copied to a separate orphan stream, verified and counted. Then the stream is re-created
// as a mirror of the peer, with its durable consumers.
import type { StreamInfo } from "@nats-io/jetstream";
import type { Session } from "./client";
import { restoreConsumers, snapshotConsumers } from "./consumerPositions";
import { findPeerPrimary } from "./promotion";
import type { DemotionRecord, StreamResourceInputs } from "./spec";
import { MetadataKeys, streamWireConfig, userMetadata } from "./wire";

/** How many orphan publishes may be in flight at once. */
const COPY_WINDOW = 256;

export function orphanStreamName(stream: string, at: Date): string {
  return `${stream}-orphans-${at.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}`;
}

export async function demoteToMirror(
  session: Session,
  inputs: StreamResourceInputs,
  instance: string,
  existing: StreamInfo,
): Promise<DemotionRecord> {
  const name = inputs.spec.name;
  if (userMetadata(existing.config.metadata)[MetadataKeys.managed] !== "true") {
    throw new Error(
      `stream ${name} already exists in domain "${inputs.domain}" as a primary that nats-dr did not create. Back it up and delete it, or make it a nats-dr stream with \`pulumi import\`, before it can become a mirror.`,
    );
  }
  const peer = await findPeerPrimary(session, inputs);
  if (peer.kind !== "primary") {
    throw new Error(
      `stream ${name} in "${inputs.domain}" cannot become a mirror yet: ${peer.reason}. A stream is only re-created as a mirror when the new primary answers, so its unreplicated messages can be compared and kept. Run pulumi up again when the peer region is reachable.`,
    );
  }
  const promotedAt = Number(userMetadata(peer.info.config.metadata)[MetadataKeys.promotedAtSequence] ?? 0);
  const at = new Date();
  const orphans = await preserveOrphans(session, inputs, existing, promotedAt, at);
  const consumers = await snapshotConsumers(session, name);
  await session.jsm.streams.delete(name);
  const mirror = streamWireConfig(inputs.spec, "mirror", inputs.peerDomain, { [MetadataKeys.instance]: instance });
  await session.jsm.streams.add(mirror);
  await restoreConsumers(session, name, consumers);
  return { at: at.toISOString(), promotedAtSequence: promotedAt, ...orphans };
}

async function preserveOrphans(
  session: Session,
  inputs: StreamResourceInputs,
  existing: StreamInfo,
  promotedAt: number,
  at: Date,
): Promise<Omit<DemotionRecord, "at" | "promotedAtSequence">> {
  const none = { orphanCount: 0, orphanStream: "", orphanFirstSequence: 0, orphanLastSequence: 0 };
  const last = existing.state.last_seq;
  const first = Math.max(promotedAt + 1, existing.state.first_seq);
  if (existing.state.messages === 0 || last < first) return none;

  const name = inputs.spec.name;
  const orphanStream = orphanStreamName(name, at);
  const subject = `natsdr.orphans.${orphanStream}`;
  await session.jsm.streams.add({
    name: orphanStream,
    subjects: [subject],
    description: `Messages of ${name} in ${inputs.domain} that never reached ${inputs.peerDomain}; re-publish them from here.`,
    storage: existing.config.storage,
    num_replicas: existing.config.num_replicas,
    duplicate_window: 10 * 60 * 1e9,
    metadata: { [MetadataKeys.managed]: "true", "natsdr.orphans-of": name, "natsdr.promoted-at-seq": String(promotedAt) },
  });
  const copied = await copyRange(session, inputs.domain, name, first, last, subject);
  const stored = await session.jsm.streams.info(orphanStream);
  if (stored.state.messages !== copied.count) {
    throw new Error(
      `stream ${name}: copied ${copied.count} orphaned messages to ${orphanStream} but it holds ${stored.state.messages}; the stream was NOT deleted. Inspect ${orphanStream} and run pulumi up again.`,
    );
  }
  if (copied.count === 0) {
    await session.jsm.streams.delete(orphanStream);
    return none;
  }
  return { orphanCount: copied.count, orphanStream, orphanFirstSequence: copied.first, orphanLastSequence: copied.last };
}

/** Copies messages [first, last] with their subject, time and headers; idempotent by message id. */
async function copyRange(
  session: Session,
  domain: string,
  stream: string,
  first: number,
  last: number,
  subject: string,
): Promise<{ count: number; first: number; last: number }> {
  const { jetstream, DeliverPolicy } = require("@nats-io/jetstream") as typeof import("@nats-io/jetstream");
  const { headers } = require("@nats-io/transport-node") as typeof import("@nats-io/transport-node");
  const js = jetstream(session.nc, { domain });
  const reader = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: first });
  const inFlight: Promise<unknown>[] = [];
  let count = 0;
  let firstCopied = 0;
  let lastCopied = 0;
  try {
    while (lastCopied < last) {
      const batch = await reader.fetch({ max_messages: COPY_WINDOW, expires: 2000 });
      let received = 0;
      for await (const message of batch) {
        received++;
        const copy = headers();
        for (const [key, values] of message.headers ?? []) for (const value of values) copy.append(key, value);
        const originalId = copy.get("Nats-Msg-Id");
        if (originalId) copy.set("Nats-Dr-Original-Msg-Id", originalId);
        copy.delete("Nats-Msg-Id");
        copy.set("Nats-Dr-Original-Subject", message.subject);
        copy.set("Nats-Dr-Original-Sequence", String(message.seq));
        copy.set("Nats-Dr-Original-Time", message.time.toISOString());
        copy.set("Nats-Dr-Original-Domain", domain);
        inFlight.push(js.publish(subject, message.data, { msgID: `${domain}:${stream}:${message.seq}`, headers: copy }));
        if (inFlight.length >= COPY_WINDOW) await Promise.all(inFlight.splice(0));
        count++;
        if (firstCopied === 0) firstCopied = message.seq;
        lastCopied = message.seq;
        if (message.seq >= last) break;
      }
      if (received === 0) break;
    }
    await Promise.all(inFlight);
  } finally {
    await reader.delete().catch(() => undefined);
  }
  return { count, first: firstCopied, last: lastCopied };
}

