// The old primary that came back: shortening the split-brain window after an unplanned failover.
//
// While a region is down its streams cannot be fenced; the unplanned promotion goes ahead without
// it. When the region returns, its streams are still writable primaries, and publishes reach both
// regions across the leafnode: both store them until the returned region's own stack demotes its
// streams. The active region's stack closes that window on its next `pulumi up`: `check` asks the
// peer (briefly, only for a primary promoted from it) whether its copy is a writable primary again
// (the `live` input then says so and the preview shows an update), and the update fences it the
// way a planned promotion does (fencing.ts: subjects replaced by natsdr.fenced.*, consumers
// paused). Nothing of the peer is deleted: what it stored stays there until its own stack's
// demotion keeps it as orphans, as before. A peer that does not answer is left alone.
import type { JetStreamManager, StreamInfo } from "@nats-io/jetstream";
import { describeSilence, isNotFound, isUnreachable, withDeadline, type Session } from "./client";
import { pausePeerConsumers } from "./consumerPositions";
import { fencePeer } from "./fencing";
import { decideFlip, FlipActions, localStream, peerCopy, type PeerStream } from "./flips";
import type { StreamResourceInputs } from "./spec";

/** What the update did about a returned peer primary (the output `lastPeerFence`). */
export interface PeerFenceRecord {
  readonly at: string;
  readonly peerDomain: string;
  /** True when this run fenced the peer's stream; false when it found nothing to fence. */
  readonly fenced: boolean;
  /** What was found, in words (the decision's message, or why the peer was left alone). */
  readonly reason: string;
  /** The peer stream's last sequence once fenced: it stores nothing after it. */
  readonly peerLastSequence?: number;
  /** The peer's durable consumers paused with the fence (they would deliver its split-brain writes). */
  readonly pausedConsumers?: readonly string[];
}

/** How long `check` gives the peer to answer, ms: a preview must not wait long for a dead region. */
export function returnedPeerProbeMs(inputs: Pick<StreamResourceInputs, "failover">): number {
  return Math.min(1000, inputs.failover.peerTimeoutMs);
}

export interface PeerCopy {
  readonly copy: PeerStream;
  /** Set when the peer answered with its stream. */
  readonly info?: StreamInfo;
  readonly jsm?: JetStreamManager;
}

/** One bounded question to the peer domain for its copy of the stream; silence is an answer too. */
export async function askPeerCopy(
  session: Session,
  inputs: StreamResourceInputs,
  timeoutMs: number,
): Promise<PeerCopy> {
  const peerDomain = inputs.peerDomain!;
  const jsm = await session.managerFor(peerDomain, timeoutMs);
  try {
    const info = await withDeadline(jsm.streams.info(inputs.spec.name), timeoutMs + 500, "peer stream info");
    return { copy: peerCopy(info), info, jsm };
  } catch (error) {
    if (isNotFound(error)) return { copy: { kind: "absent" } };
    if (!isUnreachable(error) && !/took longer/.test(String(error))) throw error;
    return {
      copy: {
        kind: "silent",
        reason: `peer domain "${peerDomain}" did not answer within ${timeoutMs} ms (${describeSilence(error)})`,
      },
    };
  }
}

/**
 * Fences the peer's copy when it is a returned writable primary (decided again here from what both
 * servers hold now, not from what `check` saw). Never throws for a peer that went silent since.
 */
export async function fenceReturnedPeer(
  session: Session,
  inputs: StreamResourceInputs,
  local: StreamInfo,
): Promise<PeerFenceRecord> {
  const at = new Date().toISOString();
  const peerDomain = inputs.peerDomain!;
  const peer = await askPeerCopy(session, inputs, inputs.failover.peerTimeoutMs);
  const decision = decideFlip({
    stream: inputs.spec.name,
    domain: inputs.domain,
    peerDomain,
    declared: inputs.role,
    local: localStream(local),
    peer: peer.copy,
  });
  if (decision.action !== FlipActions.fenceReturnedPeer || !peer.info || !peer.jsm) {
    const reason =
      peer.copy.kind === "silent"
        ? `${peer.copy.reason}: not fenced; the next \`pulumi up\` of this stack asks again`
        : `nothing to fence: ${decision.message}`;
    return { at, peerDomain, fenced: false, reason };
  }
  await fencePeer(peer.jsm, peer.info, inputs.domain, peerDomain);
  // Its consumers would go on delivering what it stored in the window; the demotion re-creates
  // them paused anyway, and un-fencing it (reopen.ts) resumes them.
  const paused = await pausePeerConsumers(session, peer.jsm, peerDomain, inputs.spec.name, 0);
  const fenced = await peer.jsm.streams.info(inputs.spec.name);
  return {
    at,
    peerDomain,
    fenced: true,
    reason: decision.message,
    peerLastSequence: fenced.state.last_seq,
    pausedConsumers: paused.map((consumer) => consumer.name),
  };
}
