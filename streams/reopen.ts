// The live state a stack acts on after any order of flips (the decision is flips.ts).
//
// `check` looks at this stream on its own server, so a plain `pulumi up` sees a stream that a
// failover to the peer fenced (or that is gone, or has another role) although the state does
// not: the resource's `live` input then says what the server holds, and the diff plans for that.
// A primary promoted from the peer also asks the peer briefly whether its old primary came back
// writable (returnedPeer.ts): then `live` says so and the update fences it.
// A primary fenced by the peer that this stack declares primary again is re-opened here as the
// peer's live state demands: un-fenced, taken over unplanned, or re-synced from the peer first.
import type { StreamInfo } from "@nats-io/jetstream";
import { isNotFound, openSession, type Session } from "./client";
import { resumeFencePausedConsumers } from "./consumerPositions";
import { demoteToMirror } from "./demotion";
import { unfencePeer } from "./fencing";
import {
  decideFlip,
  FlipActions,
  liveDeviation,
  localStream,
  mayFaceReturnedPeer,
  peerStream,
  type LiveStream,
} from "./flips";
import { askPeerCopy, returnedPeerProbeMs } from "./returnedPeer";
import { findPeerPrimary, promoteMirror } from "./promotion";
import type { CredentialsSpec, DemotionRecord, PromotionRecord, StreamResourceInputs, StreamRole } from "./spec";
import { fenceSubject, MetadataKeys, userMetadata } from "./wire";

export type { LiveStream } from "./flips";

/**
 * For `check`: how the server's stream deviates from the recorded role. Undefined also when the
 * server cannot be asked (a preview without network access still works; an update then fails
 * with the connection error).
 */
export async function observeLive(
  inputs: StreamResourceInputs & { credentials?: CredentialsSpec },
  recordedRole: StreamRole,
): Promise<LiveStream | undefined> {
  const session = await openSession(inputs.connection, inputs.credentials, inputs.domain).catch(() => undefined);
  if (!session) return undefined;
  try {
    const info = await session.jsm.streams.info(inputs.spec.name).then(
      (found) => found as StreamInfo | undefined,
      (error: unknown) => {
        if (isNotFound(error)) return undefined;
        throw error;
      },
    );
    const local = localStream(info);
    const deviation = liveDeviation(recordedRole, local);
    if (deviation !== undefined || !mayFaceReturnedPeer(inputs.role, local, inputs.peerDomain ?? "")) return deviation;
    const peer = await askPeerCopy(session, inputs, returnedPeerProbeMs(inputs));
    const decision = decideFlip({
      stream: inputs.spec.name,
      domain: inputs.domain,
      peerDomain: inputs.peerDomain!,
      declared: inputs.role,
      local,
      peer: peer.copy,
    });
    if (decision.action !== FlipActions.fenceReturnedPeer || peer.copy.kind !== "primary") return undefined;
    return { role: "primary", returnedPeer: { domain: inputs.peerDomain!, lastSequence: peer.copy.lastSeq } };
  } catch {
    return undefined;
  } finally {
    await session.close();
  }
}

export interface ReopenOutcome {
  /** The stream as it is now, when the caller should go on applying its configuration. */
  readonly info?: StreamInfo;
  readonly promotion?: PromotionRecord;
  readonly demotion?: DemotionRecord;
}

/**
 * A primary fenced by the peer, declared primary by this stack: re-open it as the peer's live
 * state demands, or refuse with the state found and the way out.
 */
export async function reopenFencedPrimary(
  session: Session,
  inputs: StreamResourceInputs,
  instance: string,
  existing: StreamInfo,
): Promise<ReopenOutcome> {
  const started = Date.now();
  const peer = await findPeerPrimary(session, inputs);
  const decision = decideFlip({
    stream: inputs.spec.name,
    domain: inputs.domain,
    peerDomain: inputs.peerDomain!,
    declared: inputs.role,
    local: localStream(existing),
    peer: peerStream(peer),
  });
  switch (decision.action) {
    case FlipActions.refuse:
      throw new Error(decision.message);
    case FlipActions.resyncThenPromote: {
      // The peer holds messages this stream lacks; the two halves of a failover in one run.
      const demotion = await demoteToMirror(session, { ...inputs, role: "mirror" }, instance, existing);
      const promotion = await promoteMirror(session, inputs, instance);
      return { demotion, promotion: { ...promotion, reason: `${decision.message}; ${promotion.reason}` } };
    }
    case FlipActions.unfence:
      return { info: await reopen(session, inputs.domain, inputs.spec.name, {}) };
    case FlipActions.takeOverUnplanned: {
      const at = new Date().toISOString();
      const last = existing.state;
      // Recorded as a promotion from the peer at this stream's last sequence: the peer's later
      // demotion keeps what it stored after that point as orphans.
      const info = await reopen(session, inputs.domain, inputs.spec.name, {
        [MetadataKeys.promotedAtSequence]: String(last.last_seq),
        [MetadataKeys.promotedAt]: at,
        [MetadataKeys.promotedFrom]: inputs.peerDomain!,
        [MetadataKeys.promotionMode]: "unplanned",
      });
      const promotion: PromotionRecord = {
        mode: "unplanned",
        at,
        reason: decision.message,
        fromDomain: inputs.peerDomain!,
        lastMirroredSequence: last.last_seq,
        lastMirroredAt: last.last_ts ?? "",
        waitedForCatchupMs: Date.now() - started,
        consumersPositioned: {},
      };
      return { info, promotion };
    }
    // fenceReturnedPeer is never decided for a fenced stream (only for an unfenced one).
    case FlipActions.proceed:
    case FlipActions.fenceReturnedPeer:
      return { info: existing };
  }
}

/**
 * Un-fences this stream (its recorded subjects back), resumes the consumers the peer's promotion
 * paused, and removes the fence markers on its fence subject (nats-dr's own messages, never an application's).
 */
async function reopen(
  session: Session,
  domain: string,
  name: string,
  metadata: Record<string, string>,
): Promise<StreamInfo> {
  await unfencePeer(session.jsm, name);
  const current = await session.jsm.streams.info(name);
  // With deny_delete set the markers stay; consumers that filter on application subjects never
  // see them.
  while (!current.config.deny_delete) {
    const marker = await session.jsm.streams.getMessage(name, { last_by_subj: fenceSubject(domain, name) });
    if (!marker) break;
    await session.jsm.streams.deleteMessage(name, marker.seq, false);
  }
  if (Object.keys(metadata).length > 0) {
    await session.jsm.streams.update(name, {
      metadata: { ...userMetadata(current.config.metadata), ...metadata },
    });
  }
  await resumeFencePausedConsumers(session.jsm, name);
  return session.jsm.streams.info(name);
}
