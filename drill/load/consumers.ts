// Durable consumers as our users' services run them: a worker per catalog consumer, bound to the
// consumer of the region the router points at, acknowledging every message. Each delivery is
// recorded by message id, so the drill can tell a duplicate delivery (same id twice) from a
// redelivery of a message this worker had already acknowledged, with the server's confirmation
// (what a failover must not cause).
import { jetstream, type ConsumerMessages, type JsMsg } from "@nats-io/jetstream";
import type { Region } from "../../infra/config/regions";
import type { Clients } from "./connections";
import type { Router } from "./router";

export interface ConsumerLoad {
  readonly stream: string;
  /** Durable name. */
  readonly name: string;
  readonly deliver: "pull" | "push";
  /** Subjects the consumer delivers; empty for all of the stream. */
  readonly filterSubjects: readonly string[];
}

export interface DeliveryEvent {
  /** ms since the drill started. */
  readonly at: number;
  readonly kind: "duplicate" | "redelivered-acked";
  readonly id: string;
  readonly region: Region;
}

/** One delivery by stream sequence in one region, and what became of its acknowledgement. */
export interface AckRecord {
  readonly region: Region;
  readonly seq: number;
  readonly id: string;
  /** ms since the drill started. */
  readonly deliveredAt: number;
  /** When the server confirmed the acknowledgement (ackAck), if it did. */
  confirmedAt?: number;
  /** When the worker gave up after three unconfirmed tries. */
  gaveUpAt?: number;
}

export class ConsumerWorker {
  /** Message id -> deliveries. */
  readonly delivered = new Map<string, number>();
  /** Message id -> when this worker first acknowledged it (ms since the drill started). */
  readonly acked = new Map<string, number>();
  readonly events: DeliveryEvent[] = [];
  errors = 0;
  lastError = "";
  /** Acknowledgements the server never confirmed, after three tries. */
  unconfirmed = 0;
  /**
   * The first delivery of each stream sequence per region ("<region>:<seq>"): what an unplanned
   * failover's checkpoint floor is compared with (drill/scenarios/floorLag.ts).
   */
  readonly acks = new Map<string, AckRecord>();
  private running = false;
  private loop: Promise<void> | undefined;
  private current: ConsumerMessages | undefined;

  constructor(
    readonly load: ConsumerLoad,
    private readonly connections: Clients,
    private readonly router: Router,
    private readonly clock: () => number,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.current?.stop();
    await this.loop;
  }

  /** Deliveries of `kind` in [from, to) ms, optionally by one region's consumer only. */
  count(kind: DeliveryEvent["kind"], from: number, to: number, region?: Region): number {
    return this.events.filter(
      (event) =>
        event.kind === kind && event.at >= from && event.at < to && (region === undefined || event.region === region),
    ).length;
  }

  /** Ids first acknowledged in [from, to) ms. */
  ackedBetween(from: number, to: number): number {
    let count = 0;
    for (const at of this.acked.values()) if (at >= from && at < to) count++;
    return count;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const region = this.router.current();
      try {
        const js = jetstream(await this.connections.get("consume", region), { timeout: 2000 });
        const messages =
          this.load.deliver === "pull"
            ? await (
                await js.consumers.get(this.load.stream, this.load.name)
              ).consume({ max_messages: 256, expires: 2000 })
            : await (await js.consumers.getPushConsumer(this.load.stream, this.load.name)).consume();
        this.current = messages;
        // Follow the router: a client re-resolves the hostname and reconnects elsewhere.
        const unsubscribe = this.router.onMove(() => messages.stop());
        try {
          for await (const message of messages) {
            this.handle(message, region);
            if (!this.running) break;
          }
        } finally {
          unsubscribe();
          messages.stop();
        }
      } catch (error) {
        this.errors++;
        this.lastError = String((error as Error)?.message ?? error);
        if (this.running) await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  private handle(message: JsMsg, region: Region): void {
    const id = message.headers?.get("Nats-Msg-Id") || `${region}:${this.load.stream}:${message.seq}`;
    const now = this.clock();
    const times = (this.delivered.get(id) ?? 0) + 1;
    this.delivered.set(id, times);
    if (times > 1) {
      this.events.push({ at: now, kind: "duplicate", id, region });
      if (this.acked.has(id)) this.events.push({ at: now, kind: "redelivered-acked", id, region });
    }
    const key = `${region}:${message.seq}`;
    let record = this.acks.get(key);
    if (record === undefined) {
      record = { region, seq: message.seq, id, deliveredAt: now };
      this.acks.set(key, record);
    }
    void this.confirm(message, id, record);
  }

  /**
   * Acknowledges and waits for the server's confirmation (`ackAck`), asking again when none comes:
   * an acknowledgement sent to a consumer leader that dies with it is lost, and that message then
   * holds the consumer's ack floor (and so its checkpoints) back until it is redelivered. Only a
   * confirmed acknowledgement counts as acknowledged, so a redelivery of a message the server
   * never heard acknowledged is not counted as a redelivery of an acknowledged one (issue 15,
   * item 2). Services that need tight positions across a failover do the same.
   */
  private async confirm(message: JsMsg, id: string, record: AckRecord): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        if (await message.ackAck({ timeout: 2000 })) {
          if (!this.acked.has(id)) this.acked.set(id, this.clock());
          record.confirmedAt ??= this.clock();
          return;
        }
      } catch {
        // No confirmation in time (a leader election, a region going away): ask again.
      }
    }
    this.unconfirmed++;
    record.gaveUpAt ??= this.clock();
  }
}
