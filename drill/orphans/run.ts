// The republish run over every orphan stream of a region: publish and verify each, write the
// evidence, then remove the verified ones and write the evidence again. The command line and the
// drill's failback both call this with their own connections.
import type { OrphanStreamEvidence, RepublishEvidence } from "./evidence";
import { findOrphanStreams } from "./find";
import { removeVerified, republishOrphanStream, type ActiveSide, type RegionSide } from "./republish";

export interface RepublishRunOptions {
  /** Only the orphan streams kept from these streams; all when empty. */
  readonly streams?: readonly string[];
  /** Only these orphan streams (by their own name); all when undefined. */
  readonly orphanStreams?: readonly string[];
  readonly dryRun: boolean;
  readonly publishTimeoutMs: number;
  /** Called with the evidence before any orphan stream is removed, and again after. */
  readonly record?: (evidence: RepublishEvidence) => void;
}

export async function republishOrphans(
  from: RegionSide,
  to: ActiveSide,
  options: RepublishRunOptions,
  clock: () => Date = () => new Date(),
): Promise<RepublishEvidence> {
  const startedAt = clock().toISOString();
  const orphans = (await findOrphanStreams(from.jsm, options.streams ?? [])).filter(
    (orphan) => options.orphanStreams === undefined || options.orphanStreams.includes(orphan.name),
  );
  const streams: OrphanStreamEvidence[] = [];
  for (const orphan of orphans) streams.push(await republishOrphanStream(from, to, orphan, options));
  const evidence = (list: readonly OrphanStreamEvidence[]): RepublishEvidence => ({
    command: "republish",
    dryRun: options.dryRun,
    startedAt,
    finishedAt: clock().toISOString(),
    from: { region: from.region, domain: from.domain },
    to: { region: to.region, domain: to.domain },
    streams: list,
  });
  options.record?.(evidence(streams));
  if (options.dryRun) return evidence(streams);
  const ended: OrphanStreamEvidence[] = [];
  for (const stream of streams) ended.push(await removeVerified(from, to, stream));
  const final = evidence(ended);
  options.record?.(final);
  return final;
}
