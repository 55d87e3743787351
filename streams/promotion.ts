// Mirror -> primary: the failover, done in place so messages, sequences and consumers stay.
//
// Planned (the peer answers within failover.peerTimeoutMs): fence the peer primary so it stops
// capturing application subjects, pause its consumers and let in-flight acks land, wait until
// this mirror holds the peer's last sequence, carry the consumers' positions over, promote.
// Nothing the peer acknowledged to a publisher can be left behind.
// Unplanned (the peer does not answer): promote at once and record the last mirrored message,
// the RPO evidence. This path never needs the other region.
import type { JetStreamManager, StreamInfo } from "@nats-io/jetstream";
import { ApiErrorCodes, apiErrorCode, isNotFound, isUnreachable, sleep, withDeadline, type Session } from "./client";
import { carryConsumerPositions, pausePeerConsumers, resumeMirrorPausedConsumers, resumePeerConsumers } from "./consumerPositions";
import type { PromotionRecord, StreamResourceInputs } from "./spec";
import { fenceSubject, MetadataKeys, streamWireConfig, userMetadata } from "./wire";

type PeerState =
  | { readonly kind: "primary"; readonly jsm: JetStreamManager; readonly info: StreamInfo }
  | { readonly kind: "absent"; readonly reason: string };

/** Asks the peer domain for its copy of the stream, within the failover's peer timeout. */
export async function findPeerPrimary(session: Session, inputs: StreamResourceInputs): Promise<PeerState> {
  const peerDomain = inputs.peerDomain!;
  const timeoutMs = inputs.failover.peerTimeoutMs;
  const jsm = await session.managerFor(peerDomain, timeoutMs);
  try {
    const info = await withDeadline(jsm.streams.info(inputs.spec.name), timeoutMs + 500, "peer stream info");
    if (info.config.mirror) {
      return { kind: "absent", reason: `the stream in peer domain "${peerDomain}" is itself a mirror, so there is no primary to fence` };
    }
    return { kind: "primary", jsm, info };
  } catch (error) {
    if (isNotFound(error)) return { kind: "absent", reason: `peer domain "${peerDomain}" has no stream "${inputs.spec.name}"` };
    if (isUnreachable(error) || /took longer/.test(String(error))) {
      return { kind: "absent", reason: `peer domain "${peerDomain}" did not answer within ${timeoutMs} ms (${String((error as Error).message ?? error)})` };
    }
    throw error;
  }
}

async function fencePeer(peer: { jsm: JetStreamManager; info: StreamInfo }, inputs: StreamResourceInputs): Promise<void> {
  const config = peer.info.config;
  const metadata = userMetadata(config.metadata);
  const fence = fenceSubject(inputs.peerDomain!, config.name);
  const originalSubjects = metadata[MetadataKeys.fencedSubjects] ?? JSON.stringify(config.subjects);
  await peer.jsm.streams.update(config.name, {
    subjects: [fence],
    metadata: {
      ...metadata,
      [MetadataKeys.fencedBy]: inputs.domain,
      [MetadataKeys.fencedAt]: new Date().toISOString(),
      [MetadataKeys.fencedSubjects]: originalSubjects,
    },
  });
}

/** Gives the peer its subjects back after an aborted planned failover. */
async function unfencePeer(peer: { jsm: JetStreamManager; info: StreamInfo }): Promise<void> {
  const metadata = userMetadata(peer.info.config.metadata);
  delete metadata[MetadataKeys.fencedBy];
  delete metadata[MetadataKeys.fencedAt];
  delete metadata[MetadataKeys.fencedSubjects];
  await peer.jsm.streams.update(peer.info.config.name, { subjects: peer.info.config.subjects, metadata });
}

/** Waits until this mirror holds the fenced peer's last sequence; re-reads the peer every round. */
async function waitForCatchup(
  session: Session,
  peerJsm: JetStreamManager,
  name: string,
  timeoutMs: number,
): Promise<{ caughtUp: true; peerLast: number } | { caughtUp: false; peerLast: number; localLast: number; peerLost: boolean }> {
  const deadline = Date.now() + timeoutMs;
  let peerLast = 0;
  let localLast = 0;
  for (;;) {
    try {
      peerLast = (await peerJsm.streams.info(name)).state.last_seq;
    } catch (error) {
      if (isUnreachable(error)) return { caughtUp: false, peerLast, localLast, peerLost: true };
      throw error;
    }
    localLast = (await session.jsm.streams.info(name)).state.last_seq;
    if (localLast >= peerLast) return { caughtUp: true, peerLast };
    if (Date.now() > deadline) return { caughtUp: false, peerLast, localLast, peerLost: false };
    await sleep(5);
  }
}

export async function promoteMirror(session: Session, inputs: StreamResourceInputs, instance: string): Promise<PromotionRecord> {
  const name = inputs.spec.name;
  const started = Date.now();
  const local = await session.jsm.streams.info(name);
  if (!local.config.mirror) {
    // A previous run promoted the stream but failed before recording it: finish, don't redo.
    const metadata = userMetadata(local.config.metadata);
    await applyPrimaryConfig(session, inputs, instance, metadata);
    await resumeMirrorPausedConsumers(session, name);
    return {
      mode: metadata[MetadataKeys.promotionMode] === "unplanned" ? "unplanned" : "planned",
      at: metadata[MetadataKeys.promotedAt] ?? new Date().toISOString(),
      reason: "the stream was already primary on the server (an earlier run promoted it); its configuration was re-applied",
      fromDomain: metadata[MetadataKeys.promotedFrom] ?? inputs.peerDomain ?? "",
      lastMirroredSequence: Number(metadata[MetadataKeys.promotedAtSequence] ?? local.state.last_seq),
      lastMirroredAt: local.state.last_ts ?? "",
      waitedForCatchupMs: 0,
      consumersPositioned: {},
    };
  }

  const peer = await findPeerPrimary(session, inputs);
  let mode: "planned" | "unplanned" = "unplanned";
  let reason = peer.kind === "absent" ? peer.reason : "";
  let peerLastSequence: number | undefined;
  let positions: PromotionRecord["consumersPositioned"] = {};

  if (peer.kind === "primary") {
    await fencePeer(peer, inputs);
    const paused = await pausePeerConsumers(session, peer.jsm, name, inputs.failover.consumerDrainTimeoutMs);
    const catchup = await waitForCatchup(session, peer.jsm, name, inputs.failover.catchupTimeoutMs);
    if (catchup.caughtUp) {
      mode = "planned";
      peerLastSequence = catchup.peerLast;
      reason = `peer domain "${inputs.peerDomain}" answered; it was fenced at sequence ${catchup.peerLast} and this mirror caught up`;
      positions = await carryConsumerPositions(session, name, paused);
    } else if (catchup.peerLost) {
      reason = `peer domain "${inputs.peerDomain}" was fenced but stopped answering during catch-up; promoted with what was mirrored`;
    } else {
      await unfencePeer(peer).catch(() => undefined);
      await resumePeerConsumers(peer.jsm, name, paused).catch(() => undefined);
      throw new Error(
        `stream ${name}: planned failover aborted: the mirror in "${inputs.domain}" held sequence ${catchup.localLast} but the fenced peer primary in "${inputs.peerDomain}" is at ${catchup.peerLast} after ${inputs.failover.catchupTimeoutMs} ms. The peer was unfenced and takes writes again. Raise failover.catchupTimeoutMs (config nats-dr:failover.catchupTimeoutMs) or check the leafnode link, then run pulumi up again.`,
      );
    }
  }

  const before = await session.jsm.streams.info(name);
  const lastMirroredSequence = before.state.last_seq;
  const record: PromotionRecord = {
    mode,
    at: new Date().toISOString(),
    reason,
    fromDomain: inputs.peerDomain ?? "",
    ...(peerLastSequence !== undefined ? { peerLastSequence } : {}),
    lastMirroredSequence,
    lastMirroredAt: before.state.last_ts ?? "",
    waitedForCatchupMs: Date.now() - started,
    consumersPositioned: positions,
  };
  await applyPrimaryConfig(session, inputs, instance, {
    ...userMetadata(before.config.metadata),
    [MetadataKeys.promotedAtSequence]: String(lastMirroredSequence),
    [MetadataKeys.promotedAt]: record.at,
    [MetadataKeys.promotedFrom]: record.fromDomain,
    [MetadataKeys.promotionMode]: mode,
  });
  await resumeMirrorPausedConsumers(session, name);
  return record;
}

/** Removes `mirror` and adds the subjects in one update: the server (>= 2.12) promotes in place. */
async function applyPrimaryConfig(
  session: Session,
  inputs: StreamResourceInputs,
  instance: string,
  metadata: Record<string, string>,
): Promise<void> {
  const desired = streamWireConfig(inputs.spec, "primary", undefined, { ...metadata, [MetadataKeys.instance]: instance });
  try {
    await session.jsm.streams.update(inputs.spec.name, { ...desired, mirror: undefined });
  } catch (error) {
    if (apiErrorCode(error) === ApiErrorCodes.mirrorConfigCannotBeUpdated) {
      const version = session.nc.info?.version ?? "unknown";
      throw new Error(
        `stream ${inputs.spec.name}: the NATS server in domain "${inputs.domain}" (version ${version}) cannot promote a mirror in place; nats-server 2.12.0 or newer is required. Upgrade the servers, then run pulumi up again.`,
        { cause: error },
      );
    }
    throw error;
  }
}
