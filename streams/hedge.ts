// Asking again while an earlier request is still unanswered.
//
// A JetStream API request that reaches a raft group without a leader (a server of the region just
// died, an election is running) is dropped, not queued: waiting out its whole timeout after the new
// leader is there wastes up to requestTimeoutMs per step (3 s of a node-loss failover's 17 s in a
// drill). So the same idempotent request (an info, a read) is sent again every `everyMs` while the
// earlier ones are pending, and the first answer wins; a slow but working server still answers the
// first request within its own timeout. Only silence and the answer that an election is running
// ("JetStream system temporarily unavailable", which a drill's node loss gave a peer's stream info
// for 2 s) are asked again: any other error (not found, no responders when the link is down) ends
// it at once, for the caller to judge.
import { isNoResponders, isTemporarilyUnavailable, isUnreachable } from "./client";

/** How often an unanswered request is sent again, ms. */
export const HEDGE_EVERY_MS = 500;

/** A timeout (someone holds the subject but did not answer), as opposed to any other failure. */
export function isSilentTimeout(error: unknown): boolean {
  return (isUnreachable(error) && !isNoResponders(error)) || /took longer/.test(String(error));
}

/**
 * Calls `ask` now and again every `everyMs` while no call has answered, for at most `windowMs`;
 * resolves with the first answer; rejects with the first error that is neither a timeout nor an
 * election under way, or, at the end of the window, with the last of those (or a timeout of our
 * own when none has ended yet). The window's end ends it even while calls are still pending: they
 * ask what the later ones asked, and the caller asks anew. Waiting for them instead left a peer
 * unasked for 3 s in node-loss drills: the last call of a 3 s window (failover.peerTimeoutMs) went
 * out at 2.5 s and the attempt waited for its own 3 s timeout, while the stream had its new leader
 * 2.6-4.5 s into the window; the next attempt was answered at once, 5.7 s in.
 * A `windowMs` of 0 (or less than `everyMs`) asks once: the plain request.
 */
export function hedged<T>(ask: () => Promise<T>, windowMs: number, everyMs = HEDGE_EVERY_MS): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const started = Date.now();
    let pending = 0;
    let done = false;
    let lastError: unknown;
    let timer: NodeJS.Timeout | undefined;
    let windowTimer: NodeJS.Timeout | undefined;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      if (windowTimer !== undefined) clearTimeout(windowTimer);
      settle();
    };
    const fail = (error: unknown) => finish(() => reject(error instanceof Error ? error : new Error(String(error))));
    const launch = () => {
      timer = undefined;
      pending++;
      ask().then(
        (value) => finish(() => resolve(value)),
        (error: unknown) => {
          pending--;
          const askAgain = isSilentTimeout(error) || isTemporarilyUnavailable(error);
          if (askAgain) lastError = error;
          if (!askAgain || (pending === 0 && timer === undefined)) fail(error);
        },
      );
      if (!done && Date.now() - started + everyMs < windowMs) timer = setTimeout(launch, everyMs);
    };
    if (windowMs >= everyMs) {
      windowTimer = setTimeout(
        () => fail(lastError ?? new Error(`${pending} request(s) unanswered: took longer than ${windowMs} ms`)),
        windowMs,
      );
    }
    launch();
  });
}
