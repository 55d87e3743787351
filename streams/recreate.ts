// Re-creating a stream under its own name, as a mirror: a demotion, a retention change of a
// mirror, and the repair of a mirror whose origin was re-created all do it.
//
// The durable consumers are read before the delete and re-created, paused, on the new stream.
// Between the delete and the add the server can refuse the add for a moment: when an account's
// last stream is deleted, nats-server removes the account's store directory after answering, and
// an add in that moment fails to create its own ("could not create storage directory - mkdir
// .../<account>/streams: no such file or directory" in its log). A standalone v2.14.9 answered
// about one such add in 300 with err_code 10049, "error creating store for stream" (the CI run of
// the interest-retention test hit it in a demotion). The stream is already gone then, so the add
// is tried again for a while rather than leaving the region without the stream and its consumers.
import type { StreamConfig } from "@nats-io/jetstream";
import { apiErrorCode, ApiErrorCodes, isTemporarilyUnavailable, sleep, type Session } from "./client";
import { restoreConsumers, snapshotConsumers } from "./consumerPositions";
import { isSilentTimeout } from "./hedge";
import { MetadataKeys } from "./wire";
import { timedPhase, type PhaseWhere } from "./phaseLog";

/** How long an add refused for its store is tried again, and how long between tries, ms. */
export const STORE_RETRY = { forMs: 5000, everyMs: 100 } as const;

/**
 * True for the server's refusal to create a stream's store. 10049 is its catch-all "stream create
 * failed" code, whose description names the cause; only this cause is retried.
 */
export function isStoreRefused(error: unknown): boolean {
  return (
    apiErrorCode(error) === ApiErrorCodes.streamCreateFailed &&
    /^error creating store for stream/.test((error as Error).message)
  );
}

/**
 * Adds the stream, trying again while the server refuses to create its store; resolves with the
 * number of adds it took. Any other refusal is thrown at once; a store still refused after
 * `STORE_RETRY.forMs` is thrown with what to do.
 */
export async function addStreamRetryingStore(
  session: Session,
  config: Partial<StreamConfig> & { name: string },
  what: string,
  retry: { forMs: number; everyMs: number } = STORE_RETRY,
  settleMs = 0,
): Promise<number> {
  const until = Date.now() + retry.forMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await addSettling(session, config, settleMs);
      return attempt;
    } catch (error) {
      if (!isStoreRefused(error)) throw error;
      if (Date.now() >= until) {
        throw new Error(
          `${what}: the server refused to create the store of stream ${config.name} for ${retry.forMs} ms (${(error as Error).message}). The old stream is already deleted; check the server's log and its disk, then run pulumi up again: it creates the stream and its declared consumers.`,
          { cause: error },
        );
      }
      await sleep(retry.everyMs);
    }
  }
}

/**
 * Adds the stream; while the add goes unanswered (an election after a server was lost), for up
 * to `settleMs`, looks whether the server made it anyway before sending it again. The same add
 * sent twice is not idempotent: the server keeps the config with metadata of its own and refuses
 * the second with "stream name already in use with a different configuration" (a drill's
 * demotion failed on it), so a stream found under the name counts as made by this add only when
 * it carries this add's natsdr.instance.
 */
async function addSettling(
  session: Session,
  config: Partial<StreamConfig> & { name: string },
  settleMs: number,
): Promise<void> {
  const until = Date.now() + settleMs;
  const ours = config.metadata?.[MetadataKeys.instance];
  const madeByThisAdd = async (): Promise<boolean> => {
    if (ours === undefined) return false;
    const found = await session.jsm.streams.info(config.name).catch(() => undefined);
    return found?.config.metadata?.[MetadataKeys.instance] === ours;
  };
  for (let sent = 0; ; sent++) {
    try {
      await session.jsm.streams.add(config);
      return;
    } catch (error) {
      if (sent > 0 && apiErrorCode(error) === ApiErrorCodes.streamNameInUse && (await madeByThisAdd())) return;
      const unanswered = isSilentTimeout(error) || isTemporarilyUnavailable(error);
      if (!unanswered || Date.now() >= until) throw error;
      if (await madeByThisAdd()) return;
    }
  }
}

/**
 * Deletes the stream and adds it again with `config`, its durable consumers carried over
 * (re-created paused; positions start from the beginning of the new stream). After a server of
 * the region was lost, the new stream's and consumers' raft groups can wait out an election
 * before the server answers their create (a create timed out at 5 s in a test with one of three
 * servers killed): for up to `settleMs`, the stream's add is sent again while unanswered unless
 * the stream is there already (addSettling), and each consumer's create is sent again while
 * unanswered (the same consumer config sent twice is accepted).
 */
export async function recreateStream(
  session: Session,
  config: Partial<StreamConfig> & { name: string },
  what: string,
  settleMs = 0,
): Promise<void> {
  const where: PhaseWhere = { domain: session.domain, stream: config.name };
  const consumers = await timedPhase(where, "recreate-list-consumers", () => snapshotConsumers(session, config.name));
  await timedPhase(where, "recreate-delete", () => session.jsm.streams.delete(config.name));
  await timedPhase(where, "recreate-add", () => addStreamRetryingStore(session, config, what, STORE_RETRY, settleMs));
  await timedPhase(where, "recreate-consumers", () => restoreConsumers(session, config.name, consumers, settleMs));
}
