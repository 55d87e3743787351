// Mirror lag over the drill: how far each standby stream is behind its primary, sampled from both
// regions' stream info. In messages (primary last sequence minus mirror last sequence) and in
// time: how long ago the primary acknowledged the oldest message the mirror does not hold yet
// (sequences are the same in both regions, and the publisher knows when each was acknowledged).
import { jetstreamManager, type JetStreamManager, type StreamInfo } from "@nats-io/jetstream";
import { peerOf, type Region, type RegionPair } from "../../infra/config/regions";
import type { Clients } from "./connections";
import type { Publisher } from "./publisher";

export interface LagSample {
  /** ms since the drill started. */
  readonly at: number;
  readonly stream: string;
  /** Messages behind; null when a region did not answer. */
  readonly lagMsgs: number | null;
  /** Age of the oldest unmirrored message, ms; null when unknown. */
  readonly lagMs: number | null;
  /** The server's own `mirror.lag` and time since the mirror last heard from its origin. */
  readonly serverLag: number | null;
  readonly activeMs: number | null;
  /**
   * The mirror was (re-)created recently and has not caught up once since: a demotion re-creates
   * the stream and it copies the whole retained stream again. Kept apart from steady lag.
   */
  readonly resync: boolean;
}

/** How far to look for an acknowledged sequence past the mirror's last (markers leave gaps). */
const SEARCH = 64;

export class LagSampler {
  readonly samples: LagSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  /**
   * Per stream: creation time of the mirror last seen, the primary's last sequence when that
   * mirror was first seen (what it has to copy), and whether it has copied it yet.
   */
  private readonly mirrors = new Map<string, { created: string; target: number; caughtUp: boolean }>();

  constructor(
    private readonly streams: readonly string[],
    private readonly connections: Clients,
    private readonly primaryRegion: () => Region,
    private readonly publisher: Publisher,
    private readonly clock: () => number,
    private readonly pair: RegionPair,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.timer === undefined) this.timer = setInterval(() => void this.tick(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Samples in [from, to) ms. */
  between(from: number, to: number): LagSample[] {
    return this.samples.filter((sample) => sample.at >= from && sample.at < to);
  }

  /** Samples once now (also used to wait for a catch-up). */
  async sampleNow(): Promise<LagSample[]> {
    const primary = this.primaryRegion();
    const [primaryJsm, mirrorJsm] = await Promise.all([
      this.manager(primary),
      this.manager(peerOf(this.pair, primary)),
    ]);
    return Promise.all(this.streams.map((stream) => this.sampleStream(stream, primary, primaryJsm, mirrorJsm)));
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      this.samples.push(...(await this.sampleNow()));
    } catch {
      // A region without a connection yet: nothing to sample this time.
    } finally {
      this.busy = false;
    }
  }

  private async manager(region: Region): Promise<JetStreamManager | undefined> {
    try {
      return await jetstreamManager(await this.connections.get("observe", region), {
        domain: region,
        timeout: 1000,
        checkAPI: false,
      });
    } catch {
      return undefined;
    }
  }

  private async sampleStream(
    stream: string,
    primary: Region,
    primaryJsm: JetStreamManager | undefined,
    mirrorJsm: JetStreamManager | undefined,
  ): Promise<LagSample> {
    const [source, mirror] = await Promise.all([info(primaryJsm, stream), info(mirrorJsm, stream)]);
    const at = this.clock();
    if (source === undefined || mirror === undefined || mirror.config.mirror === undefined) {
      return {
        at,
        stream,
        lagMsgs: null,
        lagMs: null,
        serverLag: mirror?.mirror?.lag ?? null,
        activeMs: activeMs(mirror),
        resync: false,
      };
    }
    const primaryLast = source.state.last_seq;
    const mirrorLast = mirror.state.last_seq;
    const lagMsgs = Math.max(0, primaryLast - mirrorLast);
    let lagMs: number | null = 0;
    if (lagMsgs > 0) {
      lagMs = null;
      for (let seq = mirrorLast + 1; seq <= Math.min(primaryLast, mirrorLast + SEARCH); seq++) {
        const ackedAt =
          this.publisher.ackTime(primary, stream, seq) ??
          this.publisher.ackTime(peerOf(this.pair, primary), stream, seq);
        if (ackedAt !== undefined) {
          lagMs = Math.max(0, at - ackedAt);
          break;
        }
      }
    }
    return {
      at,
      stream,
      lagMsgs,
      lagMs,
      serverLag: mirror.mirror?.lag ?? null,
      activeMs: activeMs(mirror),
      resync: this.resyncing(stream, mirror.created, primaryLast, mirrorLast),
    };
  }

  /** True while a re-created mirror is still copying what the primary held when it appeared. */
  private resyncing(stream: string, created: string, primaryLast: number, mirrorLast: number): boolean {
    const known = this.mirrors.get(stream);
    // The first mirror seen is the one the drill started with: it was never behind a full stream.
    const state =
      known === undefined
        ? { created, target: 0, caughtUp: true }
        : known.created === created
          ? known
          : { created, target: primaryLast, caughtUp: false };
    if (mirrorLast >= state.target) state.caughtUp = true;
    this.mirrors.set(stream, state);
    return !state.caughtUp;
  }
}

async function info(jsm: JetStreamManager | undefined, stream: string): Promise<StreamInfo | undefined> {
  if (jsm === undefined) return undefined;
  return jsm.streams.info(stream).catch(() => undefined);
}

/** `mirror.active` is ns since the mirror last heard from its origin, -1 for never. */
function activeMs(mirror: StreamInfo | undefined): number | null {
  const active = mirror?.mirror?.active;
  return active === undefined || active < 0 ? null : Math.round(active / 1e6);
}
