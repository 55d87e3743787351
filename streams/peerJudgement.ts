// The peer judged once per region and run, not once per stream.
//
// An unplanned failover asks the peer domain for each stream's copy and, when nobody answers,
// keeps asking for failover.peerTimeoutMs (or peerSettleMs when the link is silent rather than
// gone) before promoting. The engine runs a bounded number of resource operations at once, so with
// one wait per stream 50 streams waited the timeout several times over. One `pulumi up` runs every
// stream resource of a stack in one dynamic provider process, so a verdict kept on `globalThis`
// is shared by the run's resources (closure serialization copies module values into each
// provider instance; `globalThis` is the one object they share). A preview never promotes, so it
// never reads or writes a verdict.
//
// A kept verdict is only believed together with a short probe of the stream itself that meets the
// same silence: a peer that answers again gets the planned promotion (fence first), so a region
// that came back while the run went on is never promoted past; a link that went from refusing to
// dropping packets (or back) is judged again in full. A verdict lapses a few seconds after the
// last stream used it: the streams of one run come one after the other, and a process that runs
// several failovers (tests, the benchmark) does not carry one over to the next.

/** How long a silent verdict serves further streams after it was reached or last used, ms. */
export const SILENCE_VALID_MS = 10_000;

/** Time the probe of a stream gives a peer already judged silent, ms. */
export const SILENCE_PROBE_MS = 250;

const GLOBAL_KEY = "__natsdrPeerSilence";

/** Nobody serves the peer's API (the link or the region is down), or its requests time out. */
export type SilenceKind = "no-responders" | "timeout";

export interface Silence {
  /** Why the peer was judged silent, in words (the first stream's full wait). */
  readonly reason: string;
  readonly kind: SilenceKind;
  /** When the verdict was reached or last used (ms since the epoch). */
  readonly at: number;
}

type SilenceRegistry = Map<string, Silence>;

function registry(): SilenceRegistry {
  const holder = globalThis as unknown as Record<string, SilenceRegistry | undefined>;
  let found = holder[GLOBAL_KEY];
  if (found === undefined) {
    found = new Map();
    holder[GLOBAL_KEY] = found;
  }
  return found;
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

/** Keeps (or renews, when a stream used it) the run's verdict. */
export function recordSilence(key: string, reason: string, kind: SilenceKind, now = Date.now()): void {
  registry().set(key, { reason, kind, at: now });
}

/** The peer answered: every later stream of the run asks it properly again. */
export function forgetSilence(key: string): void {
  registry().delete(key);
}
