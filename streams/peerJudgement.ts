// The peer judged once per region and run, not once per stream.
//
// An unplanned failover asks the peer domain for each stream's copy and, when nobody answers,
// keeps asking for failover.peerTimeoutMs (or peerSettleMs when the link is silent rather than
// gone) before promoting. The engine runs a bounded number of resource operations at once, so with
// one wait per stream 50 streams waited the timeout several times over. One `pulumi up` runs every
// stream resource of a stack in one dynamic provider process, so a verdict kept on `globalThis`
// is shared by the run's resources (on `globalThis`, so that a second copy of this module, as a test
// harness may load, shares it too). A preview never promotes, so it never reads or writes a verdict.
//
// A kept verdict is only believed together with a recent observation of the same silence: a probe
// of the peer that ended at most SILENCE_FRESH_MS ago, or else a short probe of its own (streams
// that need one while another stream's probe is under way wait for that one instead of sending
// theirs). A peer that answers again gets the planned promotion (fence first), so a region that
// came back while the run went on is never promoted past; a link that went from refusing to
// dropping packets (or back) is judged again in full. Why a recent observation may serve several
// streams: the engine starts them in waves of --parallel, and a probe per wave adds its whole
// length to every wave, while the observation a stream relies on is at most as old as the time a
// probe of its own would have taken. A verdict lapses a few seconds after the last stream used it:
// the streams of one run come one after the other, and a process that runs several failovers
// (tests, the benchmark) does not carry one over to the next.

/** How long a silent verdict serves further streams after it was reached or last used, ms. */
export const SILENCE_VALID_MS = 10_000;

/** Time the probe of a stream gives a peer already judged silent, ms. */
export const SILENCE_PROBE_MS = 250;

/** How old an observation of the silence (a full wait or a probe that ended so) may be to serve a stream, ms. */
export const SILENCE_FRESH_MS = SILENCE_PROBE_MS;

const GLOBAL_KEY = "__natsdrPeerSilence";
const PROBES_KEY = "__natsdrPeerProbes";

/** Nobody serves the peer's API (the link or the region is down), or its requests time out. */
export type SilenceKind = "no-responders" | "timeout";

export interface Silence {
  /** Why the peer was judged silent, in words (the first stream's full wait). */
  readonly reason: string;
  readonly kind: SilenceKind;
  /** When the verdict was reached or last used (ms since the epoch). */
  readonly at: number;
  /** When the silence was last observed: the full wait or a probe ended without an answer (ms since the epoch). */
  readonly seenAt: number;
}

type SilenceRegistry = Map<string, Silence>;

/** The run-wide map kept under `key` on `globalThis`, made on first use. */
function shared<V>(key: string): Map<string, V> {
  const holder = globalThis as unknown as Record<string, Map<string, V> | undefined>;
  let found = holder[key];
  if (found === undefined) {
    found = new Map();
    holder[key] = found;
  }
  return found;
}

function registry(): SilenceRegistry {
  return shared<Silence>(GLOBAL_KEY);
}

/** The peer as this region reaches it: through these servers, in that domain. */
export function peerKey(servers: readonly string[], peerDomain: string): string {
  return `${[...servers].sort().join(",")}|${peerDomain}`;
}

/** Pure: whether a verdict reached at `silence.at` still serves a stream at `now`. */
export function silenceHolds(silence: Silence | undefined, now: number): silence is Silence {
  return silence !== undefined && now - silence.at >= 0 && now - silence.at <= SILENCE_VALID_MS;
}

/** The silent verdict of this run for the peer, if one holds now. */
export function recentSilence(key: string, now = Date.now()): Silence | undefined {
  const silence = registry().get(key);
  if (silenceHolds(silence, now)) return silence;
  registry().delete(key);
  return undefined;
}

/** Keeps the run's verdict, or renews it when an observation met the same silence again. */
export function recordSilence(key: string, reason: string, kind: SilenceKind, now = Date.now()): void {
  registry().set(key, { reason, kind, at: now, seenAt: now });
}

/**
 * A probe met the same silence again: the verdict lives on, observed now. Only a verdict that is
 * still held is renewed: one that an answer ended while the probe ran stays ended.
 */
export function renewSilence(key: string, now = Date.now()): void {
  const silence = registry().get(key);
  if (silence) registry().set(key, { ...silence, at: now, seenAt: now });
}

/** Pure: whether the silence was observed recently enough to serve a stream without a probe of its own. */
export function silenceFresh(silence: Silence, now: number): boolean {
  return now - silence.seenAt >= 0 && now - silence.seenAt <= SILENCE_FRESH_MS;
}

/** A stream relied on the verdict without observing the peer itself: the verdict lives on, its observation does not move. */
export function useSilence(key: string, now = Date.now()): void {
  const silence = registry().get(key);
  if (silence) registry().set(key, { ...silence, at: now });
}

/**
 * Runs `probe` for the peer unless one is already under way, in which case its outcome is
 * shared: `joined` tells the caller the outcome is another stream's, only to be trusted as far as
 * it is about the peer (its silence), not about that stream.
 */
export async function sharedProbe<T>(key: string, probe: () => Promise<T>): Promise<{ result: T; joined: boolean }> {
  const probes = shared<Promise<unknown>>(PROBES_KEY);
  const running = probes.get(key) as Promise<T> | undefined;
  if (running) {
    try {
      return { result: await running, joined: true };
    } catch {
      // That stream's probe failed in its own way (its error is its own): probe for this one.
    }
  }
  const started = probe();
  probes.set(key, started);
  try {
    return { result: await started, joined: false };
  } finally {
    if (probes.get(key) === started) probes.delete(key);
  }
}

const RELYING_KEY = "__natsdrPeerSilenceRelying";

/**
 * A stream's promotion relies on the silent verdict from now until the returned release is called
 * (when it ends): while any does, the silence is observed again and again (promotion.ts).
 */
export function relyOnSilence(key: string): () => void {
  const relying = shared<number>(RELYING_KEY);
  relying.set(key, (relying.get(key) ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (relying.get(key) ?? 1) - 1;
    if (left > 0) relying.set(key, left);
    else relying.delete(key);
  };
}

/** How many promotions rely on the silent verdict for the peer now. */
export function streamsRelying(key: string): number {
  return shared<number>(RELYING_KEY).get(key) ?? 0;
}

/** Whether a probe of the peer is under way. */
export function probeRunning(key: string): boolean {
  return shared<Promise<unknown>>(PROBES_KEY).has(key);
}

/** Starts `probe` as {@link sharedProbe} does, unless one for the peer is under way (then undefined). */
export function probeUnlessRunning<T>(
  key: string,
  probe: () => Promise<T>,
): Promise<{ result: T; joined: boolean }> | undefined {
  if (probeRunning(key)) return undefined;
  return sharedProbe(key, probe);
}

/** The peer answered: every later stream of the run asks it properly again. */
export function forgetSilence(key: string): void {
  registry().delete(key);
}
