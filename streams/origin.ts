// The origin identity a mirror records when it is created, and the guard against re-creating a
// primary underneath a mirror that still holds the old primary's messages.
//
// A stream deleted and re-created starts again at sequence 1. Its mirror in the other region
// keeps the old messages, asks the new stream for the sequences after its own last one, and so
// copies nothing below them while it reports lag 0 (issue 15, items 6 and 7). Both the demotion
// (demotion.ts) and a check of the mirror need to know which origin a mirror copied: the
// `created` time of the origin, recorded on the mirror while it is still empty.
import type { JetStreamManager, StreamInfo } from "@nats-io/jetstream";
import { isNotFound, isUnreachable, withDeadline, type Session } from "./client";
import { compareHistories, type HistoryCheck } from "./history";
import type { StreamResourceInputs } from "./spec";
import { domainApiPrefix, MetadataKeys, userMetadata } from "./wire";

/** The peer's copy of the stream, asked once; undefined when it has none or does not answer. */
async function peerStream(
  session: Session,
  inputs: StreamResourceInputs,
  timeoutMs = Math.min(inputs.connection.requestTimeoutMs, inputs.failover.peerTimeoutMs),
): Promise<{ jsm: JetStreamManager; info: StreamInfo } | undefined> {
  if (!inputs.peerDomain) return undefined;
  const jsm = await session.managerFor(inputs.peerDomain, timeoutMs);
  try {
    return { jsm, info: await withDeadline(jsm.streams.info(inputs.spec.name), timeoutMs + 500, "peer stream info") };
  } catch (error) {
    // Unreachable or absent: nothing to record or to protect. A stack must be able to create its
    // streams while the other region is down (principle 1).
    if (isNotFound(error) || isUnreachable(error) || /took longer/.test(String(error))) return undefined;
    throw error;
  }
}

/** Metadata for a new, empty mirror: its origin's `created` time, when the origin answers. */
export async function originIdentity(session: Session, inputs: StreamResourceInputs): Promise<Record<string, string>> {
  const origin = (await peerStream(session, inputs))?.info;
  if (!origin || origin.config.mirror) return {};
  return { [MetadataKeys.originCreated]: origin.created };
}

/**
 * Does this mirror hold its origin's history? Compares the origin's created time with the one the
 * mirror recorded, and the messages both hold at or below the mirror's last sequence. Undefined
 * when there is nothing to tell: the origin does not answer within `timeoutMs`, is no primary,
 * or the mirror never stored anything (it copies the origin from its start, whichever it is).
 */
export async function checkMirrorOrigin(
  session: Session,
  inputs: StreamResourceInputs,
  mirror: StreamInfo,
  timeoutMs?: number,
): Promise<HistoryCheck | undefined> {
  if (mirror.state.last_seq === 0) return undefined;
  const origin = await peerStream(session, inputs, timeoutMs);
  if (!origin || origin.info.config.mirror) return undefined;
  return compareHistories(
    { jsm: origin.jsm, domain: inputs.peerDomain!, info: origin.info },
    { jsm: session.jsm, domain: inputs.domain, info: mirror },
    mirror.state.last_seq,
    userMetadata(mirror.config.metadata)[MetadataKeys.originCreated],
  );
}

/**
 * The identity to record on a mirror that has none yet (made before its origin existed, or by an
 * older nats-dr): its origin's created time, when the mirror is empty or provably holds the
 * origin's own messages. Nothing otherwise, and nothing when it has one.
 */
export async function provenOriginIdentity(
  session: Session,
  inputs: StreamResourceInputs,
  mirror: StreamInfo,
): Promise<Record<string, string>> {
  if (userMetadata(mirror.config.metadata)[MetadataKeys.originCreated] !== undefined) return {};
  // Best effort: a failover or an update must never fail for want of this evidence.
  try {
    if (mirror.state.last_seq === 0) return await originIdentity(session, inputs);
    const check = await checkMirrorOrigin(session, inputs, mirror);
    return check?.verdict === "same" ? { [MetadataKeys.originCreated]: check.sourceCreated } : {};
  } catch {
    return {};
  }
}

/**
 * Before an empty primary is created: if the peer holds a mirror of this stream with messages,
 * this stream was deleted after the mirror copied it. An empty primary would start again at
 * sequence 1 below the mirror's history, the mirror would copy nothing of it, and a later
 * failover would promote the old messages. Refuse unless the operator opted in.
 */
export async function refuseRecreateOverMirror(session: Session, inputs: StreamResourceInputs): Promise<void> {
  if (inputs.role !== "primary" || inputs.allowRecreateOverMirror === true) return;
  const peer = (await peerStream(session, inputs))?.info;
  const mirror = peer?.config.mirror;
  if (!peer || !mirror || mirror.name !== inputs.spec.name) return;
  if (mirror.external?.api !== undefined && mirror.external.api !== domainApiPrefix(inputs.domain)) return;
  if (peer.state.messages === 0) return;
  const name = inputs.spec.name;
  const peerDomain = inputs.peerDomain!;
  throw new Error(
    `refusing to create stream ${name} in domain "${inputs.domain}": it does not exist here, but the mirror of it in "${peerDomain}" holds ${peer.state.messages} messages (sequences ${peer.state.first_seq}-${peer.state.last_seq}, the last stored ${peer.state.last_ts}) of an earlier ${name} in "${inputs.domain}" that was deleted. A new, empty ${name} would start again at sequence 1 below that history: the mirror would copy none of its messages up to sequence ${peer.state.last_seq} while reporting no lag, and those ${peer.state.messages} messages would exist only in "${peerDomain}". Nothing was changed. To keep them, make "${peerDomain}" active (set nats-dr:activeRegion to "${peerDomain}" and run its stack: the mirror is promoted; then run this stack, which makes ${name} here a mirror of it), or restore ${name} here from a backup (nats stream restore) and run pulumi up again. To create ${name} empty anyway, add it to nats-dr:allowRecreateOverMirror (pulumi config set --path 'nats-dr:allowRecreateOverMirror[0]' ${name}) and run pulumi up again; the mirror in "${peerDomain}" then holds another stream's history until it is re-created, and a later demotion of ${name} here keeps all its messages aside.`,
  );
}
