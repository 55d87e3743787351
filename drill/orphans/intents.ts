// The republish run's own records in the active region, so a run killed between a batch's acks
// and the orphan stream's natsdr.republished-through, repeated after the active stream's duplicate
// window, stores nothing twice.
//
// Before a batch is published, an "intent" record names its orphan sequences, its message ids and
// the active stream's last sequence then; after natsdr.republished-through moved past it, a
// "batch" record says so; when the orphan stream is removed, a "done" record closes it. A run
// that finds an intent beyond natsdr.republished-through (the earlier run died in between) looks
// for those ids in the active stream after the recorded sequence, and counts what it finds as
// already there instead of publishing it again. The records live in the stream
// natsdr-orphan-evidence of the active region (one subject per orphan stream), next to the
// messages they speak of, for an auditor too.
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { isNotFound } from "../../streams/client";
import { MetadataKeys } from "../../streams/wire";

export const INTENT_STREAM = "natsdr-orphan-evidence";
export const INTENT_SUBJECT_PREFIX = "natsdr.evidence.orphans";

export type RepublishRecord =
  | {
      readonly kind: "intent";
      readonly at: string;
      readonly orphanStream: string;
      readonly stream: string;
      /** Orphan-stream sequences of the batch. */
      readonly firstSequence: number;
      readonly lastSequence: number;
      /** The active stream's last sequence before the batch was published. */
      readonly targetLastSequence: number;
      /** Ids the batch publishes (those already known to be there are left out). */
      readonly ids: readonly string[];
    }
  | { readonly kind: "batch"; readonly at: string; readonly orphanStream: string; readonly through: number }
  | { readonly kind: "done"; readonly at: string; readonly orphanStream: string; readonly verified: number };

export function intentSubject(orphanStream: string): string {
  return `${INTENT_SUBJECT_PREFIX}.${orphanStream}`;
}

/** Creates the records stream in the active region if it is missing, with the target's replicas. */
export async function ensureIntentStream(jsm: JetStreamManager, replicas: number): Promise<void> {
  try {
    await jsm.streams.info(INTENT_STREAM);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await jsm.streams.add({
      name: INTENT_STREAM,
      subjects: [`${INTENT_SUBJECT_PREFIX}.>`],
      description:
        "nats-dr: what `npm run orphans -- republish` was about to publish, did publish and removed, per orphan stream (JSON). Keep for audits.",
      num_replicas: replicas,
      metadata: { [MetadataKeys.managed]: "true" },
    });
  }
}

/** Appends one record; the ack must come from the records stream. */
export async function appendRecord(js: JetStreamClient, record: RepublishRecord): Promise<void> {
  await js.publish(intentSubject(record.orphanStream), JSON.stringify(record), {
    expect: { streamName: INTENT_STREAM },
  });
}

/** Every record of one orphan stream, oldest first; none when the records stream does not exist. */
export async function readRecords(
  js: JetStreamClient,
  jsm: JetStreamManager,
  orphanStream: string,
): Promise<RepublishRecord[]> {
  const subject = intentSubject(orphanStream);
  const info = await jsm.streams.info(INTENT_STREAM, { subjects_filter: subject }).catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
  const count = info?.state.subjects?.[subject] ?? 0;
  const records: RepublishRecord[] = [];
  if (count === 0) return records;
  const consumer = await js.consumers.get(INTENT_STREAM, {
    deliver_policy: DeliverPolicy.All,
    filter_subjects: [subject],
  });
  try {
    while (records.length < count) {
      let received = 0;
      for await (const message of await consumer.fetch({ max_messages: Math.min(1000, count), expires: 2000 })) {
        received++;
        records.push(message.json<RepublishRecord>());
        if (records.length >= count) break;
      }
      if (received === 0) break;
    }
  } finally {
    await consumer.delete().catch(() => undefined);
  }
  return records;
}

/** Pure: the intents of batches that were published but never recorded through `republishedThrough`. */
export function unfinishedIntents(
  records: readonly RepublishRecord[],
  republishedThrough: number,
): Extract<RepublishRecord, { kind: "intent" }>[] {
  // A "done" closes an orphan stream of that name; a later one of the same name starts afresh.
  const lastDone = records.map((record) => record.kind).lastIndexOf("done");
  const current = records.slice(lastDone + 1);
  const through = Math.max(
    republishedThrough,
    ...current.map((record) => (record.kind === "batch" ? record.through : 0)),
  );
  return current.filter(
    (record): record is Extract<RepublishRecord, { kind: "intent" }> =>
      record.kind === "intent" && record.lastSequence > through,
  );
}
