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
  serverAtLeast,
  sleep,
  withDeadline,
  type Session,
} from "./client";
import {
  carryConsumerPositions,
  listConsumers,
  pausePeerConsumers,
  resumeMirrorPausedConsumers,
  resumePeerConsumers,
  stuckConsumersNote,
  applyUnplannedPositions,
  readUnplannedPositions,
  type PausedConsumer,
  type UnplannedReads,
} from "./consumerPositions";
import { unfencePeer, fencePeer, publishFenceMarker, waitForMarker } from "./fencing";
import type { PromotionRecord, StreamResourceInputs } from "./spec";
import { provenOriginIdentity } from "./origin";
import { capturePeerAcks, releasePeerAcks, withinGrace } from "./peerCapture";
import { MetadataKeys, streamWireConfig, userMetadata } from "./wire";
import {
  forgetSilence,
  peerKey,
  recentSilence,
  recordSilence,
  renewSilence,
  probeRunning,
  probeUnlessRunning,
  relyOnSilence,
  SILENCE_VALID_MS,
  streamsRelying,
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
export async function findPeerPrimary(
  session: Session,
  inputs: StreamResourceInputs,
  onSilence?: () => void,
): Promise<PeerState> {
  const key = peerKey(inputs.connection.servers, inputs.peerDomain!);
  const silence = recentSilence(key);
  if (silence) {
    onSilence?.();
    const shared = await sharedSilence(session, inputs, key, silence);
    if (shared) return shared;
  }
  const asked = await askPeer(session, inputs, undefined, onSilence);
  if (asked.state.kind === "absent" && asked.state.why === "silent" && asked.silence !== undefined) {
    recordSilence(key, asked.state.reason, asked.silence);
    observeAgain(session, inputs, key, recentSilence(key)!);
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
    observeAgain(session, inputs, key, silence);
    return judged(`a probe of the peer that ended ${now - silence.seenAt} ms before got no answer either`);
  }
  const { result: probe, joined } = await sharedProbe(key, () => askPeer(session, inputs, probeBounds(silence)));
  const silent = probe.state.kind === "absent" && probe.state.why === "silent";
  if (silent && probe.silence === silence.kind) {
    renewSilence(key);
    observeAgain(session, inputs, key, silence);
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

/** The bounds of a short probe of a peer the run judged silent. */
function probeBounds(silence: Silence) {
  return {
    timeoutMs: SILENCE_PROBE_MS,
    settleMs: SILENCE_PROBE_MS,
    // After a full wait found nobody serving the peer's API, one more "no responders" now is
    // the same silence, observed at this moment: waiting out the probe would only add time.
    // A timeout gives no such answer, so a silent-but-there API is still probed the full time.
    endOnNoResponders: silence.kind === "no-responders",
  };
}

/**
 * A stream judged silent (by its own wait or probe, or by a recent observation) has the peer
 * probed again in the background, unless a probe is under way, and again after each probe while
 * any promotion relies on the verdict, so that the streams started next find an observation at
 * most one probe old instead of each paying a probe: the engine starts streams as others end, and
 * without it each wave of streams after the first few hundred ms waited a whole probe (the
 * observation had aged past SILENCE_FRESH_MS). Nobody waits for it; its outcome is only about the
 * peer: the same silence renews the observation, an answer (or another silence) ends the verdict,
 * so later streams are judged in full. The connection lingers for it. At most one probe of a peer
 * runs at a time, and the observing ends with the verdict or SILENCE_VALID_MS after it began.
 */
/** How often the background observation asks the peer at most, ms (well within SILENCE_FRESH_MS). */
const OBSERVE_EVERY_MS = 100;

function observeAgain(session: Session, inputs: StreamResourceInputs, key: string, silence: Silence): void {
  if (probeRunning(key)) return;
  session.linger(observeWhileRelied(session, inputs, key, silence));
}

async function observeWhileRelied(
  session: Session,
  inputs: StreamResourceInputs,
  key: string,
  silence: Silence,
): Promise<void> {
  const began = Date.now();
  do {
    const probeStarted = Date.now();
    const probing = probeUnlessRunning(key, () => askPeer(session, inputs, probeBounds(silence)));
    if (probing === undefined) return;
    const { result } = await probing;
    if (result.state.kind !== "absent" || result.state.why !== "silent" || result.silence !== silence.kind) {
      forgetSilence(key);
      return;
    }
    renewSilence(key);
    // "No responders" comes back at once: paced, so that a cut link is not asked in a busy loop.
    await sleep(Math.max(0, OBSERVE_EVERY_MS - (Date.now() - probeStarted)));
  } while (streamsRelying(key) > 0 && recentSilence(key) !== undefined && Date.now() - began < SILENCE_VALID_MS);
}

async function askPeer(
  session: Session,
  inputs: StreamResourceInputs,
  bounds: { readonly timeoutMs: number; readonly settleMs: number; readonly endOnNoResponders: boolean } | undefined,
  onSilence?: () => void,
): Promise<{ readonly state: PeerState; readonly silence?: SilenceKind }> {
  // A peer that answers does so in a round trip; one silent this long is likely gone.
  const silenceTimer = onSilence === undefined ? undefined : setTimeout(onSilence, LOOKS_SILENT_AFTER_MS);
  try {
    return await askPeerUntilAnswered(session, inputs, bounds, onSilence);
  } finally {
    clearTimeout(silenceTimer);
  }
}

/** How long a peer that has not answered is taken as likely gone, for what may be done meanwhile, ms. */
const LOOKS_SILENT_AFTER_MS = 250;

async function askPeerUntilAnswered(
  session: Session,
  inputs: StreamResourceInputs,
  bounds: { readonly timeoutMs: number; readonly settleMs: number; readonly endOnNoResponders: boolean } | undefined,
  onSilence: (() => void) | undefined,
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
    // What the attempt's requests were told, for the phase log.
    let sent = 0;
    let electingAnswers = 0;
    const jsm = await session.managerFor(peerDomain, attemptMs);
    try {
      // Asked again every 500 ms while unanswered: a request the peer's stream got while it had no
      // leader is dropped, and the leader may be there long before that request's timeout.
      const info = await hedged(() => {
        sent++;
        return withDeadline(jsm.streams.info(inputs.spec.name), attemptMs + 500, "peer stream info").catch(
          (error: unknown) => {
            if (isTemporarilyUnavailable(error)) electingAnswers++;
            throw error;
          },
        );
      }, attemptMs);
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
        `${electing ? "JetStream temporarily unavailable (an election)" : describeSilence(error)}; ${sent} request(s), ${electingAnswers} answered "temporarily unavailable"`,
      );
      lastError = error;
      if (!electing) onSilence?.();
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
  if (serverAtLeast(version, 2, 12)) return;
  throw new Error(upgradeMessage(inputs, version));
}

function upgradeMessage(inputs: StreamResourceInputs, version: string): string {
  return `stream ${inputs.spec.name}: the NATS server in domain "${inputs.domain}" (version ${version}) cannot promote a mirror in place; nats-server 2.12.0 or newer is required. Upgrade the servers, then run pulumi up again. Nothing was changed.`;
}

export async function promoteMirror(
  session: Session,
  inputs: StreamResourceInputs,
  instance: string,
  /** The stream's info as the caller just read it (asked again while unanswered), if it did. */
  known?: StreamInfo,
): Promise<PromotionRecord> {
  const name = inputs.spec.name;
  const where: PhaseWhere = { domain: inputs.domain, stream: name };
  const started = Date.now();
  // Asked again while unanswered: this region's mirror may be electing a leader (a server of it
  // restarted or died), and the failover must not fail on that.
  const local =
    known ??
    (await timedPhase(where, "local-info", () =>
      hedged(() => session.jsm.streams.info(name), inputs.failover.peerSettleMs),
    ));
  if (!local.config.mirror) return finishEarlierPromotion(session, inputs, instance, local);
  requirePromotionSupport(session, inputs);

  // What an unplanned promotion reads here changes nothing: begun as soon as the peer looks
  // silent, it overlaps the rest of the judgement (the full wait, or a probe of up to
  // SILENCE_PROBE_MS per stream once the run judged the peer), not the time after it.
  let early: Promise<UnplannedReads> | undefined;
  const readEarly = () => {
    if (early !== undefined || !inputs.peerDomain) return;
    early = readUnplannedPositions(
      session,
      name,
      inputs.peerDomain,
      { seq: local.state.last_seq, at: local.state.last_ts },
      inputs.failover.unplannedConsumerRewind,
    );
    // A planned promotion does not use them; one that does awaits them and reads again on failure.
    early.catch(() => undefined);
  };
  const peer = await timedPhase(where, "ask-peer", () => findPeerPrimary(session, inputs, readEarly));
  if (peer.kind === "absent") {
    const release =
      peer.why === "silent" ? relyOnSilence(peerKey(inputs.connection.servers, inputs.peerDomain!)) : undefined;
    try {
      return await promote(session, inputs, instance, {
        mode: "unplanned",
        reason: peer.reason,
        started,
        positions: {},
        ...(early === undefined ? {} : { early }),
      });
    } finally {
      release?.();
    }
  }

  let paused: PausedConsumer[] = [];
  // The peer is about to be the standby: it captures this stream's acknowledgements from before
  // the consumers resume here, moved beside the fence and the catch-up (peerCapture.ts).
  const peerName = peerKey(inputs.connection.servers, inputs.peerDomain!);
  const consumersHere = listConsumers(session.jsm, name).then((infos) => infos.map((info) => info.name));
  const capture = timedPhase(where, "capture-at-peer", async () =>
    capturePeerAcks(peerName, peer.jsm, inputs.failover.peerSettleMs, name, await consumersHere).then(
      (move) => move.kind,
    ),
  ).catch((error: unknown) => `failed: ${String((error as Error)?.message ?? error)}`);
  // The origin's leader died with the mirror's consumer: wake the mirror (mirrorNudge.ts).
  let nudgedAt = 0;
  const nudgeIfStalled = async (info: StreamInfo) => {
    if (!mirrorStalled(info) || Date.now() - nudgedAt < MIRROR_NUDGE_EVERY_MS) return;
    nudgedAt = Date.now();
    const said = await stepDownMirror(session, inputs.domain, name, inputs.connection.requestTimeoutMs);
    notePhase(
      where,
      "mirror-step-down",
      nudgedAt,
      `${said} (no contact from the origin for ${info.mirror?.active} ns)`,
    );
  };
  // Asked as soon as the peer answered, beside the fence: the new leader sets up its consumer on
  // the origin while the peer is fenced and drained, not after the marker (0.4-0.45 s of each
  // such stream's catch-up in node-loss drills).
  const earlyNudge = session.jsm.streams
    .info(name)
    .then(nudgeIfStalled)
    .catch(() => undefined);
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
    await earlyNudge;
    const catchup = await timedPhase(where, "catch-up", () =>
      waitForMarker(session, peer.jsm, name, marker, inputs.failover.catchupTimeoutMs, nudgeIfStalled),
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
      capturePeer: capture,
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
    // The peer stays the active region: it need not capture its own acknowledgements.
    if ((await capture) !== "no-capture")
      await consumersHere
        .then((names) =>
          releasePeerAcks(peerName, peer.jsm, inputs.failover.peerSettleMs, inputs.peerDomain!, name, names),
        )
        .catch(() => undefined);
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
  /** Unplanned: the consumer positions as read while the peer was judged. */
  readonly early?: Promise<UnplannedReads>;
  /** Planned: the move of the acknowledgement capture to the peer, as it ended (peerCapture.ts). */
  readonly capturePeer?: Promise<string>;
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
  const at = new Date().toISOString();
  let unplanned: UnplannedReads | undefined;
  const positionConsumers = () =>
    timedPhase(where, "consumer-positions", async () =>
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
          ? applyUnplannedPositions(
              session,
              name,
              (unplanned = await unplannedReads(session, inputs, before, plan.early)),
              before.config.retention,
              // The same bound as a planned drain: the time given to settle acknowledgements.
              inputs.failover.consumerDrainTimeoutMs,
            )
          : plan.positions,
    );
  const promoteStream = () =>
    timedPhase(where, `promote-${plan.mode}`, () =>
      applyPrimaryConfig(session, inputs, instance, {
        ...userMetadata(before.config.metadata),
        ...plan.identity,
        [MetadataKeys.promotedAtSequence]: String(before.state.last_seq),
        [MetadataKeys.promotedAt]: at,
        [MetadataKeys.promotedFrom]: inputs.peerDomain ?? "",
        [MetadataKeys.promotionMode]: plan.mode,
      }),
    );
  let positions: PromotionRecord["consumersPositioned"];
  if (plan.carry === undefined && plan.mode === "unplanned") {
    // The stream takes writes while its consumers are re-created: they are paused until then and
    // start no later than its last mirrored message, so nothing written meanwhile is skipped. A
    // run cut off in between positions the rest when it runs again (finishEarlierPromotion).
    const [positioned, promoted] = await Promise.allSettled([positionConsumers(), promoteStream()]);
    if (promoted.status === "rejected") throw promoted.reason;
    if (positioned.status === "rejected") throw positioned.reason;
    positions = positioned.value;
  } else {
    // Planned: the carried positions are the peer's paused consumers', which a later run cannot
    // read again; the stream is promoted once they are in place.
    positions = await positionConsumers();
    await promoteStream();
  }
  // Awaited before the consumers resume, for at most a second more (peerCapture.ts): a capture stream
  // electing a leader (its server lost) must not hold the failover (it held one stream 5 s in a
  // drill). A failure or a late capture costs only the acknowledgements until it is done or the
  // peer's stack runs (all of them before late 2026-12-07), never the failover.
  const peerCapture =
    plan.capturePeer === undefined
      ? undefined
      : await withinGrace(plan.capturePeer, (final, startedAt) =>
          notePhase(where, "capture-at-peer-late", startedAt, final),
        );
  const record: PromotionRecord = {
    mode: plan.mode,
    at,
    reason: plan.reason,
    fromDomain: inputs.peerDomain ?? "",
    ...(plan.peerLastSequence !== undefined ? { peerLastSequence: plan.peerLastSequence } : {}),
    lastMirroredSequence: before.state.last_seq,
    lastMirroredAt: before.state.last_ts ?? "",
    waitedForCatchupMs: Date.now() - plan.started,
    ...(peerCapture === undefined ? {} : { peerCapture }),
    consumersPositioned: positions,
  };
  // Unplanned: the consumers left waiting are those the reads listed and did not re-position.
  await timedPhase(where, "resume-consumers", () =>
    resumeMirrorPausedConsumers(session, name, unplanned?.unpositioned),
  );
  return record;
}

/**
 * The positions read while the peer was judged, when those reads succeeded (a mirror's last
 * sequence only grows, so they start no later than reads now would); else read now.
 */
async function unplannedReads(
  session: Session,
  inputs: StreamResourceInputs,
  before: StreamInfo,
  early: Promise<UnplannedReads> | undefined,
): Promise<UnplannedReads> {
  const read = early === undefined ? undefined : await early.catch(() => undefined);
  if (read !== undefined && read.lastSequence <= before.state.last_seq) return read;
  return readUnplannedPositions(
    session,
    inputs.spec.name,
    inputs.peerDomain!,
    { seq: before.state.last_seq, at: before.state.last_ts },
    inputs.failover.unplannedConsumerRewind,
  );
}

/** A previous run promoted the stream but failed before recording it: finish, don't redo. */
async function finishEarlierPromotion(
  session: Session,
  inputs: StreamResourceInputs,
  instance: string,
  local: StreamInfo,
): Promise<PromotionRecord> {
  const metadata = userMetadata(local.config.metadata);
  const mode = metadata[MetadataKeys.promotionMode] === "unplanned" ? "unplanned" : "planned";
  const promotedAtSequence = Number(metadata[MetadataKeys.promotedAtSequence] ?? local.state.last_seq);
  await applyPrimaryConfig(session, inputs, instance, metadata);
  // An unplanned promotion re-creates the consumers while the stream already takes writes: a run
  // cut off then left some waiting at the mirror's own positions. They are positioned now, as then.
  const positions =
    mode === "unplanned" && inputs.peerDomain
      ? await applyUnplannedPositions(
          session,
          inputs.spec.name,
          await readUnplannedPositions(
            session,
            inputs.spec.name,
            inputs.peerDomain,
            { seq: promotedAtSequence, at: await storedAt(session, inputs.spec.name, promotedAtSequence) },
            inputs.failover.unplannedConsumerRewind,
          ),
          local.config.retention,
          inputs.failover.consumerDrainTimeoutMs,
        )
      : {};
  await resumeMirrorPausedConsumers(session, inputs.spec.name);
  return {
    mode,
    at: metadata[MetadataKeys.promotedAt] ?? new Date().toISOString(),
    reason:
      "the stream was already primary on the server (an earlier run promoted it); its configuration was re-applied",
    fromDomain: metadata[MetadataKeys.promotedFrom] ?? inputs.peerDomain ?? "",
    lastMirroredSequence: promotedAtSequence,
    lastMirroredAt: local.state.last_ts ?? "",
    waitedForCatchupMs: 0,
    consumersPositioned: positions,
  };
}

/** When the message at `seq` was stored, or undefined when it cannot be read (deleted, say). */
async function storedAt(session: Session, stream: string, seq: number): Promise<string | undefined> {
  const message = await session.jsm.streams.getMessage(stream, { seq }).catch(() => null);
  return message?.time.toISOString();
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
