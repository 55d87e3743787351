// Re-publishing a region's orphan streams into the active region's streams (issue 15 item 4).
//
// Each orphan goes to its original subject with its original Nats-Msg-Id (or, without one, an id
// derived from its provenance), so the active stream's duplicate window stores a repeat once.
// A repeat run after that window is covered by the orphan stream itself: after every batch whose
// publishes all were acknowledged by the active stream, natsdr.republished-through on the orphan
// stream moves on, and a later run starts after it. A run that dies between a batch's acks and
// that metadata write left an intent record in the active region (intents.ts): a repeat run,
// also after the window, finds those ids in the active stream and publishes none of them again.
//
// Verification: every publish ack must name the active stream in the active domain, and then
// every acknowledged message is read back by its sequence (subject, id, payload hash). A message
// an interest or work-queue stream has already removed counts as verified by its ack alone. The
// orphan stream is deleted only when all of its messages were verified, and after the caller
// wrote the evidence.
import { type JetStreamClient, type JetStreamManager, type PubAck, type StoredMsg } from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { OrphanScopes } from "../../streams/orphans";
import type { OrphanStreamEvidence, RepublishedMessage } from "./evidence";
import { republishTarget, RepublishMetadata, type OrphanStream } from "./find";
import { idsInStream } from "./activeIds";
import { appendRecord, ensureIntentStream, readRecords, unfinishedIntents } from "./intents";
import { applicationHeaders, orphanMessage, payloadHash, type OrphanMessage } from "./message";

/** Messages read and published at once. */
const BATCH = 128;
/** Attempts per publish: a timeout is retried with the same id (the duplicate window makes that safe). */
const ATTEMPTS = 3;

export interface RegionSide {
  readonly region: string;
  readonly domain: string;
  readonly jsm: JetStreamManager;
}

export interface ActiveSide extends RegionSide {
  /** Publishes on a connection to the active region's servers, so its streams store them. */
  readonly js: JetStreamClient;
}

export interface RepublishStreamOptions {
  readonly dryRun: boolean;
  readonly publishTimeoutMs: number;
  /**
   * Called after a batch's publishes were acknowledged, before the orphan stream records them:
   * where a killed run leaves the most to its repeat (the integration test throws here).
   */
  readonly afterBatchAcknowledged?: (batch: { readonly first: number; readonly last: number }) => void;
}

/** Publishes one orphan stream's messages and verifies them; never deletes (see {@link removeVerified}). */
export async function republishOrphanStream(
  from: RegionSide,
  to: ActiveSide,
  orphan: OrphanStream,
  options: RepublishStreamOptions,
): Promise<OrphanStreamEvidence> {
  const failures: string[] = [];
  const messages: (RepublishedMessage & { sha256: string })[] = [];
  const resumedAfter = orphan.republishedThrough;
  const base = {
    orphanStream: orphan.name,
    stream: orphan.stream,
    scope: orphan.scope,
    fromDomain: from.domain,
    toDomain: to.domain,
    orphanMessages: orphan.messages,
    orphanFirstSequence: orphan.firstSequence,
    orphanLastSequence: orphan.lastSequence,
    resumedAfter,
    removed: false,
  };
  const target = await republishTarget(to.jsm, to.domain, orphan.stream);
  const retention = "info" in target ? target.info.config.retention : undefined;
  if ("problem" in target) failures.push(target.problem);
  // A whole-stream orphan stream may hold messages the active stream has (stored before the
  // histories parted, or beyond its duplicate window): those ids are looked up, not re-published.
  const present =
    "info" in target && orphan.scope === OrphanScopes.wholeStream
      ? await idsInStream(to.js, orphan.stream, target.info.state.last_seq)
      : new Map<string, number>();
  // What an earlier run published but never recorded here (it died in between): found by id.
  if ("info" in target) {
    for (const intent of unfinishedIntents(await readRecords(to.js, to.jsm, orphan.name), resumedAfter)) {
      const found = await idsInStream(to.js, orphan.stream, target.info.state.last_seq, {
        from: intent.targetLastSequence + 1,
        wanted: new Set(intent.ids),
      });
      for (const [id, seq] of found) present.set(id, seq);
    }
    if (!options.dryRun) await ensureIntentStream(to.jsm, target.info.config.num_replicas);
  }

  const start = Math.max(orphan.firstSequence, resumedAfter + 1);
  for (
    let first = start;
    failures.length === 0 && orphan.messages > 0 && first <= orphan.lastSequence;
    first += BATCH
  ) {
    const sequences = Array.from({ length: Math.min(BATCH, orphan.lastSequence - first + 1) }, (_, i) => first + i);
    const stored = await Promise.all(sequences.map((seq) => from.jsm.streams.getMessage(orphan.name, { seq })));
    const batch: { message: OrphanMessage; stored: StoredMsg }[] = [];
    for (const one of stored) {
      if (!one) continue; // a gap: removed from the orphan stream by hand
      const message = orphanMessage(orphan.stream, one);
      if ("problem" in message) failures.push(`${orphan.name}: ${message.problem}`);
      else batch.push({ message, stored: one });
    }
    if (failures.length > 0) break;
    if (options.dryRun) {
      messages.push(...batch.map(({ message }) => withoutDomain(message)));
      continue;
    }
    const targetLastSequence = (await to.jsm.streams.info(orphan.stream)).state.last_seq;
    await appendRecord(to.js, {
      kind: "intent",
      at: new Date().toISOString(),
      orphanStream: orphan.name,
      stream: orphan.stream,
      firstSequence: sequences[0]!,
      lastSequence: sequences.at(-1)!,
      targetLastSequence,
      ids: batch.map(({ message }) => message.id).filter((id) => !present.has(id)),
    });
    const acks = await Promise.all(
      batch.map(({ message, stored: one }) => {
        const seq = present.get(message.id);
        return seq === undefined
          ? publishOnce(to.js, message, one, options)
          : Promise.resolve({ stream: orphan.stream, domain: to.domain, seq, duplicate: true });
      }),
    );
    const sent: (RepublishedMessage & { sha256: string })[] = [];
    for (const [index, { message }] of batch.entries()) {
      const ack = acks[index]!;
      if ("error" in ack) {
        failures.push(`${orphan.name} #${message.orphanSequence} (id ${message.id}): the publish failed: ${ack.error}`);
        sent.push(withoutDomain(message));
      } else if (ack.stream !== orphan.stream || (ack.domain !== undefined && ack.domain !== to.domain)) {
        failures.push(
          `${orphan.name} #${message.orphanSequence} (id ${message.id}): stored by stream ${ack.stream} in ${ack.domain ?? "no domain"}, not ${orphan.stream} in ${to.domain}; the subject ${message.subject} belongs to another stream there.`,
        );
        sent.push(withoutDomain(message));
      } else sent.push({ ...withoutDomain(message), storedSequence: ack.seq, duplicate: ack.duplicate });
    }
    options.afterBatchAcknowledged?.({ first: sequences[0]!, last: sequences.at(-1)! });
    const checked = await readBack(to, orphan, sent, retention);
    failures.push(...checked.failures);
    messages.push(...checked.messages);
    // The orphan stream records how far every message was verified: a repeat run starts after it.
    const unverified = checked.messages.find((message) => message.verified === undefined);
    const through = unverified ? unverified.orphanSequence - 1 : sequences.at(-1)!;
    if (through > Math.max(resumedAfter, first - 1)) {
      await setMetadata(from.jsm, orphan.name, checkpoint(through, to));
      await appendRecord(to.js, { kind: "batch", at: new Date().toISOString(), orphanStream: orphan.name, through });
    }
  }

  if (failures.length > 0 && !options.dryRun)
    await setMetadata(from.jsm, orphan.name, { [RepublishMetadata.failure]: failures[0]!.slice(0, 1000) }).catch(
      () => undefined,
    );
  const published = messages.length;
  return {
    ...base,
    published,
    stored: messages.filter((message) => message.storedSequence !== undefined && !message.duplicate).length,
    duplicates: messages.filter((message) => message.duplicate === true).length,
    derivedIds: messages.filter((message) => message.idDerived).length,
    verified: messages.filter((message) => message.verified !== undefined).length,
    failures,
    messages: messages.map(({ sha256: _hash, ...message }) => message),
  };
}

/** Deletes the orphan stream when its evidence shows every message verified; returns the evidence as it ends. */
export async function removeVerified(
  from: RegionSide,
  to: ActiveSide,
  evidence: OrphanStreamEvidence,
): Promise<OrphanStreamEvidence> {
  if (evidence.failures.length > 0 || evidence.removed) return evidence;
  await from.jsm.streams.delete(evidence.orphanStream);
  await appendRecord(to.js, {
    kind: "done",
    at: new Date().toISOString(),
    orphanStream: evidence.orphanStream,
    verified: evidence.verified,
  });
  return { ...evidence, removed: true };
}

function withoutDomain(message: OrphanMessage): RepublishedMessage & { sha256: string } {
  const { originalDomain: _domain, ...rest } = message;
  return rest;
}

function checkpoint(through: number, to: ActiveSide): Record<string, string> {
  return {
    [RepublishMetadata.through]: String(through),
    [RepublishMetadata.to]: `${to.domain}`,
    [RepublishMetadata.at]: new Date().toISOString(),
  };
}

async function publishOnce(
  js: JetStreamClient,
  message: OrphanMessage,
  stored: StoredMsg,
  options: RepublishStreamOptions,
): Promise<Pick<PubAck, "stream" | "domain" | "seq" | "duplicate"> | { error: string }> {
  const carried = natsHeaders();
  for (const [key, value] of applicationHeaders(stored.header)) carried.append(key, value);
  let last: unknown;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      // No `expect` option: its headers would be stored with the message.
      return await js.publish(message.subject, stored.data, {
        msgID: message.id,
        headers: carried,
        timeout: options.publishTimeoutMs,
      });
    } catch (error) {
      last = error;
      // A refusal by the stream (limits, discard new) is final; only silence is retried.
      if ((error as { name?: string })?.name !== "TimeoutError") break;
    }
  }
  return { error: String((last as Error)?.message ?? last) };
}

/** Reads every acknowledged message back from the active stream: each message marked verified or not, and what did not match. */
async function readBack(
  to: ActiveSide,
  orphan: OrphanStream,
  sent: readonly (RepublishedMessage & { sha256: string })[],
  retention: string | undefined,
): Promise<{ messages: (RepublishedMessage & { sha256: string })[]; failures: string[] }> {
  const failures: string[] = [];
  const found = await Promise.all(
    sent.map((message) =>
      message.storedSequence === undefined
        ? Promise.resolve(undefined)
        : to.jsm.streams.getMessage(orphan.stream, { seq: message.storedSequence }),
    ),
  );
  const messages = sent.map((message, index) => {
    if (message.storedSequence === undefined) return message;
    const stored = found[index];
    const where = `${orphan.name} #${message.orphanSequence} (id ${message.id}) at ${orphan.stream} #${message.storedSequence}`;
    if (!stored) {
      if (retention !== "limits") return { ...message, verified: "ack-only-removed-by-retention" as const };
      failures.push(`${where}: acknowledged, but not in ${orphan.stream} on read-back; the orphan stream is kept.`);
      return message;
    }
    const id = stored.header?.get("Nats-Msg-Id") ?? "";
    const samePayload = payloadHash(stored.data) === message.sha256;
    if (stored.subject !== message.subject || id !== message.id || !samePayload) {
      failures.push(
        `${where}: read back subject ${stored.subject}, id ${id || "none"}, ${samePayload ? "the same" : "a different"} payload; expected ${message.subject} with id ${message.id}; the orphan stream is kept.`,
      );
      return message;
    }
    return { ...message, verified: "read-back" as const };
  });
  return { messages, failures };
}

/** Read-merge-write of an orphan stream's metadata. */
async function setMetadata(jsm: JetStreamManager, stream: string, entries: Record<string, string>): Promise<void> {
  const info = await jsm.streams.info(stream);
  await jsm.streams.update(stream, { ...info.config, metadata: { ...(info.config.metadata ?? {}), ...entries } });
}
