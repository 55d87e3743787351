// Primary -> mirror: the failback, or the second half of a planned failover.
//
// The server cannot add a mirror to a stream, so the stream is replaced. First the new primary
// must prove it is one: it answers, is not fenced, and records that it was promoted from this
// domain at sequence P. Then this stream is fenced (it stops capturing subjects: after an
// unplanned failover both regions would otherwise take writes), and its orphans are copied with
// their headers to the orphan stream <stream>-orphans-<P>, every sequence accounted for, before
// anything is deleted. Orphans are the messages above P (stored here after the last
// replication) when this stream's history is shown to be the one the peer mirrored (history.ts);
// otherwise, e.g. this stream was deleted and re-created since and its sequences 1..n lie below
// P, every message it holds. Then the stream is re-created as a mirror of the peer, recording the
// peer's identity, with its durable consumers (paused).
import type { StreamInfo } from "@nats-io/jetstream";
import type { Session } from "./client";
import { compareHistories, type HistoryCheck } from "./history";
import { copyOrphans, orphanStreamName, OrphanScopes, type OrphanRange } from "./orphans";
import { fencePeer } from "./fencing";
import { decideFlip, FlipActions, localStream, peerStream } from "./flips";
import { prepareMirrorFeed } from "./mirrorFeed";
import { findPeerPrimary } from "./promotion";
import { recreateStream } from "./recreate";
import { timedPhase, type PhaseWhere } from "./phaseLog";
import type { DemotionRecord, StreamResourceInputs } from "./spec";
import { fenceSubject, MetadataKeys, streamWireConfig, usesMirrorFeed, userMetadata } from "./wire";

export async function demoteToMirror(
  session: Session,
  inputs: StreamResourceInputs,
  instance: string,
  existing: StreamInfo,
): Promise<DemotionRecord> {
  const name = inputs.spec.name;
  if (userMetadata(existing.config.metadata)[MetadataKeys.managed] !== "true") {
    throw new Error(
      `stream ${name} already exists in domain "${inputs.domain}" as a primary that nats-dr did not create. Adopt it while this region is active (nats-dr:adoptStreams, docs/failover.md), or back it up and delete it, before it can become a mirror.`,
    );
  }
  const where: PhaseWhere = { domain: inputs.domain, stream: name };
  const peer = await timedPhase(where, "demote-ask-peer", () => findPeerPrimary(session, inputs));
  // The new primary must answer, be writable and record that it was promoted from this stream at
  // P: only then can this stream's unreplicated messages be told apart and kept.
  const decision = decideFlip({
    stream: name,
    domain: inputs.domain,
    peerDomain: inputs.peerDomain!,
    declared: "mirror",
    local: localStream(existing),
    peer: peerStream(peer),
  });
  if (decision.action !== FlipActions.proceed || peer.kind !== "primary") throw new Error(decision.message);

  const promotedAt = Number(userMetadata(peer.info.config.metadata)[MetadataKeys.promotedAtSequence]);
  // Before anything here changes: a failure leaves this stream as it was.
  if (usesMirrorFeed(inputs.spec))
    await timedPhase(where, "demote-mirror-feed", () => prepareMirrorFeed(peer.jsm, inputs.peerDomain!, name));
  await timedPhase(where, "demote-fence", () => fencePeer(session.jsm, existing, inputs.peerDomain!, inputs.domain));
  // The stream is deleted after the copy: lift its limits first, so that neither the marker (in a
  // full stream) nor the age limit discards a message before it is copied.
  await timedPhase(where, "demote-lift-limits", () =>
    session.jsm.streams.update(name, { max_msgs: -1, max_bytes: -1, max_age: 0 }),
  );
  // Everything stored before the marker is final (in a replicated stream, publishes still in
  // flight when the subjects changed commit before it), so the orphan range ends right below it.
  const marker = await timedPhase(where, "demote-marker", () => publishOwnMarker(session, inputs, instance));
  const fenced = await timedPhase(where, "demote-fenced-info", () => session.jsm.streams.info(name));
  const last = marker - 1;
  const history = await timedPhase(where, "demote-histories", () =>
    compareHistories(
      { jsm: session.jsm, domain: inputs.domain, info: fenced },
      { jsm: peer.jsm, domain: inputs.peerDomain!, info: peer.info },
      Math.min(last, promotedAt),
      userMetadata(peer.info.config.metadata)[MetadataKeys.originCreated],
    ),
  );
  const orphans = await timedPhase(where, "demote-copy-orphans", () =>
    copyOrphans(session, inputs, fenced, demotionRange(inputs, promotedAt, fenced, last, history)),
  );
  await recreateStream(
    session,
    streamWireConfig(inputs.spec, "mirror", inputs.peerDomain, {
      [MetadataKeys.instance]: instance,
      [MetadataKeys.originCreated]: peer.info.created,
    }),
    `demoting ${name} in "${inputs.domain}" (its orphans are kept in ${orphans.orphanStream || "no orphan stream: it had none"})`,
    inputs.failover.peerSettleMs,
  );
  return { at: new Date().toISOString(), promotedAtSequence: promotedAt, history, ...orphans };
}

/** What a demotion keeps: the messages above the promotion point, or all when the histories differ. */
function demotionRange(
  inputs: StreamResourceInputs,
  promotedAt: number,
  fenced: StreamInfo,
  last: number,
  history: HistoryCheck,
): OrphanRange {
  const { name } = inputs.spec;
  const peer = inputs.peerDomain!;
  const common = {
    orphanStream: orphanStreamName(name, promotedAt),
    last,
    metadata: { [MetadataKeys.promotedAtSequence]: String(promotedAt) },
  };
  if (history.verdict === "same") {
    return {
      ...common,
      from: promotedAt + 1,
      scope: OrphanScopes.afterPromotion,
      description: `Messages of ${name} in ${inputs.domain} stored after sequence ${promotedAt}, which never reached ${peer}; re-publish them from here.`,
    };
  }
  return {
    ...common,
    from: fenced.state.first_seq,
    scope: OrphanScopes.wholeStream,
    description: `Every message of ${name} in ${inputs.domain}: its history is not the one ${peer} mirrored (${history.verdict}), so none can be assumed to be there; re-publish what ${peer} lacks.`,
  };
}

/** Publishes a marker into this (fenced) stream through its fence subject; returns its sequence. */
async function publishOwnMarker(session: Session, inputs: StreamResourceInputs, instance: string): Promise<number> {
  const { jetstream } = require("@nats-io/jetstream") as typeof import("@nats-io/jetstream");
  const js = jetstream(session.nc, { timeout: inputs.connection.requestTimeoutMs });
  const ack = await js.publish(
    fenceSubject(inputs.domain, inputs.spec.name),
    new TextEncoder().encode("demotion marker"),
    {
      msgID: `natsdr-demotion-${inputs.spec.name}-${instance}`,
      expect: { streamName: inputs.spec.name },
    },
  );
  return ack.seq;
}
