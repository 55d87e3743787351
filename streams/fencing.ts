// Fencing the old primary during a planned failover, and proving the mirror caught up with it.
//
// Fence: the peer's subjects are replaced by natsdr.fenced.<domain>.<stream> (the originals are
// kept in its metadata), so it stores no new application message; publishers get no ack and
// retry. Marker: a message published to the fence subject after the fence is the peer's last
// message by construction. When the mirror holds the marker (same sequence, same message id),
// it holds every message the peer stored before, including any that were still in flight when
// the subjects changed, even if the peer's last message was deleted.
import type { JetStreamManager, StreamInfo } from "@nats-io/jetstream";
import { isUnreachable, sleep, withDeadline, type Session } from "./client";
import { hedged } from "./hedge";
import type { StreamResourceInputs } from "./spec";
import { fenceSubject, MetadataKeys, userMetadata } from "./wire";

export interface FenceMarker {
  readonly seq: number;
  readonly id: string;
}

export type CatchupResult =
  | { readonly kind: "caught-up"; readonly marker: number }
  | { readonly kind: "behind"; readonly marker: number; readonly localLast: number }
  | { readonly kind: "peer-lost" };

export async function fencePeer(
  peerJsm: JetStreamManager,
  peer: StreamInfo,
  byDomain: string,
  peerDomain: string,
  settleMs = 0,
): Promise<void> {
  const config = peer.config;
  const metadata = userMetadata(config.metadata);
  // A re-run finds the peer already fenced: keep the subjects recorded the first time.
  const originalSubjects = metadata[MetadataKeys.fencedSubjects] ?? JSON.stringify(config.subjects);
  const fenced = {
    subjects: [fenceSubject(peerDomain, config.name)],
    metadata: {
      ...metadata,
      [MetadataKeys.fencedBy]: byDomain,
      [MetadataKeys.fencedAt]: new Date().toISOString(),
      [MetadataKeys.fencedSubjects]: originalSubjects,
    },
  };
  // The same update again is a no-op, so while the peer settles (a leader election) it is sent
  // again when unanswered (hedge.ts), every second.
  const update = () => peerJsm.streams.update(config.name, fenced);
  await hedged(update, settleMs, 1000);
}

/** Gives the peer its original subjects back (from its metadata) after an aborted failover. */
export async function unfencePeer(peerJsm: JetStreamManager, name: string): Promise<void> {
  const current = await peerJsm.streams.info(name);
  const metadata = userMetadata(current.config.metadata);
  const recorded = metadata[MetadataKeys.fencedSubjects];
  if (recorded === undefined) return;
  delete metadata[MetadataKeys.fencedBy];
  delete metadata[MetadataKeys.fencedAt];
  delete metadata[MetadataKeys.fencedSubjects];
  await peerJsm.streams.update(name, { subjects: JSON.parse(recorded) as string[], metadata });
}

/** Publishes the marker through the leafnode into the fenced peer; undefined if it is gone. */
export async function publishFenceMarker(
  session: Session,
  inputs: StreamResourceInputs,
  instance: string,
): Promise<FenceMarker | undefined> {
  const { jetstream } = require("@nats-io/jetstream") as typeof import("@nats-io/jetstream");
  const js = jetstream(session.nc, { timeout: inputs.connection.requestTimeoutMs });
  const id = `natsdr-fence-${inputs.spec.name}-${instance}-${Date.now()}`;
  try {
    // Sent again while unanswered for up to peerSettleMs (the peer's stream may be electing a
    // leader): the message id makes the peer store it once and answer every copy with its sequence.
    const ack = await hedged(
      () =>
        js.publish(
          fenceSubject(inputs.peerDomain!, inputs.spec.name),
          new TextEncoder().encode(`fenced by ${inputs.domain}`),
          {
            msgID: id,
            expect: { streamName: inputs.spec.name },
          },
        ),
      Math.max(inputs.failover.peerSettleMs, inputs.connection.requestTimeoutMs),
    );
    if (ack.domain !== undefined && ack.domain !== inputs.peerDomain) {
      throw new Error(`the fence marker was stored by domain "${ack.domain}", not the peer "${inputs.peerDomain}"`);
    }
    return { seq: ack.seq, id };
  } catch (error) {
    if (isUnreachable(error)) return undefined;
    throw error;
  }
}

export async function waitForMarker(
  session: Session,
  peerJsm: JetStreamManager,
  name: string,
  marker: FenceMarker | undefined,
  timeoutMs: number,
  onWait?: (info: StreamInfo) => Promise<void>,
): Promise<CatchupResult> {
  if (!marker) return { kind: "peer-lost" };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Asked again while unanswered: a step-down of this mirror (mirrorNudge.ts) drops requests.
    const info = await hedged(() => session.jsm.streams.info(name), Math.min(timeoutMs, 5000));
    const localLast = info.state.last_seq;
    if (localLast >= marker.seq) {
      const copy = await session.jsm.streams.getMessage(name, { seq: marker.seq });
      if (copy?.header.get("Nats-Msg-Id") !== marker.id) {
        throw new Error(
          `this mirror's message ${marker.seq} is not the fence marker the peer stored there; the two streams' sequences differ (was one of them re-created?). Refusing to promote: compare the streams, then re-create this mirror.`,
        );
      }
      return { kind: "caught-up", marker: marker.seq };
    }
    if (Date.now() > deadline) {
      const peerAlive = await withDeadline(peerJsm.streams.info(name), 2000, "peer stream info").then(
        () => true,
        (error: unknown) => !(isUnreachable(error) || /took longer/.test(String(error))),
      );
      return peerAlive ? { kind: "behind", marker: marker.seq, localLast } : { kind: "peer-lost" };
    }
    await onWait?.(info);
    await sleep(5);
  }
}
