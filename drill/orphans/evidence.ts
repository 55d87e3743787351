// What `npm run orphans -- republish` records for an auditor, per orphan stream: counts, the
// sequences on both sides and every message id, and whether the orphan stream was removed.
// Plain data written as JSON; the text rendering is for the terminal.
import type { OrphanStream } from "./find";
import type { OrphanMessage } from "./message";

export interface RepublishedMessage extends Omit<OrphanMessage, "sha256" | "originalDomain"> {
  /** Sequence of the message in the active stream (the publish ack's; for a duplicate, the copy stored before). */
  readonly storedSequence?: number;
  /** The active stream already held this id (within its duplicate window): nothing stored again. */
  readonly duplicate?: boolean;
  /** How the message was found in the active stream after the publish. */
  readonly verified?: "read-back" | "ack-only-removed-by-retention";
}

export interface OrphanStreamEvidence {
  readonly orphanStream: string;
  readonly stream: string;
  readonly scope: string;
  readonly fromDomain: string;
  readonly toDomain: string;
  /** Messages the orphan stream held when the run started, and its sequences. */
  readonly orphanMessages: number;
  readonly orphanFirstSequence: number;
  readonly orphanLastSequence: number;
  /** Orphan-stream sequence an earlier run had published up to (its messages are not published again). */
  readonly resumedAfter: number;
  /** Messages published (or, in a dry run, that would be). */
  readonly published: number;
  /** Of those, stored as new messages in the active stream. */
  readonly stored: number;
  /** Of those, the active stream already held by id. */
  readonly duplicates: number;
  /** Of those, published with a derived id (the original had none). */
  readonly derivedIds: number;
  /** Found in the active stream by reading back, or acknowledged and since removed by its retention. */
  readonly verified: number;
  /** Why the orphan stream was kept; empty when every message was verified. */
  readonly failures: readonly string[];
  /** True once the orphan stream was deleted (only after verification). */
  readonly removed: boolean;
  readonly messages: readonly RepublishedMessage[];
}

export interface RepublishEvidence {
  readonly command: "republish";
  readonly dryRun: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly from: { readonly region: string; readonly domain: string };
  readonly to: { readonly region: string; readonly domain: string };
  readonly streams: readonly OrphanStreamEvidence[];
}

export function republishSucceeded(evidence: RepublishEvidence): boolean {
  return evidence.streams.every((stream) => stream.failures.length === 0);
}

/** Listing of the orphan streams of one or more regions. */
export function renderOrphanList(regions: readonly { region: string; orphans: readonly OrphanStream[] }[]): string {
  const lines: string[] = [];
  for (const { region, orphans } of regions) {
    lines.push(`${region}: ${orphans.length === 0 ? "no orphan streams" : `${orphans.length} orphan stream(s)`}`);
    for (const orphan of orphans)
      lines.push(
        `  ${orphan.name}  of ${orphan.stream}  ${orphan.messages} messages (sequences ${orphan.firstSequence}-${orphan.lastSequence})  scope ${orphan.scope}${orphan.republishedThrough > 0 ? `  republished through ${orphan.republishedThrough}` : ""}`,
      );
  }
  return `${lines.join("\n")}\n`;
}

export function renderRepublish(evidence: RepublishEvidence, evidenceFile?: string): string {
  const verb = evidence.dryRun ? "would publish" : "published";
  const lines = [
    `${evidence.dryRun ? "dry run: " : ""}orphans of ${evidence.from.region} -> ${evidence.to.region}: ${evidence.streams.length} orphan stream(s)`,
  ];
  for (const stream of evidence.streams) {
    const resumed = stream.resumedAfter > 0 ? `, after ${stream.resumedAfter} (an earlier run published those)` : "";
    const counts = evidence.dryRun
      ? `${verb} ${stream.published} to ${stream.stream}${resumed} (${stream.derivedIds} with a derived id)`
      : `${verb} ${stream.published} to ${stream.stream}${resumed}: ${stream.stored} stored, ${stream.duplicates} already there, ${stream.derivedIds} with a derived id, ${stream.verified} verified`;
    lines.push(
      `  ${stream.orphanStream}: ${counts}; ${stream.removed ? "removed" : evidence.dryRun ? "kept" : "KEPT"}`,
    );
    for (const failure of stream.failures) lines.push(`    ${failure}`);
  }
  if (evidenceFile) lines.push(`evidence: ${evidenceFile}`);
  return `${lines.join("\n")}\n`;
}
