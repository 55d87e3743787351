// What a stack does when this stream and its peer are not where a finished failover leaves them.
//
// Any order of flips and stack runs can leave a pair of streams in a state the declared roles do
// not describe: a stack that ran only half of a failover, then the other stack with the flag
// flipped back, and so on. Two places need the peer's live state to decide: a primary fenced by
// the peer that this stack declares primary again, and a primary this stack declares a mirror.
// This module is the decision, pure: the provider gathers the facts, asks, and acts; each
// refusal names what it found and the one sequence of stack runs that gets out.
import type { StreamInfo } from "@nats-io/jetstream";
import type { PeerState } from "./promotion";
import type { StreamRole } from "./spec";
import { fenceSubject, MetadataKeys, userMetadata } from "./wire";

/** This stream, as its own server shows it. */
export type LocalStream =
  | { readonly kind: "absent" }
  | { readonly kind: "mirror" }
  | {
      readonly kind: "primary";
      /** The domain whose promotion fenced it (or, after an interrupted demotion, its peer). */
      readonly fencedBy?: string;
      readonly fencedAt?: string;
      readonly lastSeq: number;
      /** `natsdr.promoted-from` / `natsdr.promoted-at`: this stream's own last promotion, if any. */
      readonly promotedFrom?: string;
      readonly promotedAt?: string;
    };

/** The stream of the same name in the peer domain, as far as it answered. */
export type PeerStream =
  | { readonly kind: "silent"; readonly reason: string }
  | { readonly kind: "absent" }
  | { readonly kind: "mirror" }
  | {
      readonly kind: "primary";
      readonly fencedBy?: string;
      /** `natsdr.promoted-from`: the domain its mirror was promoted from, if it was one. */
      readonly promotedFrom?: string;
      readonly promotedAtSeq?: number;
      /** `natsdr.promoted-at`: when that promotion happened (ISO, its region's clock). */
      readonly promotedAt?: string;
      readonly lastSeq: number;
    };

export interface FlipSituation {
  readonly stream: string;
  readonly domain: string;
  readonly peerDomain: string;
  readonly declared: StreamRole;
  readonly local: LocalStream;
  readonly peer: PeerStream;
}

export function localStream(info: StreamInfo | undefined): LocalStream {
  if (!info) return { kind: "absent" };
  if (info.config.mirror) return { kind: "mirror" };
  const metadata = userMetadata(info.config.metadata);
  return {
    kind: "primary",
    lastSeq: info.state.last_seq,
    ...(metadata[MetadataKeys.fencedBy] !== undefined ? { fencedBy: metadata[MetadataKeys.fencedBy] } : {}),
    ...(metadata[MetadataKeys.fencedAt] !== undefined ? { fencedAt: metadata[MetadataKeys.fencedAt] } : {}),
    ...(metadata[MetadataKeys.promotedFrom] !== undefined ? { promotedFrom: metadata[MetadataKeys.promotedFrom] } : {}),
    ...(metadata[MetadataKeys.promotedAt] !== undefined ? { promotedAt: metadata[MetadataKeys.promotedAt] } : {}),
  };
}

export function peerStream(peer: PeerState): PeerStream {
  if (peer.kind === "absent") {
    if (peer.why === "silent") return { kind: "silent", reason: peer.reason };
    return { kind: peer.why === "mirror" ? "mirror" : "absent" };
  }
  return peerCopy(peer.info);
}

/** The peer's answered copy of the stream (a mirror or a primary with what it recorded). */
export function peerCopy(info: StreamInfo): PeerStream {
  if (info.config.mirror) return { kind: "mirror" };
  const metadata = userMetadata(info.config.metadata);
  const promotedAt = metadata[MetadataKeys.promotedAtSequence];
  return {
    kind: "primary",
    lastSeq: info.state.last_seq,
    ...(metadata[MetadataKeys.fencedBy] !== undefined ? { fencedBy: metadata[MetadataKeys.fencedBy] } : {}),
    ...(metadata[MetadataKeys.promotedFrom] !== undefined ? { promotedFrom: metadata[MetadataKeys.promotedFrom] } : {}),
    ...(promotedAt !== undefined ? { promotedAtSeq: Number(promotedAt) } : {}),
    ...(metadata[MetadataKeys.promotedAt] !== undefined ? { promotedAt: metadata[MetadataKeys.promotedAt] } : {}),
  };
}

/** What the server holds when it is not what the state recorded (the `live` input). */
export interface LiveStream {
  readonly role: StreamRole | "absent";
  readonly fencedBy?: string;
  readonly fencedAt?: string;
  /**
   * Set on an unfenced primary this stack declares primary when the peer's copy came back as a
   * writable primary (the old primary of an unplanned failover): the update fences it.
   */
  readonly returnedPeer?: { readonly domain: string; readonly lastSequence: number };
}

/**
 * Pure: the `live` input for a stream the state recorded with `recordedRole`, or undefined when
 * the server holds just that (an unfenced stream of that role).
 */
export function liveDeviation(recordedRole: StreamRole, local: LocalStream): LiveStream | undefined {
  if (local.kind === "absent") return { role: "absent" };
  if (local.kind === "mirror") return recordedRole === "mirror" ? undefined : { role: "mirror" };
  if (recordedRole === "primary" && local.fencedBy === undefined) return undefined;
  return {
    role: "primary",
    ...(local.fencedBy !== undefined ? { fencedBy: local.fencedBy } : {}),
    ...(local.fencedAt !== undefined ? { fencedAt: local.fencedAt } : {}),
  };
}

export const FlipActions = {
  /** Carry on as the declared role asks (the ordinary transitions). */
  proceed: "proceed",
  /** Give this fenced primary its subjects back: nothing else holds the writes. */
  unfence: "unfence",
  /** The peer does not answer: take the writes back here at once and record it as unplanned. */
  takeOverUnplanned: "take-over-unplanned",
  /** The peer took writes since it fenced this stream: become its mirror, catch up, promote (planned). */
  resyncThenPromote: "resync-then-promote",
  /** The peer came back as a writable primary after this stream took over from it: fence it. */
  fenceReturnedPeer: "fence-returned-peer",
  refuse: "refuse",
} as const;
export type FlipAction = (typeof FlipActions)[keyof typeof FlipActions];

export interface FlipDecision {
  readonly action: FlipAction;
  /** For a refusal the whole error text; otherwise the reason recorded in the evidence. */
  readonly message: string;
}

function describeLocal(situation: FlipSituation): string {
  const { stream, domain, local } = situation;
  if (local.kind !== "primary")
    return `stream ${stream} in "${domain}" is ${local.kind === "mirror" ? "a mirror" : "absent"}`;
  if (local.fencedBy === undefined)
    return `stream ${stream} in "${domain}" is a writable primary (last sequence ${local.lastSeq})`;
  return `stream ${stream} in "${domain}" is a primary fenced by "${local.fencedBy}" since ${local.fencedAt ?? "an unknown time"} (it takes no writes; last sequence ${local.lastSeq})`;
}

function describePeer(situation: FlipSituation): string {
  const { stream, peerDomain, peer } = situation;
  switch (peer.kind) {
    case "silent":
      return peer.reason;
    case "absent":
      return `peer domain "${peerDomain}" has no stream ${stream}`;
    case "mirror":
      return `stream ${stream} in "${peerDomain}" is a mirror`;
    case "primary": {
      const fenced = peer.fencedBy !== undefined ? `fenced by "${peer.fencedBy}"` : "writable";
      const origin =
        peer.promotedFrom !== undefined
          ? `promoted from "${peer.promotedFrom}" at sequence ${peer.promotedAtSeq ?? "(not recorded)"}`
          : "never promoted from a mirror";
      return `stream ${stream} in "${peerDomain}" is a primary, ${fenced}, ${origin} (last sequence ${peer.lastSeq})`;
    }
  }
}

/** "pulumi up in the <region> stack with activeRegion <active>". */
function run(stack: string, active: string): string {
  return `\`pulumi up\` in the ${stack} stack with activeRegion "${active}"`;
}

function refuse(situation: FlipSituation, wayOut: string): FlipDecision {
  return {
    action: FlipActions.refuse,
    message: `${describeLocal(situation)}; ${describePeer(situation)}. This stack declares it ${situation.declared}. Nothing was changed. Way out: ${wayOut}`,
  };
}

/** Declared primary, and this stream is a primary fenced by a failover to the peer. */
function fencedPrimaryDeclaredPrimary(situation: FlipSituation): FlipDecision {
  const { domain, peerDomain, peer } = situation;
  const found = `${describeLocal(situation)}; ${describePeer(situation)}`;
  switch (peer.kind) {
    case "mirror":
      return {
        action: FlipActions.unfence,
        message: `${found}: the failover to "${peerDomain}" never finished, so this stream takes its writes back`,
      };
    case "absent":
      return {
        action: FlipActions.unfence,
        message: `${found}: no other copy takes writes, so this stream takes them back`,
      };
    case "silent":
      return {
        action: FlipActions.takeOverUnplanned,
        message: `${found}: taken over unplanned; what "${peerDomain}" stored after it fenced this stream is kept as orphans by its demotion`,
      };
    case "primary":
      if (peer.fencedBy !== undefined) {
        return refuse(
          situation,
          `neither copy takes writes. Compare the two (npm run status); to keep the copy in "${peerDomain}", restore its subjects from its metadata key natsdr.fenced-subjects (\`nats --js-domain ${peerDomain} stream edit\`) and run ${run(domain, domain)} again: this stream then becomes its mirror, catches up and is promoted, nothing lost.`,
        );
      }
      if (peer.promotedFrom !== domain || peer.promotedAtSeq === undefined) {
        return refuse(
          situation,
          `the copy in "${peerDomain}" was not promoted from this one, so no sequence tells which messages this region lacks. Back up both (nats stream backup); keep one by deleting the other (the one in "${peerDomain}": then run ${run(domain, domain)}, which takes the writes back here; the one here: then run ${run(domain, peerDomain)}, which makes it a mirror).`,
        );
      }
      return {
        action: FlipActions.resyncThenPromote,
        message: `${found}: "${peerDomain}" took writes since it fenced this stream, so this stream becomes its mirror (keeping any messages "${peerDomain}" lacks as orphans), catches up and is promoted with the peer fenced`,
      };
  }
}

/** Declared mirror, and this stream is a primary (writable or fenced). */
function primaryDeclaredMirror(situation: FlipSituation): FlipDecision {
  const { domain, peerDomain, peer } = situation;
  switch (peer.kind) {
    case "silent":
      return refuse(
        situation,
        `a stream becomes a mirror only when the new primary answers, so the messages "${peerDomain}" lacks can be compared and kept. Run ${run(domain, peerDomain)} again once "${peerDomain}" answers across the leafnode.`,
      );
    case "absent":
      return refuse(
        situation,
        `this stream still holds the only copy. Set activeRegion to "${domain}" and run \`pulumi up\` in the ${peerDomain} stack (it creates the mirror of this stream); then set activeRegion to "${peerDomain}" and run the ${peerDomain} stack (it promotes the mirror), then this stack.`,
      );
    case "mirror":
      return refuse(
        situation,
        `"${peerDomain}" has not been promoted yet. Run ${run(peerDomain, peerDomain)} first (it promotes its mirror and fences this stream), then this stack again.`,
      );
    case "primary":
      if (peer.fencedBy === domain) {
        return refuse(
          situation,
          `the copy in "${peerDomain}" is the old primary this region fenced when it took over, and it lacks this stream's later messages; making this stream its mirror would leave them only as orphans. Run ${run(peerDomain, peerDomain)}: it makes its copy a mirror of this one, catches up and promotes it, fencing this stream. Then run ${run(domain, peerDomain)} again: this stream becomes a mirror, nothing lost.`,
        );
      }
      if (peer.fencedBy !== undefined || peer.promotedFrom !== domain || peer.promotedAtSeq === undefined) {
        return refuse(
          situation,
          `the copy in "${peerDomain}" was not promoted from this one, so the messages it lacks cannot be told apart. Promote it with nats-dr: run ${run(peerDomain, peerDomain)} first, then this stack.`,
        );
      }
      return { action: FlipActions.proceed, message: `${describePeer(situation)}: this stream becomes its mirror` };
  }
}

/**
 * Pure: whether this stream could have a returned old primary as its peer, i.e. the peer is worth
 * asking: an unfenced primary, declared primary, promoted from the peer domain.
 */
export function mayFaceReturnedPeer(declared: StreamRole, local: LocalStream, peerDomain: string): boolean {
  return (
    declared === "primary" &&
    local.kind === "primary" &&
    local.fencedBy === undefined &&
    local.promotedFrom === peerDomain
  );
}

/**
 * Declared primary, an unfenced primary promoted from the peer, and the peer's copy is a writable
 * primary too: the old primary came back (its region was down during an unplanned failover) and
 * stores what is published, as this one does. Fenced unless the peer took over from this stream
 * after this stream's own promotion (then the two stacks disagree on activeRegion; nothing is
 * changed here and the peer's stack decides).
 */
function returnedPeer(situation: FlipSituation): FlipDecision | undefined {
  const { declared, local, peer, domain, peerDomain, stream } = situation;
  if (!mayFaceReturnedPeer(declared, local, peerDomain) || local.kind !== "primary") return undefined;
  if (peer.kind !== "primary" || peer.fencedBy !== undefined) return undefined;
  if (
    peer.promotedFrom === domain &&
    !(peer.promotedAt !== undefined && local.promotedAt !== undefined && peer.promotedAt < local.promotedAt)
  )
    return undefined;
  return {
    action: FlipActions.fenceReturnedPeer,
    message: `peer returned as primary: will fence. ${describePeer(situation)}, but this stream took over from it (promoted from "${peerDomain}" at ${local.promotedAt ?? "an unknown time"}), so both store what is published. \`pulumi up\` fences it (its subjects replaced by ${fenceSubject(peerDomain, stream)}, its consumers paused): it stores no further writes and deletes nothing; \`pulumi up\` in the ${peerDomain} stack then makes it a mirror, keeping what it stored as orphans`,
  };
}

/** Pure: what the provider does for this combination of declared role and live states. */
export function decideFlip(situation: FlipSituation): FlipDecision {
  const { declared, local } = situation;
  if (local.kind === "primary" && declared === "primary" && local.fencedBy !== undefined) {
    return fencedPrimaryDeclaredPrimary(situation);
  }
  const returned = returnedPeer(situation);
  if (returned !== undefined) return returned;
  if (local.kind === "primary" && declared === "mirror") return primaryDeclaredMirror(situation);
  return { action: FlipActions.proceed, message: describeLocal(situation) };
}
