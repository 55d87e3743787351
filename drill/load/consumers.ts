// Durable consumers as our users' services run them: a worker per catalog consumer, bound to the
// consumer of the region the router points at, acknowledging every message. Each delivery is
// recorded by message id, so the drill can tell a duplicate delivery (same id twice) from a
// redelivery of a message this worker had already acknowledged, with the server's confirmation
// (what a failover must not cause).
import { jetstream, type ConsumerMessages, type JsMsg } from "@nats-io/jetstream";
import type { Region } from "../../infra/config/regions";
import { sleep } from "../local/wait";
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
  /** When the worker gave up, unconfirmed for CONFIRM_FOR_MS. */
  gaveUpAt?: number;
}

/** One region's subscription of a worker; stopped once its hand-over ends. */
interface RegionSubscription {
  readonly region: Region;
  stopped: boolean;
  messages: ConsumerMessages | undefined;
  done: Promise<void>;
}

/**
 * How long a worker that moved keeps its old region's subscription. A subscription stopped at
 * once drops what it has received and not handled, and what is still on its way to it (a push
 * consumer's queue group had deliveries of the promoted region's consumer reach the old region's
 * subscriber across the leafnode until the move). Those messages stay pending until their
 * `ackWait` (30 s) and hold the consumer's ack floor, and with it the checkpoints an unplanned
 * failover starts from: in one drill 31 such messages held the floor until the kill 27 s later.
 * A service rolled over to another region starts the new subscription first and drains the old
 * one; so does this worker. A queue group prefers its local member, so once the new region's
 * subscription is up nothing more crosses to the old one; a pull subscription asks for no more
 * and handles the rest of its last request.
 */
export const HANDOVER_MS = 1000;

/**
 * How long one acknowledgement waits for the server's confirmation before it is sent again, and
 * how long the worker keeps sending it, ms. A consumer whose leader died elects another in
 * 4-9 s; an acknowledgement asked again until then lands, where three tries of 2 s gave up
 * before it in a node-loss drill and left the planned failover's drain waiting its whole 5 s for
 * them. The consumers' ackWait (30 s) redelivers the message after the last try anyway.
 */
export const CONFIRM_TRY_MS = 1000;
export const CONFIRM_FOR_MS = 20_000;

/** A pull request's batch and how long it waits for messages, ms. */
const PULL_BATCH = 256;
const PULL_EXPIRES_MS = 2000;

export class ConsumerWorker {
  /** Message id -> deliveries. */
  readonly delivered = new Map<string, number>();
  /** Message id -> when this worker first acknowledged it (ms since the drill started). */
  readonly acked = new Map<string, number>();
  readonly events: DeliveryEvent[] = [];
  errors = 0;
  lastError = "";
  /** Acknowledgements the server never confirmed within CONFIRM_FOR_MS. */
  unconfirmed = 0;
  /**
   * The first delivery of each stream sequence per region ("<region>:<seq>"): what an unplanned
   * failover's checkpoint floor is compared with (drill/scenarios/floorLag.ts).
   */
  readonly acks = new Map<string, AckRecord>();
  private running = false;
  private readonly subscriptions = new Set<RegionSubscription>();
  private current: RegionSubscription | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    readonly load: ConsumerLoad,
    private readonly connections: Clients,
    private readonly router: Router,
    private readonly clock: () => number,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    // Follow the router: a client re-resolves the hostname and reconnects elsewhere.
    this.unsubscribe = this.router.onMove((region) => this.moveTo(region));
    this.open(this.router.current());
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    const all = [...this.subscriptions];
    for (const subscription of all) this.close(subscription);
    await Promise.all(all.map((subscription) => subscription.done));
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

  /** Make before break: the new region's subscription first, the old one drained for HANDOVER_MS. */
  private moveTo(region: Region): void {
    if (!this.running) return;
    const previous = this.current;
    this.open(region);
    if (previous !== undefined) setTimeout(() => this.close(previous), HANDOVER_MS).unref();
  }

  private open(region: Region): void {
    const subscription: RegionSubscription = { region, stopped: false, messages: undefined, done: Promise.resolve() };
    this.subscriptions.add(subscription);
    this.current = subscription;
    subscription.done = this.consume(subscription).finally(() => this.subscriptions.delete(subscription));
  }

  /**
   * Ends a subscription. A push subscription ends at once (its queue group sends no more once the
   * new region's member is there); a pull one asks for no more and ends when its request in
   * flight does (at most `PULL_EXPIRES_MS`), having handled all of it, unless the worker stops.
   */
  private close(subscription: RegionSubscription): void {
    subscription.stopped = true;
    if (this.load.deliver === "push" || !this.running) subscription.messages?.stop();
  }

  private async consume(subscription: RegionSubscription): Promise<void> {
    const { region } = subscription;
    while (this.running && !subscription.stopped) {
      try {
        const js = jetstream(await this.connections.get("consume", region), { timeout: 2000 });
        if (this.load.deliver === "pull") {
          // One bounded request after the other rather than consume()'s standing ones, so a
          // subscription can end without dropping deliveries already on their way.
          const consumer = await js.consumers.get(this.load.stream, this.load.name);
          while (this.running && !subscription.stopped) {
            await this.handleAll(
              subscription,
              await consumer.fetch({ max_messages: PULL_BATCH, expires: PULL_EXPIRES_MS }),
            );
          }
        } else {
          const consumer = await js.consumers.getPushConsumer(this.load.stream, this.load.name);
          await this.handleAll(subscription, await consumer.consume());
        }
      } catch (error) {
        this.errors++;
        this.lastError = String((error as Error)?.message ?? error);
        if (this.running && !subscription.stopped) await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  private async handleAll(subscription: RegionSubscription, messages: ConsumerMessages): Promise<void> {
    subscription.messages = messages;
    try {
      // Closed while it was being opened: nothing of it was handed out yet.
      if (!this.running || (subscription.stopped && this.load.deliver === "push")) return;
      for await (const message of messages) {
        this.handle(message, subscription.region);
        if (!this.running) break;
      }
    } finally {
      messages.stop();
      subscription.messages = undefined;
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
   * Acknowledges and waits for the server's confirmation (`ackAck`), asking again every second
   * while none comes, for up to CONFIRM_FOR_MS: an acknowledgement sent to a consumer leader that
   * dies with it is lost, and that message then holds the consumer's ack floor (and so its
   * checkpoints) back until it is redelivered. Only a confirmed acknowledgement counts as
   * acknowledged, so a redelivery of a message the server never heard acknowledged is not counted
   * as a redelivery of an acknowledged one (issue 15, item 2). Services that need tight positions
   * across a failover do the same. A stopped worker asks no more.
   */
  private async confirm(message: JsMsg, id: string, record: AckRecord): Promise<void> {
    const started = Date.now();
    while (this.running && Date.now() - started < CONFIRM_FOR_MS) {
      const tried = Date.now();
      try {
        if (await message.ackAck({ timeout: CONFIRM_TRY_MS })) {
          if (!this.acked.has(id)) this.acked.set(id, this.clock());
          record.confirmedAt ??= this.clock();
          return;
        }
      } catch {
        // No confirmation in time (a leader election, a region going away): ask again.
      }
      await sleep(Math.max(0, CONFIRM_TRY_MS - (Date.now() - tried)));
    }
    this.unconfirmed++;
    record.gaveUpAt ??= this.clock();
  }
}
