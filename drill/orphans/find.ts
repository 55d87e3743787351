// Which orphan streams a region holds, and whether the active region's stream can take their
// messages back. An orphan stream is one a demotion made (streams/orphans.ts): its subject is
// natsdr.orphans.<name>, its metadata natsdr.orphans-of names the stream it was kept from.
import type { JetStreamManager, StreamInfo } from "@nats-io/jetstream";
import { isNotFound } from "../../streams/client";
import { FENCE_SUBJECT_PREFIX, MetadataKeys } from "../../streams/wire";

/** Metadata the republish command writes on an orphan stream (read first by a repeat run). */
export const RepublishMetadata = {
  /** Orphan-stream sequence up to which every message was published and acknowledged by the active region. */
  through: "natsdr.republished-through",
  /** Domain and stream the messages went to. */
  to: "natsdr.republished-to",
  /** When the last run published into the active region. */
  at: "natsdr.republished-at",
  /** Why the last run kept the orphan stream (verification failed), in words. */
  failure: "natsdr.republish-failure",
} as const;

export interface OrphanStream {
  /** The orphan stream, `<stream>-orphans-<sequence>`. */
  readonly name: string;
  /** The stream its messages were kept from (natsdr.orphans-of). */
  readonly stream: string;
  /** after-promotion or whole-stream (natsdr.orphan-scope). */
  readonly scope: string;
  readonly messages: number;
  readonly firstSequence: number;
  readonly lastSequence: number;
  /** Orphan-stream sequence an earlier run published up to; 0 when none did. */
  readonly republishedThrough: number;
  readonly created: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export function describeOrphanStream(info: StreamInfo): OrphanStream | undefined {
  const metadata = info.config.metadata ?? {};
  const stream = metadata["natsdr.orphans-of"];
  if (stream === undefined || metadata[MetadataKeys.managed] !== "true") return undefined;
  const through = Number(metadata[RepublishMetadata.through] ?? 0);
  return {
    name: info.config.name,
    stream,
    scope: metadata[MetadataKeys.orphanScope] ?? "after-promotion",
    messages: info.state.messages,
    firstSequence: info.state.first_seq,
    lastSequence: info.state.last_seq,
    republishedThrough: Number.isInteger(through) && through > 0 ? through : 0,
    created: info.created,
    metadata,
  };
}

/** Every orphan stream of the domain `jsm` manages, sorted by name; `streams` keeps only those kept from these. */
export async function findOrphanStreams(
  jsm: JetStreamManager,
  streams: readonly string[] = [],
): Promise<OrphanStream[]> {
  const found: OrphanStream[] = [];
  for await (const info of jsm.streams.list("natsdr.orphans.>")) {
    const orphan = describeOrphanStream(info);
    if (orphan && (streams.length === 0 || streams.includes(orphan.stream))) found.push(orphan);
  }
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The active region's stream an orphan stream goes back to, or why it cannot take messages now. */
export async function republishTarget(
  jsm: JetStreamManager,
  domain: string,
  stream: string,
): Promise<{ info: StreamInfo } | { problem: string }> {
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(stream);
  } catch (error) {
    if (isNotFound(error))
      return {
        problem: `stream ${stream} does not exist in ${domain}; give --to the active region (the one whose stack declares ${stream} as a primary).`,
      };
    throw error;
  }
  if (info.config.mirror)
    return {
      problem: `stream ${stream} in ${domain} is a mirror, not the active primary; give --to the active region, or run its pulumi up first.`,
    };
  const subjects = info.config.subjects ?? [];
  if (subjects.length === 0 || subjects.every((subject) => subject.startsWith(FENCE_SUBJECT_PREFIX)))
    return {
      problem: `stream ${stream} in ${domain} is fenced (its subjects are ${subjects.join(", ") || "none"}): a failover is half done; finish it with pulumi up of the active region first.`,
    };
  return { info };
}
