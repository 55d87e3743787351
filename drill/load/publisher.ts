// Publishers that behave like our users' services: every message has a message id, and a publish
// that gets no acknowledgement (region down, stream fenced, promotion in progress) is retried
// with the same id and exponential backoff, into whatever region the router points at by then.
// Each acknowledgement is recorded (stream, domain, sequence, time): the ground truth for loss.
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import type { Region } from "../../infra/config/regions";
import type { Clients } from "./connections";
import type { Router } from "./router";

/** One stream the load publishes into, and the concrete subjects it rotates over. */
export interface StreamLoad {
  readonly stream: string;
  readonly subjects: readonly string[];
}

export interface AckRecord {
  readonly id: string;
  readonly stream: string;
  readonly subject: string;
  /** JetStream domain that acknowledged (stored) the message. */
  readonly domain: string;
  readonly seq: number;
  /** ms since the drill started. */
  readonly at: number;
  readonly attempts: number;
  /** The server said it already had this id (an earlier attempt was stored, its ack lost). */
  readonly duplicate: boolean;
}

export interface PublisherOptions {
  /** Messages per second over all streams. */
  readonly rate: number;
  /** Payload bytes per message. */
  readonly size: number;
  /** Messages in flight at most (each one retrying until acknowledged). */
  readonly window: number;
  /** Time to wait for one acknowledgement, ms. */
  readonly attemptTimeoutMs: number;
  /** First and largest pause between attempts, ms (doubling, with jitter). */
  readonly backoffMs: { readonly initial: number; readonly max: number };
  /** How long a message may keep retrying once the load is paused or stopped, ms. */
  readonly drainTimeoutMs: number;
}

const TICK_MS = 10;

export class Publisher {
  readonly acks = new Map<string, AckRecord>();
  /** Acknowledgements per 100 ms bucket, by bucket index. */
  readonly ackBuckets = new Map<number, number>();
  readonly failures = new Map<string, number>();
  attempts = 0;
  retries = 0;
  gaveUp = 0;
  private issued = 0;
  private inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private scheduleBase = { at: 0, issued: 0 };
  private draining = false;
  private readonly seqTimes = new Map<string, Map<number, number>>();
  private readonly payload: Uint8Array;
  private readonly clients = new Map<Region, Promise<JetStreamClient>>();

  constructor(
    private readonly streams: readonly StreamLoad[],
    private readonly connections: Clients,
    private readonly router: Router,
    private readonly clock: () => number,
    private readonly options: PublisherOptions,
    private readonly runId: string,
  ) {
    if (streams.length === 0) throw new Error("the drill needs at least one replicated stream to publish into");
    this.payload = new Uint8Array(options.size).map((_, index) => 97 + (index % 26));
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  get pending(): number {
    return this.inFlight.size;
  }

  /** Starts (or resumes) issuing new messages at the configured rate. */
  start(): void {
    if (this.timer !== undefined) return;
    this.draining = false;
    // No catch-up burst for the time the load was paused.
    this.scheduleBase = { at: this.clock(), issued: this.issued };
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** Stops issuing; waits (bounded) until every message in flight is acknowledged or given up. */
  async pause(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.draining = true;
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
  }

  /** The time the server stored sequence `seq` of `stream` in `domain`, as acknowledged to us. */
  ackTime(domain: string, stream: string, seq: number): number | undefined {
    return this.seqTimes.get(`${domain}/${stream}`)?.get(seq);
  }

  private tick(): void {
    const due =
      this.scheduleBase.issued + Math.floor(((this.clock() - this.scheduleBase.at) * this.options.rate) / 1000);
    while (this.issued < due && this.inFlight.size < this.options.window) {
      const index = this.issued++;
      const load = this.streams[index % this.streams.length]!;
      const perStream = Math.floor(index / this.streams.length);
      const subject = load.subjects[perStream % load.subjects.length]!;
      const task = this.send(`${this.runId}-${load.stream}-${perStream}`, load.stream, subject).finally(() =>
        this.inFlight.delete(task),
      );
      this.inFlight.add(task);
    }
    // While the window is full (a region unavailable) the schedule keeps its debt: the backlog
    // is sent once acknowledgements flow again, as a service's outbox would.
  }

  private jsFor(region: Region): Promise<JetStreamClient> {
    let client = this.clients.get(region);
    if (client === undefined) {
      client = this.connections
        .get("publish", region)
        .then((nc) => jetstream(nc, { timeout: this.options.attemptTimeoutMs }));
      client.catch(() => this.clients.delete(region));
      this.clients.set(region, client);
    }
    return client;
  }

  private async send(id: string, stream: string, subject: string): Promise<void> {
    const started = this.clock();
    for (let attempt = 1; ; attempt++) {
      this.attempts++;
      try {
        const js = await this.jsFor(this.router.current());
        const ack = await js.publish(subject, this.payload, { msgID: id, timeout: this.options.attemptTimeoutMs });
        this.record({
          id,
          stream,
          subject,
          domain: ack.domain ?? "",
          seq: ack.seq,
          at: this.clock(),
          attempts: attempt,
          duplicate: ack.duplicate,
        });
        return;
      } catch (error) {
        this.retries++;
        const kind = failureKind(error);
        this.failures.set(kind, (this.failures.get(kind) ?? 0) + 1);
        if (this.draining && this.clock() - started > this.options.drainTimeoutMs) {
          this.gaveUp++;
          return;
        }
        const { initial, max } = this.options.backoffMs;
        const pause = Math.min(max, initial * 2 ** Math.min(attempt - 1, 10));
        await new Promise((resolve) => setTimeout(resolve, pause * (0.5 + Math.random() / 2)));
      }
    }
  }

  private record(ack: AckRecord): void {
    // A duplicate ack repeats the first store's sequence; keep the first record if we have it.
    if (!this.acks.has(ack.id)) this.acks.set(ack.id, ack);
    const bucket = Math.floor(ack.at / 100);
    this.ackBuckets.set(bucket, (this.ackBuckets.get(bucket) ?? 0) + 1);
    const key = `${ack.domain}/${ack.stream}`;
    let times = this.seqTimes.get(key);
    if (times === undefined) this.seqTimes.set(key, (times = new Map<number, number>()));
    if (!times.has(ack.seq)) times.set(ack.seq, ack.at);
  }
}

/** A short name for why a publish attempt failed, for the evidence. */
export function failureKind(error: unknown): string {
  const text = String((error as Error)?.message ?? error).toLowerCase();
  if (text.includes("503") || text.includes("no responders")) return "no responders (no stream for the subject)";
  if (text.includes("timeout") || text.includes("timed out")) return "timeout";
  if (text.includes("closed") || text.includes("disconnect") || text.includes("connection")) return "connection";
  if (text.includes("wrong last") || text.includes("expected")) return "expectation failed";
  return text.slice(0, 80);
}
