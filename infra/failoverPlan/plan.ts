// The failover plan: for each replicated stream whose role this run changes, what `pulumi up` will
// do and what to expect of it, from what both regions answered. Pure: the planned streams and the
// observation in, one entry per changing stream out; streams that keep their role give none, so a
// preview without a flip prints nothing; except a primary whose old primary came back writable
// after an unplanned failover: `pulumi up` fences it ("fence-peer", see streams/returnedPeer.ts).
import type { ConsumerInfo, StreamInfo } from "@nats-io/jetstream";
import { decideFlip, FlipActions, localStream, peerCopy, type PeerStream } from "../../streams/flips";
import { orphanStreamName } from "../../streams/orphans";
import { isMirrorFeed, MetadataKeys, userMetadata } from "../../streams/wire";
import type { PlannedStream } from "../streams/plan";
import type { CopyAnswer, Observation, PeerAnswer } from "./observe";

export const PlanChanges = {
  /** A mirror becomes the primary. */
  promote: "promote",
  /** A primary becomes a mirror of the peer, its unreplicated messages kept as orphans. */
  demote: "demote",
  /** A primary fenced by the peer takes its writes back (the failover to the peer never finished, or the peer is silent). */
  takeBack: "take-back",
  /** A fenced primary becomes the peer's mirror, catches up and is promoted again. */
  resyncThenPromote: "resync-then-promote",
  /** This primary's old primary in the peer came back writable: `pulumi up` fences it. */
  fencePeer: "fence-peer",
  /** `pulumi up` will refuse this stream and change nothing. */
  refuse: "refuse",
} as const;
export type PlanChange = (typeof PlanChanges)[keyof typeof PlanChanges];

export interface PlannedConsumerPosition {
  readonly name: string;
  /** Stream sequence of the consumer's ack floor where its position comes from. */
  readonly ackFloor: number;
}

export interface PlanEntry {
  readonly stream: string;
  readonly change: PlanChange;
  readonly mode: "planned" | "unplanned" | "none";
  /** Why this mode, or the refusal. */
  readonly why: string;
  /** This region's copy: its last sequence, and as a mirror its lag and last contact. */
  readonly localLastSequence: number;
  readonly mirrorLag?: { readonly messages: number; readonly lastContactMs: number | null };
  readonly peerLastSequence?: number;
  /** The durable consumers and the positions the promotion starts them from. */
  readonly consumers?: { readonly from: "peer" | "local"; readonly positions: readonly PlannedConsumerPosition[] };
  /** Messages of this primary beyond the new primary, kept as orphans by a demotion. */
  readonly orphansExpected?: { readonly messages: number; readonly stream: string };
  /** Why this mirror does not copy its origin (then it must not be promoted before a repair). */
  readonly brokenMirror?: string;
  /** The recovery point to expect. */
  readonly rpo: string;
}

export interface FailoverPlan {
  readonly region: string;
  readonly peerRegion: string;
  /** When the regions answered (this region's server clock). */
  readonly observedAt?: string;
  /** Set when the plan could not be made (this region did not answer from here). */
  readonly unavailable?: string;
  readonly streams: readonly PlanEntry[];
}

export interface PlanContext {
  readonly region: string;
  readonly peerRegion: string;
  readonly peerDomain: string;
  readonly domain: string;
  readonly peerTimeoutMs: number;
  readonly peerSettleMs: number;
}

function durableConsumers(consumers: readonly ConsumerInfo[]): PlannedConsumerPosition[] {
  return consumers
    .filter((consumer) => !isMirrorFeed(consumer.config))
    .map((consumer) => ({ name: consumer.name, ackFloor: consumer.ack_floor.stream_seq }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function peerCopyOf(peer: PeerAnswer, stream: string): { copy: PeerStream; answer?: CopyAnswer } {
  if (peer.kind === "silent") return { copy: { kind: "silent", reason: peer.reason } };
  const answer = peer.streams[stream] ?? { kind: "absent" };
  return { copy: answer.kind === "absent" ? { kind: "absent" } : peerCopy(answer.info), answer };
}

function mirrorLag(info: StreamInfo): PlanEntry["mirrorLag"] {
  const active = info.mirror?.active;
  return {
    messages: info.mirror?.lag ?? 0,
    lastContactMs: active === undefined || active < 0 ? null : Math.round(active / 1e6),
  };
}

function brokenMirror(local: StreamInfo, peerAnswer: CopyAnswer | undefined, peerRegion: string): string | undefined {
  if (peerAnswer?.kind !== "stream" || peerAnswer.info.config.mirror) return undefined;
  const recorded = userMetadata(local.config.metadata)[MetadataKeys.originCreated];
  if (recorded === undefined || recorded === peerAnswer.info.created) return undefined;
  return `this mirror copied the stream created ${recorded}, but the one in ${peerRegion} was created ${peerAnswer.info.created}: it holds another history`;
}

function contactText(lag: PlanEntry["mirrorLag"]): string {
  if (lag?.lastContactMs === null || lag === undefined) return "no contact recorded";
  return `last contact ${lag.lastContactMs} ms ago`;
}

function promotion(
  planned: PlannedStream,
  local: StreamInfo,
  peer: PeerAnswer,
  context: PlanContext,
  localConsumers: readonly ConsumerInfo[],
): PlanEntry {
  const { copy, answer } = peerCopyOf(peer, planned.name);
  const lag = mirrorLag(local);
  const base: Pick<PlanEntry, "stream" | "localLastSequence"> & { mirrorLag: PlanEntry["mirrorLag"] } = {
    stream: planned.name,
    localLastSequence: local.state.last_seq,
    mirrorLag: lag,
  };
  const broken = brokenMirror(local, answer, context.peerRegion);
  if (copy.kind === "primary" && answer?.kind === "stream") {
    // The peer answered with its last sequence: the lag is what this mirror lacks of it now (the
    // server's own figure is as of the mirror's last contact).
    base.mirrorLag = { ...lag!, messages: Math.max(0, copy.lastSeq - local.state.last_seq) };
    if (broken !== undefined)
      return {
        ...base,
        change: PlanChanges.refuse,
        mode: "planned",
        why: `${broken}. pulumi up would refuse at the marker check and un-fence the peer; repair the mirror first with \`pulumi up --refresh\` in the ${context.region} stack`,
        peerLastSequence: copy.lastSeq,
        brokenMirror: broken,
        rpo: "no change",
      };
    return {
      ...base,
      change: PlanChanges.promote,
      mode: "planned",
      why: `peer ${context.peerRegion} answers: pulumi up fences its primary (sequence ${copy.lastSeq} now), waits until this mirror holds its last message, then promotes`,
      peerLastSequence: copy.lastSeq,
      consumers: { from: "peer", positions: durableConsumers(answer.consumers) },
      rpo: "0: every message the peer acknowledged is here before writes move",
    };
  }
  const why =
    copy.kind === "silent"
      ? `${copy.reason}; pulumi up asks it for ${context.peerTimeoutMs} ms (up to ${context.peerSettleMs} ms when its API is there but silent), then promotes this mirror as it is`
      : copy.kind === "mirror"
        ? `the copy in ${context.peerRegion} is a mirror too: no region takes writes, so this mirror is promoted as it is`
        : `${context.peerRegion} has no stream ${planned.name} (its origin is gone), so this mirror is promoted as it is`;
  return {
    ...base,
    change: PlanChanges.promote,
    mode: "unplanned",
    why,
    ...(broken === undefined ? {} : { brokenMirror: broken }),
    consumers: { from: "local", positions: durableConsumers(localConsumers) },
    rpo:
      `what ${context.peerRegion} stored after this mirror's last message (sequence ${local.state.last_seq}; ` +
      `${lag!.messages} behind at its ${contactText(lag)}); the old primary keeps it as orphans when its stack runs`,
  };
}

function flip(
  planned: PlannedStream,
  local: StreamInfo,
  peer: PeerAnswer,
  context: PlanContext,
): PlanEntry | undefined {
  const { copy } = peerCopyOf(peer, planned.name);
  const decision = decideFlip({
    stream: planned.name,
    domain: context.domain,
    peerDomain: context.peerDomain,
    declared: planned.role,
    local: localStream(local),
    peer: copy,
  });
  const base = {
    stream: planned.name,
    localLastSequence: local.state.last_seq,
    ...(copy.kind === "primary" ? { peerLastSequence: copy.lastSeq } : {}),
  };
  switch (decision.action) {
    case FlipActions.refuse:
      return { ...base, change: PlanChanges.refuse, mode: "none", why: decision.message, rpo: "no change" };
    case FlipActions.unfence:
      return { ...base, change: PlanChanges.takeBack, mode: "planned", why: decision.message, rpo: "0" };
    case FlipActions.takeOverUnplanned:
      return {
        ...base,
        change: PlanChanges.takeBack,
        mode: "unplanned",
        why: decision.message,
        rpo: "what the peer stored since it fenced this stream, kept there as orphans",
      };
    case FlipActions.resyncThenPromote:
      return { ...base, change: PlanChanges.resyncThenPromote, mode: "planned", why: decision.message, rpo: "0" };
    case FlipActions.fenceReturnedPeer:
      return {
        ...base,
        change: PlanChanges.fencePeer,
        mode: "none",
        why: decision.message,
        rpo: "0: the peer's messages stay there; what it stored since it returned is among its orphans",
      };
    case FlipActions.proceed: {
      if (planned.role !== "mirror") return undefined;
      const promotedAt = copy.kind === "primary" ? copy.promotedAtSeq : undefined;
      const orphans =
        promotedAt === undefined
          ? {}
          : {
              orphansExpected: {
                messages: Math.max(0, local.state.last_seq - promotedAt),
                stream: orphanStreamName(planned.name, promotedAt),
              },
            };
      return {
        ...base,
        change: PlanChanges.demote,
        mode: "none",
        why: `${decision.message}; its messages beyond the peer's promotion point are kept first`,
        ...orphans,
        rpo: "0: nothing is deleted before it is kept",
      };
    }
  }
}

/** The plan for the streams this region declares; only replicated streams whose role changes get an entry. */
export function failoverPlan(
  planned: readonly PlannedStream[],
  observation: Observation,
  context: PlanContext,
): FailoverPlan {
  const head = { region: context.region, peerRegion: context.peerRegion };
  if (observation.kind === "unreachable")
    return {
      ...head,
      unavailable:
        `the servers of ${context.region} did not answer from here (${observation.reason}), so the plan cannot ` +
        `tell whether any stream's role changes; pulumi up needs them too: run it where they can be reached`,
      streams: [],
    };
  const entries: PlanEntry[] = [];
  for (const stream of planned) {
    if (!stream.replicated) continue;
    const local = observation.local[stream.name];
    if (local === undefined || local.kind === "absent") continue;
    const isMirror = local.info.config.mirror !== undefined;
    if (isMirror && stream.role === "primary")
      entries.push(promotion(stream, local.info, observation.peer, context, local.consumers));
    if (!isMirror) {
      const entry = flip(stream, local.info, observation.peer, context);
      if (entry !== undefined) entries.push(entry);
    }
  }
  return { ...head, observedAt: observation.at, streams: entries };
}

function positionsText(entry: PlanEntry): string {
  if (entry.consumers === undefined) return "";
  const list = entry.consumers.positions.map((position) => `${position.name} (ack floor ${position.ackFloor})`);
  if (list.length === 0) return "; no durable consumers to carry";
  return entry.consumers.from === "peer"
    ? `; consumers carried from the peer: ${list.join(", ")}`
    : `; consumers start from this region's positions: ${list.join(", ")}`;
}

/** One line per entry, for Pulumi's log; stable for the same answers (no times, sorted streams). */
export function planLines(plan: FailoverPlan): string[] {
  if (plan.unavailable !== undefined) return [`failover plan for ${plan.region}: ${plan.unavailable}.`];
  return plan.streams.map((entry) => {
    const mode = entry.mode === "none" ? entry.change : `${entry.change} (${entry.mode})`;
    const lag =
      entry.mirrorLag === undefined
        ? ""
        : `; this mirror is at sequence ${entry.localLastSequence}, ${entry.mirrorLag.messages} behind`;
    const orphans =
      entry.orphansExpected === undefined
        ? ""
        : `; orphans expected: ${entry.orphansExpected.messages} (into ${entry.orphansExpected.stream})`;
    return `failover plan for ${plan.region}: ${entry.stream}: ${mode}: ${entry.why}${lag}${positionsText(entry)}${orphans}; RPO ${entry.rpo}.`;
  });
}
