// Mirror -> primary: the failover, done in place so messages, sequences and consumers stay.
//
// Planned (the peer answers within failover.peerTimeoutMs): fence the peer primary so it stops
// capturing application subjects, pause its consumers and let in-flight acks land, publish a
// marker through the fence and wait until this mirror holds it (so it holds everything the peer
// stored before), carry the consumers' positions over, promote. Nothing the peer acknowledged to
// a publisher is left behind. Any failure after the fence un-fences the peer again.
// Unplanned (the peer does not answer): promote at once and record the last mirrored message,
// the RPO evidence. This path never needs the other region.
import type { JetStreamManager, StreamInfo } from "@nats-io/jetstream";
import {
  ApiErrorCodes,
  apiErrorCode,
  describeSilence,
  isNoResponders,
  isNotFound,
  isTemporarilyUnavailable,
  isUnreachable,
  sleep,
  withDeadline,
  type Session,
} from "./client";
import {
  carryConsumerPositions,
  pausePeerConsumers,
  resumeMirrorPausedConsumers,
  resumePeerConsumers,
  stuckConsumersNote,
  unplannedConsumerPositions,
  type PausedConsumer,
} from "./consumerPositions";
import { unfencePeer, fencePeer, publishFenceMarker, waitForMarker } from "./fencing";
import type { PromotionRecord, StreamResourceInputs } from "./spec";
import { provenOriginIdentity } from "./origin";
import { MetadataKeys, streamWireConfig, userMetadata } from "./wire";
import {
  forgetSilence,
  peerKey,
  recentSilence,
  recordSilence,
  sharedProbe,
  silenceFresh,
  SILENCE_PROBE_MS,
  useSilence,
  type Silence,
  type SilenceKind,
} from "./peerJudgement";
import { notePhase, timedPhase, type PhaseWhere } from "./phaseLog";
import { hedged } from "./hedge";
import { MIRROR_NUDGE_EVERY_MS, mirrorStalled, stepDownMirror } from "./mirrorNudge";

export type PeerState =
  | { readonly kind: "primary"; readonly jsm: JetStreamManager; readonly info: StreamInfo }
  | {
      readonly kind: "absent";
      /** silent: nobody answered in time; missing: no such stream; mirror: the peer's copy is a mirror. */
      readonly why: "silent" | "missing" | "mirror";
      readonly reason: string;
    };

/**
 * Asks the peer domain for its copy of the stream, retrying: one lost request must not turn a
 * planned failover (fence first) into an unplanned one. When nobody serves the peer's API (the
 * link is down) it asks for `peerTimeoutMs`; when the API is there but does not answer (e.g. a
 * leader election after one of its servers died) it keeps asking for `peerSettleMs`, because
 * promoting past a live primary would make two. Once a stream of this run found the peer silent,
 * the others rely on a recent observation of that silence or probe it briefly (peerJudgement.ts):
 * the wait is paid once per run, not per stream.
 */
export async function findPeerPrimary(session: Session, inputs: StreamResourceInputs): Promise<PeerState> {
  const key = peerKey(inputs.connection.servers, inputs.peerDomain!);
  const silence = recentSilence(key);
  if (silence) {
    const shared = await sharedSilence(session, inputs, key, silence);
    if (shared) return shared;
  }
  const asked = await askPeer(session, inputs, undefined);
  if (asked.state.kind === "absent" && asked.state.why === "silent" && asked.silence !== undefined) {
    recordSilence(key, asked.state.reason, asked.silence);
  } else {
    forgetSilence(key);
  }
  return asked.state;
}

/**
 * The run's silent verdict for this stream, when a recent observation bears it out; undefined
 * when the stream must be judged in full (the peer answers again, or is silent in another way).
 */
async function sharedSilence(
  session: Session,
  inputs: StreamResourceInputs,
  key: string,
  silence: Silence,
): Promise<PeerState | undefined> {
  const judged = (observed: string): PeerState => ({
    kind: "absent",
    why: "silent",
    reason: `${silence.reason}; judged once for this run, and ${observed}`,
  });
  const now = Date.now();
  if (silenceFresh(silence, now)) {
    useSilence(key, now);
    return judged(`a probe of the peer that ended ${now - silence.seenAt} ms before got no answer either`);
  }
  const { result: probe, joined } = await sharedProbe(key, () =>
    askPeer(session, inputs, {
      timeoutMs: SILENCE_PROBE_MS,
      settleMs: SILENCE_PROBE_MS,
      // After a full wait found nobody serving the peer's API, one more "no responders" now is
      // the same silence, observed at this moment: waiting out the probe would only add time.
      // A timeout gives no such answer, so a silent-but-there API is still probed the full time.
      endOnNoResponders: silence.kind === "no-responders",
    }),
  );
  const silent = probe.state.kind === "absent" && probe.state.why === "silent";
  if (silent && probe.silence === silence.kind) {
    recordSilence(key, silence.reason, silence.kind);
    return judged(
      `this stream's probe (at most ${SILENCE_PROBE_MS} ms${joined ? ", shared with streams started with it" : ""}) got no answer either`,
    );
  }
  if (!silent) {
    forgetSilence(key);
    // Another stream's answer is about that stream: this one asks for its own copy.
    if (!joined) return probe.state;
  }
  return undefined;
}

async function askPeer(
  session: Session,
  inputs: StreamResourceInputs,
  bounds: { readonly timeoutMs: number; readonly settleMs: number; readonly endOnNoResponders: boolean } | undefined,
): Promise<{ readonly state: PeerState; readonly silence?: SilenceKind }> {
  const peerDomain = inputs.peerDomain!;
  const { peerTimeoutMs, peerSettleMs } = bounds
    ? { peerTimeoutMs: bounds.timeoutMs, peerSettleMs: bounds.settleMs }
    : inputs.failover;
  const started = Date.now();
  let deadline = started + peerTimeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const attemptAt = Date.now();
    const attemptMs = Math.max(200, Math.min(inputs.connection.requestTimeoutMs, deadline - Date.now()));
    const jsm = await session.managerFor(peerDomain, attemptMs);
    try {
      // Asked again every 500 ms while unanswered: a request the peer's stream got while it had no
      // leader is dropped, and the leader may be there long before that request's timeout.
      const info = await hedged(
        () => withDeadline(jsm.streams.info(inputs.spec.name), attemptMs + 500, "peer stream info"),
        attemptMs,
      );
      if (info.config.mirror) {
        return {
          state: {
            kind: "absent",
            why: "mirror",
            reason: `the stream in peer domain "${peerDomain}" is itself a mirror, so there is no primary to fence`,
          },
        };
      }
      return {
        state: { kind: "primary", jsm: await session.managerFor(peerDomain, inputs.connection.requestTimeoutMs), info },
      };
    } catch (error) {
      if (isNotFound(error))
        return {
          state: {
            kind: "absent",
            why: "missing",
            reason: `peer domain "${peerDomain}" has no stream "${inputs.spec.name}"`,
          },
        };
      const electing = isTemporarilyUnavailable(error);
      if (!electing && !isUnreachable(error) && !/took longer/.test(String(error))) throw error;
      if (electing) {
        // The peer answered: it is there, electing a leader (a server lost or restarting). Never
        // a reason to promote without it: asked again until the settle time, also in a short
        // probe, and then refused.
        deadline = Math.max(deadline, started + inputs.failover.peerSettleMs);
      } else if (!isNoResponders(error)) {
        deadline = Math.max(deadline, started + peerSettleMs);
      }
      notePhase(
        { domain: inputs.domain, stream: inputs.spec.name },
        "ask-peer-attempt",
        attemptAt,
        electing ? "JetStream temporarily unavailable (an election)" : describeSilence(error),
      );
      lastError = error;
      if (bounds?.endOnNoResponders && isNoResponders(error)) break;
      // A pause before the next attempt, none after the last: waiting past the deadline only
      // delays the verdict (100 ms of every stream's probe).
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) break;
      await sleep(Math.min(100, remainingMs));
    }
  }
  if (isTemporarilyUnavailable(lastError)) {
    throw new Error(
      `stream ${inputs.spec.name}: peer domain "${peerDomain}" answered "JetStream system temporarily unavailable" for ${Date.now() - started} ms (failover.peerSettleMs): its JetStream is electing a leader for the stream, after a server was lost or restarted. Nothing was changed in either region. Run pulumi up again when npm run status shows the stream with a leader in ${peerDomain}; if that region cannot elect one (most of its servers are gone), it cannot be fenced: stop its servers, then pulumi up promotes without it.`,
    );
  }
  return {
    state: {
      kind: "absent",
      why: "silent",
      reason: `peer domain "${peerDomain}" did not answer within ${Date.now() - started} ms (${describeSilence(lastError)})`,
    },
    silence: isNoResponders(lastError) ? "no-responders" : "timeout",
  };
}

/** nats-server promotes a mirror in place from 2.12.0 on; older servers answer error 10055. */
function requirePromotionSupport(session: Session, inputs: StreamResourceInputs): void {
  const version = session.nc.info?.version ?? "0.0.0";
  const [major = 0, minor = 0] = version.split(/[.-]/).map(Number);
  if (major > 2 || (major === 2 && minor >= 12)) return;
  throw new Error(upgradeMessage(inputs, version));
}

function upgradeMessage(inputs: StreamResourceInputs, version: string): string {
  return `stream ${inputs.spec.name}: the NATS server in domain "${inputs.domain}" (version ${version}) cannot promote a mirror in place; nats-server 2.12.0 or newer is required. Upgrade the servers, then run pulumi up again. Nothing was changed.`;
}

export async function promoteMirror(
  session: Session,
  inputs: StreamResourceInputs,
  instance: string,
): Promise<PromotionRecord> {
  const name = inputs.spec.name;
  const where: PhaseWhere = { domain: inputs.domain, stream: name };
  const started = Date.now();
  // Asked again while unanswered: this region's mirror may be electing a leader (a server of it
  // restarted or died), and the failover must not fail on that.
  const local = await timedPhase(where, "local-info", () =>
    hedged(() => session.jsm.streams.info(name), inputs.failover.peerSettleMs),
  );
  if (!local.config.mirror) return finishEarlierPromotion(session, inputs, instance, local);
  requirePromotionSupport(session, inputs);

  const peer = await timedPhase(where, "ask-peer", () => findPeerPrimary(session, inputs));
  if (peer.kind === "absent") {
    return promote(session, inputs, instance, { mode: "unplanned", reason: peer.reason, started, positions: {} });
  }

  let paused: PausedConsumer[] = [];
  await timedPhase(where, "fence", () =>
    fencePeer(peer.jsm, peer.info, inputs.domain, inputs.peerDomain!, inputs.failover.peerSettleMs),
  );
  try {
    paused = await timedPhase(where, "pause-and-drain", () =>
      pausePeerConsumers(
        session,
        peer.jsm,
        inputs.peerDomain!,
        name,
        inputs.failover.consumerDrainTimeoutMs,
        inputs.failover.peerSettleMs,
      ),
    );
    const marker = await timedPhase(where, "marker", () => publishFenceMarker(session, inputs, instance));
    let nudgedAt = 0;
    const catchup = await timedPhase(where, "catch-up", () =>
      waitForMarker(session, peer.jsm, name, marker, inputs.failover.catchupTimeoutMs, async (info) => {
        // The origin's leader died with the mirror's consumer: wake the mirror (mirrorNudge.ts).
        if (!mirrorStalled(info) || Date.now() - nudgedAt < MIRROR_NUDGE_EVERY_MS) return;
        nudgedAt = Date.now();
        const said = await stepDownMirror(session, inputs.domain, name, inputs.connection.requestTimeoutMs);
        notePhase(
          where,
          "mirror-step-down",
          nudgedAt,
          `${said} (no contact from the origin for ${info.mirror?.active} ns)`,
        );
      }),
    );
    if (catchup.kind === "peer-lost") {
      return await promote(session, inputs, instance, {
        mode: "unplanned",
        reason: `peer domain "${inputs.peerDomain}" was fenced but stopped answering before this mirror caught up; promoted with what was mirrored`,
        started,
        positions: {},
      });
    }
    if (catchup.kind === "behind") {
      throw new Error(
        `planned failover aborted: the mirror in "${inputs.domain}" held sequence ${catchup.localLast} but the fenced peer primary in "${inputs.peerDomain}" is at ${catchup.marker} after ${inputs.failover.catchupTimeoutMs} ms. Raise failover.catchupTimeoutMs (config nats-dr:failover.catchupTimeoutMs) or check the leafnode link, then run pulumi up again.`,
      );
    }
    // A mirror made before its origin existed (or by an older nats-dr) has no origin identity;
    // now that it holds all of the fenced peer, its messages can prove one for the demotion.
    const identity = await timedPhase(where, "origin-identity", async () =>
      provenOriginIdentity(session, inputs, await session.jsm.streams.info(name)),
    );
    // The marker is not an application message: drop it before any consumer can see it.
    await timedPhase(where, "delete-marker", () => session.jsm.streams.deleteMessage(name, catchup.marker, false));
    return await promote(session, inputs, instance, {
      mode: "planned",
      reason: `peer domain "${inputs.peerDomain}" answered; it was fenced at sequence ${catchup.marker} and this mirror caught up`,
      peerLastSequence: catchup.marker,
      started,
      positions: {},
      carry: paused,
      identity,
    });
  } catch (error) {
    const now = await session.jsm.streams.info(name).catch(() => undefined);
    if (now && !now.config.mirror) {
      // This side is primary already: un-fencing the peer now would make two primaries.
      throw new Error(
        `stream ${name} was promoted, but a later step failed: ${String((error as Error).message ?? error)}. Run pulumi up again to finish.`,
        { cause: error },
      );
    }
    const undo = await unfencePeer(peer.jsm, name).then(
      () => "The peer was unfenced and takes writes again.",
      (unfenceError: unknown) =>
        `The peer could NOT be unfenced (${String((unfenceError as Error).message ?? unfenceError)}): it takes no writes until this promotion succeeds or its subjects are restored from its metadata key ${MetadataKeys.fencedSubjects}.`,
    );
    const stuck = await resumePeerConsumers(peer.jsm, name, paused);
    throw new Error(
      `stream ${name}: ${String((error as Error).message ?? error)} ${undo}${stuckConsumersNote(name, inputs.peerDomain!, stuck)}`,
      { cause: error },
    );
  }
}

interface PromotionPlan {
  readonly mode: "planned" | "unplanned";
  readonly reason: string;
  readonly peerLastSequence?: number;
  readonly started: number;
  readonly positions: PromotionRecord["consumersPositioned"];
  /** Peer consumers whose positions are carried over (planned only). */
  readonly carry?: PausedConsumer[];
  /** Origin identity proven during a planned promotion, for a mirror that recorded none. */
  readonly identity?: Record<string, string>;
}

async function promote(
  session: Session,
  inputs: StreamResourceInputs,
  instance: string,
  plan: PromotionPlan,
): Promise<PromotionRecord> {
  const name = inputs.spec.name;
  const where: PhaseWhere = { domain: inputs.domain, stream: name };
  const before = await timedPhase(where, "info-before-promote", () => session.jsm.streams.info(name));
  const positions = await timedPhase(where, "consumer-positions", async () =>
    plan.carry
      ? carryConsumerPositions(
          session,
          name,
          plan.carry,
          before.config.retention,
          before.state.last_seq,
          inputs.failover.consumerDrainTimeoutMs,
        )
      : plan.mode === "unplanned" && inputs.peerDomain
        ? unplannedConsumerPositions(
            session,
            name,
            inputs.peerDomain,
            { seq: before.state.last_seq, at: before.state.last_ts },
            inputs.failover.unplannedConsumerRewind,
            before.config.retention,
            // The same bound as a planned drain: the time given to settle acknowledgements.
            inputs.failover.consumerDrainTimeoutMs,
          )
        : plan.positions,
  );
  const record: PromotionRecord = {
    mode: plan.mode,
    at: new Date().toISOString(),
    reason: plan.reason,
    fromDomain: inputs.peerDomain ?? "",
    ...(plan.peerLastSequence !== undefined ? { peerLastSequence: plan.peerLastSequence } : {}),
    lastMirroredSequence: before.state.last_seq,
    lastMirroredAt: before.state.last_ts ?? "",
    waitedForCatchupMs: Date.now() - plan.started,
    consumersPositioned: positions,
  };
  await timedPhase(where, `promote-${plan.mode}`, () =>
    applyPrimaryConfig(session, inputs, instance, {
      ...userMetadata(before.config.metadata),
      ...plan.identity,
      [MetadataKeys.promotedAtSequence]: String(record.lastMirroredSequence),
      [MetadataKeys.promotedAt]: record.at,
      [MetadataKeys.promotedFrom]: record.fromDomain,
      [MetadataKeys.promotionMode]: plan.mode,
    }),
  );
  await timedPhase(where, "resume-consumers", () => resumeMirrorPausedConsumers(session, name));
  return record;
}

/** A previous run promoted the stream but failed before recording it: finish, don't redo. */
async function finishEarlierPromotion(
  session: Session,
  inputs: StreamResourceInputs,
  instance: string,
  local: StreamInfo,
): Promise<PromotionRecord> {
  const metadata = userMetadata(local.config.metadata);
  await applyPrimaryConfig(session, inputs, instance, metadata);
  await resumeMirrorPausedConsumers(session, inputs.spec.name);
  return {
    mode: metadata[MetadataKeys.promotionMode] === "unplanned" ? "unplanned" : "planned",
    at: metadata[MetadataKeys.promotedAt] ?? new Date().toISOString(),
    reason:
      "the stream was already primary on the server (an earlier run promoted it); its configuration was re-applied",
    fromDomain: metadata[MetadataKeys.promotedFrom] ?? inputs.peerDomain ?? "",
    lastMirroredSequence: Number(metadata[MetadataKeys.promotedAtSequence] ?? local.state.last_seq),
    lastMirroredAt: local.state.last_ts ?? "",
    waitedForCatchupMs: 0,
    consumersPositioned: {},
  };
}

/** Removes `mirror` and adds the subjects in one update: the server (>= 2.12) promotes in place. */
async function applyPrimaryConfig(
  session: Session,
  inputs: StreamResourceInputs,
  instance: string,
  metadata: Record<string, string>,
): Promise<void> {
  const desired = streamWireConfig(inputs.spec, "primary", undefined, {
    ...metadata,
    [MetadataKeys.instance]: instance,
  });
  try {
    await session.jsm.streams.update(inputs.spec.name, { ...desired, mirror: undefined });
  } catch (error) {
    if (apiErrorCode(error) === ApiErrorCodes.mirrorConfigCannotBeUpdated) {
      throw new Error(upgradeMessage(inputs, session.nc.info?.version ?? "unknown"), { cause: error });
    }
    throw error;
  }
}
