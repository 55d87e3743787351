// The message ids an active stream holds, read by headers only: what a whole-stream orphan stream
// and an unfinished batch (intents.ts) must not publish again.
import { DeliverPolicy, type JetStreamClient } from "@nats-io/jetstream";

/**
 * Message id -> sequence of the active stream's messages from `scan.from` (default the first) up
 * to `last`, read by headers only; with `scan.wanted`, only those ids, stopping once all are found.
 */
export async function idsInStream(
  js: JetStreamClient,
  stream: string,
  last: number,
  scan: { readonly from?: number; readonly wanted?: ReadonlySet<string> } = {},
): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  const from = scan.from ?? 1;
  if (last === 0 || from > last || scan.wanted?.size === 0) return ids;
  const consumer = await js.consumers.get(stream, {
    ...(from > 1
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from }
      : { deliver_policy: DeliverPolicy.All }),
    headers_only: true,
  });
  try {
    for (let done = false; !done;) {
      let received = 0;
      for await (const message of await consumer.fetch({ max_messages: 1000, expires: 2000 })) {
        received++;
        const id = message.headers?.get("Nats-Msg-Id");
        if (id && (scan.wanted === undefined || scan.wanted.has(id))) ids.set(id, message.seq);
        if (
          message.seq >= last ||
          message.info.pending === 0 ||
          (scan.wanted !== undefined && ids.size >= scan.wanted.size)
        ) {
          done = true;
          break;
        }
      }
      if (received === 0) done = true;
    }
  } finally {
    await consumer.delete().catch(() => undefined);
  }
  return ids;
}
