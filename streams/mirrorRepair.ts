// Re-creating a mirror that holds another history than its origin's (issue 15, item 6).
//
// When the origin was deleted and re-created, its mirror keeps the old stream's messages (maybe
// the only copy of them left) and asks the new stream for the sequences after its own last one:
// it copies nothing below them while reporting lag 0, and a failover would promote the old
// history. A
// mirror cannot be reset or re-pointed, so it is replaced: every message it holds is copied
// aside like an orphan (none of them is the origin's), counted, its consumers are recorded, then
// it is deleted and created again as a mirror that copies the origin from its start.
import type { StreamInfo } from "@nats-io/jetstream";
import type { Session } from "./client";
import type { HistoryCheck } from "./history";
import { copyOrphans, OrphanScopes } from "./orphans";
import type { MirrorRepairRecord, StreamResourceInputs } from "./spec";
import { prepareFeedForNewMirror } from "./mirrorFeed";
import { recreateStream } from "./recreate";
import { MetadataKeys, streamWireConfig, usesMirrorFeed } from "./wire";

/** Where a repaired mirror's messages are kept: `<stream>-diverged-<its last sequence>`. */
export function divergedStreamName(stream: string, lastSequence: number): string {
  return `${stream}-diverged-${lastSequence}`;
}

export async function repairMirror(
  session: Session,
  inputs: StreamResourceInputs,
  instance: string,
  existing: StreamInfo,
  check: HistoryCheck,
): Promise<MirrorRepairRecord> {
  const name = inputs.spec.name;
  const peer = inputs.peerDomain!;
  // Deleted after the copy: nothing may push a message out before it is copied.
  await session.jsm.streams.update(name, { max_msgs: -1, max_bytes: -1, max_age: 0 });
  const held = await session.jsm.streams.info(name);
  // Messages arriving after this point come from the current origin; the new mirror copies them.
  const last = held.state.last_seq;
  const copy = await copyOrphans(session, inputs, held, {
    orphanStream: divergedStreamName(name, last),
    from: held.state.first_seq,
    last,
    scope: OrphanScopes.wholeStream,
    description: `Every message the mirror ${name} in ${inputs.domain} held before it was re-created: they are not the history of ${name} in ${peer} (${check.verdict}), and may be the only copy of an earlier ${name}; re-publish what ${peer} needs.`,
    // The origin these messages came from, as far as the mirror recorded it.
    metadata: check.recordedSourceCreated ? { [MetadataKeys.originCreated]: check.recordedSourceCreated } : {},
  });
  // The mirror of an interest stream reads through the feed on the origin: reset it to the
  // origin's start, so the new mirror copies every message the origin holds.
  if (usesMirrorFeed(inputs.spec)) await prepareFeedForNewMirror(session, inputs);
  await recreateStream(
    session,
    streamWireConfig(inputs.spec, "mirror", inputs.peerDomain, {
      [MetadataKeys.instance]: instance,
      [MetadataKeys.originCreated]: check.sourceCreated,
    }),
    `repairing the mirror ${name} in "${inputs.domain}" (what it held is kept in ${copy.orphanStream || "no orphan stream: it held nothing"})`,
    inputs.failover.peerSettleMs,
  );
  return { at: new Date().toISOString(), replacedLastSequence: existing.state.last_seq, history: check, ...copy };
}
