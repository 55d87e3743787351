// Primary -> mirror: the failback, or the second half of a planned failover.
//
// The server cannot add a mirror to a stream, so the stream is replaced. First the new primary
// must prove it is one: it answers, is not fenced, and records that it was promoted from this
// domain at sequence P. Then this stream is fenced (it stops capturing subjects: after an
// unplanned failover both regions would otherwise take writes), and its messages above P
// (orphans: stored here after the last replication) are copied with their headers to the orphan
// stream <stream>-orphans-<P>, every sequence accounted for, before anything is deleted. Then
// the stream is re-created as a mirror of the peer, with its durable consumers (paused).
import type { StreamInfo } from "@nats-io/jetstream";
import type { Session } from "./client";
import { restoreConsumers, snapshotConsumers } from "./consumerPositions";
import { copyOrphans } from "./orphans";
import { fencePeer } from "./fencing";
import { prepareMirrorFeed } from "./mirrorFeed";
import { findPeerPrimary } from "./promotion";
import type { DemotionRecord, StreamResourceInputs } from "./spec";
import { fenceSubject, MetadataKeys, streamWireConfig, usesMirrorFeed, userMetadata } from "./wire";

/** Why the peer cannot be trusted as the new primary, or undefined when it can. */
function peerProblem(inputs: StreamResourceInputs, peer: StreamInfo): string | undefined {
  const metadata = userMetadata(peer.config.metadata);
  const peerDomain = inputs.peerDomain!;
  if (metadata[MetadataKeys.fencedBy] !== undefined) {
    return `its stream in "${peerDomain}" is fenced by "${metadata[MetadataKeys.fencedBy]}" (since ${metadata[MetadataKeys.fencedAt]}), so it is not a writable primary. An earlier failover to "${peerDomain}" was not completed in this region: run this stack with activeRegion "${peerDomain}" first`;
  }
  if (
    metadata[MetadataKeys.promotedFrom] !== inputs.domain ||
    metadata[MetadataKeys.promotedAtSequence] === undefined
  ) {
    return `its stream in "${peerDomain}" was not promoted from this region's copy (no ${MetadataKeys.promotedFrom}="${inputs.domain}" in its metadata), so sequences cannot be compared and this region's messages could not be told apart. Promote the peer with nats-dr first (run its stack with activeRegion "${peerDomain}")`;
  }
  return undefined;
}

export async function demoteToMirror(
  session: Session,
  inputs: StreamResourceInputs,
  instance: string,
  existing: StreamInfo,
): Promise<DemotionRecord> {
  const name = inputs.spec.name;
  if (userMetadata(existing.config.metadata)[MetadataKeys.managed] !== "true") {
    throw new Error(
      `stream ${name} already exists in domain "${inputs.domain}" as a primary that nats-dr did not create. Back it up and delete it, or adopt it with the \`import\` resource option, before it can become a mirror.`,
    );
  }
  const peer = await findPeerPrimary(session, inputs);
  if (peer.kind !== "primary") {
    throw new Error(
      `stream ${name} in "${inputs.domain}" cannot become a mirror yet: ${peer.reason}. A stream is only re-created as a mirror when the new primary answers, so its unreplicated messages can be compared and kept. Nothing was changed; run pulumi up again when the peer region is reachable.`,
    );
  }
  const problem = peerProblem(inputs, peer.info);
  if (problem)
    throw new Error(`stream ${name} in "${inputs.domain}" cannot become a mirror: ${problem}. Nothing was changed.`);

  const promotedAt = Number(userMetadata(peer.info.config.metadata)[MetadataKeys.promotedAtSequence]);
  // Before anything here changes: a failure leaves this stream as it was.
  if (usesMirrorFeed(inputs.spec)) await prepareMirrorFeed(peer.jsm, inputs.peerDomain!, name);
  await fencePeer(session.jsm, existing, inputs.peerDomain!, inputs.domain);
  // Everything stored before the marker is final (in a replicated stream, publishes still in
  // flight when the subjects changed commit before it), so the orphan range ends right below it.
  const marker = await publishOwnMarker(session, inputs, instance);
  const fenced = await session.jsm.streams.info(name);
  const orphans = await copyOrphans(session, inputs, fenced, promotedAt, marker - 1);
  const consumers = await snapshotConsumers(session, name);
  await session.jsm.streams.delete(name);
  await session.jsm.streams.add(
    streamWireConfig(inputs.spec, "mirror", inputs.peerDomain, { [MetadataKeys.instance]: instance }),
  );
  await restoreConsumers(session, name, consumers);
  return { at: new Date().toISOString(), promotedAtSequence: promotedAt, ...orphans };
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
