// The mirror feed of an interest-retention stream: a durable consumer on the primary that the
// mirror in the other region reads through by name (ADR-60, nats-server 2.14 and newer).
//
// Why not the consumer a mirror asks for by itself: on an interest-retention origin, nats-server
// 2.14+ turns that request into a durable flow-control consumer marked as sourcing. When a
// standalone (non-clustered) origin restarts, it re-positions such a consumer while it recovers
// the stream, before it has loaded the stream's other consumers, and removes every message the
// mirror had received, also those the applications' consumers never read (issue 13: seen with
// 2.14.9, 2.14.10 and 2.15.3; not with 2.11 and 2.12, whose mirror consumer acknowledges nothing).
// A consumer we create is not marked as sourcing, so a restart leaves the stream alone, and the
// origin keeps each message until the mirror has stored it and the consumers have acknowledged it.
//
// The feed lives on the origin stream. Whoever creates a mirror prepares the feed first (creates
// it, and resets it to the start so a re-created mirror receives everything the origin still
// holds); the feed goes with the origin stream when a demotion deletes it, and with the mirror
// when the mirror is deleted.
import type { JetStreamManager, StreamInfo } from "@nats-io/jetstream";
import { isNotFound, isUnreachable, type Session } from "./client";
import { recreateStream } from "./recreate";
import { findPeerPrimary } from "./promotion";
import type { StreamResourceInputs } from "./spec";
import { MetadataKeys, MIRROR_FEED, mirrorFeedConfig, streamWireConfig, usesMirrorFeed, userMetadata } from "./wire";

/**
 * Before a mirror of `stream` is created: makes sure the origin (in `originDomain`, reached with
 * `originJsm`) has the feed, and resets it to the start. The feed delivers from its own
 * acknowledgement floor, so a feed an earlier mirror had read would skip, for a new mirror,
 * every message below that floor the origin still holds.
 */
export async function prepareMirrorFeed(
  originJsm: JetStreamManager,
  originDomain: string,
  stream: string,
): Promise<void> {
  try {
    await originJsm.consumers.info(stream, MIRROR_FEED);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await originJsm.consumers.add(stream, mirrorFeedConfig(originDomain, stream));
  }
  await originJsm.consumers.reset(stream, MIRROR_FEED, 1);
}

/**
 * A new mirror (no stream of that name here yet): the primary must answer, so its feed can be
 * prepared before the mirror starts reading through it.
 */
export async function prepareFeedForNewMirror(session: Session, inputs: StreamResourceInputs): Promise<void> {
  const peer = await findPeerPrimary(session, inputs);
  if (peer.kind !== "primary") {
    throw new Error(
      `stream ${inputs.spec.name} cannot be created as a mirror in "${inputs.domain}" yet: ${peer.reason}. A mirror of an interest-retention stream reads through a consumer on the primary (docs/failover.md), so the primary must exist and answer first: run the stack of the active region ("${inputs.peerDomain}") first, then this one. Nothing was changed.`,
    );
  }
  await prepareMirrorFeed(peer.jsm, inputs.peerDomain!, inputs.spec.name);
}

/**
 * After a mirror of `stream` was deleted: its feed would keep every later message on the origin.
 * Best effort: when the origin does not answer (its region is down), the feed stays until the
 * origin stream is deleted or re-created, or an operator removes it (docs/failover.md).
 */
export async function removeMirrorFeed(session: Session, originDomain: string, stream: string, timeoutMs: number) {
  try {
    const originJsm = await session.managerFor(originDomain, timeoutMs);
    await originJsm.consumers.delete(stream, MIRROR_FEED);
  } catch (error) {
    if (!isNotFound(error) && !isUnreachable(error)) throw error;
  }
}

/** The feed's ack policy (flow_control) and the consumer reset came with nats-server 2.14.0. */
export function requireMirrorFeedSupport(session: Session, inputs: StreamResourceInputs): void {
  const version = session.nc.info?.version ?? "0.0.0";
  const [major = 0, minor = 0] = version.split(/[.-]/).map(Number);
  if (major > 2 || (major === 2 && minor >= 14)) return;
  throw new Error(
    `stream ${inputs.spec.name}: the NATS server in domain "${inputs.domain}" (version ${version}) cannot mirror an interest-retention stream the way nats-dr does; nats-server 2.14.0 or newer is required in both regions (the mirror reads through a durable flow-control consumer on the primary, docs/failover.md). Upgrade the servers, or use retention "limits" or a homeRegion for this stream. Nothing was changed.`,
  );
}

/** True when the mirror on the server reads the way its spec needs (through the feed, or not). */
export function mirrorReadsAsDeclared(existing: StreamInfo, inputs: StreamResourceInputs): boolean {
  return (existing.config.mirror?.consumer?.name === MIRROR_FEED) === usesMirrorFeed(inputs.spec);
}

/**
 * A mirror whose retention changed between limits and interest must read its primary through
 * another consumer, and a mirror's source cannot change: it is re-created (with its consumers,
 * paused, from the start) and catches up again. The primary holds every message the mirror
 * needs, so only copies go; the primary must answer first.
 */
export async function rebuildMirror(
  session: Session,
  inputs: StreamResourceInputs,
  instance: string,
  existing: StreamInfo,
): Promise<void> {
  const name = inputs.spec.name;
  const peer = await findPeerPrimary(session, inputs);
  if (peer.kind !== "primary") {
    throw new Error(
      `stream ${name} in "${inputs.domain}": a retention change between "limits" and "interest" re-creates the mirror (it reads the primary through another consumer), but ${peer.reason}. Nothing was changed; run pulumi up again when the primary answers.`,
    );
  }
  const feed = usesMirrorFeed(inputs.spec);
  if (feed) {
    requireMirrorFeedSupport(session, inputs);
    await prepareMirrorFeed(peer.jsm, inputs.peerDomain!, name);
  }
  await recreateStream(
    session,
    streamWireConfig(inputs.spec, "mirror", inputs.peerDomain, {
      ...userMetadata(existing.config.metadata),
      [MetadataKeys.instance]: instance,
    }),
    `changing the retention of the mirror ${name} in "${inputs.domain}"`,
    inputs.failover.peerSettleMs,
  );
  if (!feed) await removeMirrorFeed(session, inputs.peerDomain!, name, inputs.failover.peerTimeoutMs);
}
