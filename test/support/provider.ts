// Shared pieces for the provider integration tests: inputs for a region, `check` as the engine
// calls it, a publisher that behaves like our users' services, and readers of stream contents.
import { DeliverPolicy, jetstream, type PubAck } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { ReadResult, ResourceProvider } from "@pulumi/pulumi/dynamic";
import { waitFor } from "../../drill/local/wait";

export interface RegionEndpoint {
  readonly domain: string;
  readonly clientUrls: readonly string[];
}

export const APP_CREDENTIALS = { user: "app", password: "app-secret" } as const;

/** Raw stream inputs as the program would register them (before `check`). */
export function rawStreamInputs(
  region: RegionEndpoint,
  peer: RegionEndpoint | undefined,
  role: "primary" | "mirror",
  spec: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    connection: { servers: [...region.clientUrls], connectTimeoutMs: 2000, requestTimeoutMs: 2000 },
    credentials: APP_CREDENTIALS,
    domain: region.domain,
    spec: { replicas: 1, ...spec },
    role,
    ...(peer ? { peerDomain: peer.domain } : {}),
    failover: { peerTimeoutMs: 1500, peerSettleMs: 3000, catchupTimeoutMs: 15_000, consumerDrainTimeoutMs: 2000 },
    allowDeleteWithMessages: false,
    ...extra,
  };
}

/** Raw consumer inputs as the program would register them (before `check`). */
export function rawConsumerInputs(
  region: RegionEndpoint,
  stream: string,
  spec: Record<string, unknown>,
): Record<string, unknown> {
  return {
    connection: { servers: [...region.clientUrls], connectTimeoutMs: 2000, requestTimeoutMs: 2000 },
    credentials: APP_CREDENTIALS,
    domain: region.domain,
    stream,
    spec,
  };
}

/**
 * Runs `check` and fails the test with the provider's own messages on failures. The checked
 * inputs are what the engine passes to `create` next, so they are typed as its argument.
 */
export async function checked<T>(
  provider: Pick<ResourceProvider, "check"> & { create(inputs: T): Promise<unknown> },
  raw: Record<string, unknown>,
): Promise<T> {
  const result = await provider.check!({}, raw);
  if (result.failures && result.failures.length > 0) {
    throw new Error(`check failed: ${result.failures.map((f) => f.reason).join("; ")}`);
  }
  return result.inputs as T;
}

/** `P` without its empty-object member (`{}` is how a provider's read says "gone"). */
type Found<P> = P extends unknown ? (keyof P extends never ? never : P) : never;

/** What a provider's `read` refreshed; fails the test when the read found nothing (no id). */
export function refreshedProps<R extends ReadResult<object>>(read: R): Found<NonNullable<R["props"]>> {
  if (!read.id || read.props === undefined) throw new Error("read found nothing: the resource is gone from the server");
  // Providers answer "gone" with an id-less result and empty props; with an id the props are the state.
  return read.props as Found<NonNullable<R["props"]>>;
}

export interface Publisher {
  /** Message id -> the ack the server gave. */
  readonly acked: Map<string, PubAck>;
  /** Publish attempts that failed and were retried. */
  readonly retries: () => number;
  stop(): Promise<void>;
}

/**
 * Publishes `subject` continuously with message ids, retrying the same id with a short backoff
 * until a stream acknowledges it, as our users' services do while a region is unavailable.
 */
export function startPublisher(
  nc: NatsConnection,
  subject: string,
  options: { prefix?: string; intervalMs?: number } = {},
): Publisher {
  const js = jetstream(nc, { timeout: 1000 });
  const acked = new Map<string, PubAck>();
  let retries = 0;
  let running = true;
  const loop = (async () => {
    for (let index = 0; running; index++) {
      const id = `${options.prefix ?? "m"}-${index}`;
      for (let attempt = 0; running || attempt === 0; attempt++) {
        try {
          acked.set(id, await js.publish(subject, new TextEncoder().encode(id), { msgID: id, timeout: 1000 }));
          break;
        } catch {
          retries++;
          await new Promise((resolve) => setTimeout(resolve, Math.min(200, 10 * (attempt + 1))));
        }
      }
      if (options.intervalMs) await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
    }
  })();
  return {
    acked,
    retries: () => retries,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** Every message of a stream in order: sequence, subject and Nats-Msg-Id. */
export async function readStream(
  nc: NatsConnection,
  domain: string,
  stream: string,
): Promise<{ seq: number; subject: string; id: string | undefined; headers: Record<string, string> }[]> {
  const js = jetstream(nc, { domain });
  const jsm = await js.jetstreamManager();
  const info = await jsm.streams.info(stream);
  const out: { seq: number; subject: string; id: string | undefined; headers: Record<string, string> }[] = [];
  if (info.state.messages === 0) return out;
  const consumer = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.All });
  try {
    while (out.length < info.state.messages) {
      const batch = await consumer.fetch({ max_messages: 500, expires: 2000 });
      let received = 0;
      for await (const message of batch) {
        received++;
        const headers: Record<string, string> = {};
        for (const [key, values] of message.headers ?? []) headers[key] = values[0] ?? "";
        out.push({
          seq: message.seq,
          subject: message.subject,
          id: message.headers?.get("Nats-Msg-Id") || undefined,
          headers,
        });
        if (message.seq >= info.state.last_seq) break;
      }
      if (received === 0 || out[out.length - 1]!.seq >= info.state.last_seq) break;
    }
  } finally {
    await consumer.delete().catch(() => undefined);
  }
  return out;
}

/**
 * Polls until `probe` returns a truthy value (0 and "" count as "not yet", unlike waitFor's
 * undefined/false); fails with `what` after `timeoutMs`. Polls every 25 ms: the provider tests
 * wait for servers on loopback.
 */
export function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  return waitFor(what, async () => (await probe()) || undefined, { timeoutMs, intervalMs: 25 });
}
