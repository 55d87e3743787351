// Durable consumers across a failover.
//
// Mirrors keep the origin's sequence numbers, so a consumer's position is just a stream
// sequence: the peer's acknowledgement floor. During a planned promotion the peer's consumers
// are paused (no new deliveries), given a bounded time for in-flight acks to land, and the
// local consumers are re-created to start right after the peer's floor. Acknowledged messages
// are then not delivered again in the new region.
import type { ConsumerConfig, ConsumerInfo, JetStreamManager } from "@nats-io/jetstream";
import { isNotFound, sleep, type Session } from "./client";
import type { PromotionRecord } from "./spec";
import { MetadataKeys, userMetadata } from "./wire";

export interface PausedConsumer {
  readonly name: string;
  readonly ackFloor: number;
  readonly unacknowledged: number;
}

/** "Paused until" far in the future: pauses last until we resume them. */
const PAUSE_FOR_MS = 100 * 365 * 24 * 3600 * 1000;

/**
 * A consumer on a mirror is created paused. Subject interest crosses the leafnode, so an active
 * push consumer on the standby would deliver every mirrored message to the same subscribers as
 * the primary's consumer; a paused one delivers nothing until the promotion resumes it.
 */
export function pausedWhileMirror(config: Partial<ConsumerConfig>): Partial<ConsumerConfig> {
  return {
    ...config,
    pause_until: new Date(Date.now() + PAUSE_FOR_MS).toISOString(),
    metadata: { ...userMetadata(config.metadata), [MetadataKeys.pausedWhileMirror]: "true" },
  };
}

function withoutMirrorPause(config: Partial<ConsumerConfig>): Partial<ConsumerConfig> {
  const metadata = userMetadata(config.metadata);
  delete metadata[MetadataKeys.pausedWhileMirror];
  const copy = { ...config, metadata };
  delete copy.pause_until;
  return copy;
}

/** After a promotion: resumes the consumers that were paused because the stream was a mirror. */
export async function resumeMirrorPausedConsumers(session: Session, stream: string): Promise<string[]> {
  const resumed: string[] = [];
  for (const info of await listConsumers(session.jsm, stream)) {
    if (userMetadata(info.config.metadata)[MetadataKeys.pausedWhileMirror] !== "true") continue;
    await session.jsm.consumers.resume(stream, info.name);
    await session.jsm.consumers.update(stream, info.name, { metadata: withoutMirrorPause(info.config).metadata ?? {} });
    resumed.push(info.name);
  }
  return resumed;
}

async function listConsumers(jsm: JetStreamManager, stream: string): Promise<ConsumerInfo[]> {
  const result: ConsumerInfo[] = [];
  for await (const info of jsm.consumers.list(stream)) result.push(info);
  return result;
}

export async function pausePeerConsumers(
  session: Session,
  peerJsm: JetStreamManager,
  stream: string,
  drainTimeoutMs: number,
): Promise<PausedConsumer[]> {
  const local = await listConsumers(session.jsm, stream);
  const names: string[] = [];
  for (const consumer of local) {
    try {
      await peerJsm.consumers.pause(stream, consumer.name, new Date(Date.now() + PAUSE_FOR_MS));
      names.push(consumer.name);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  const deadline = Date.now() + drainTimeoutMs;
  for (;;) {
    const infos = await Promise.all(names.map((name) => peerJsm.consumers.info(stream, name)));
    const drained = infos.every((info) => info.num_ack_pending === 0);
    if (drained || Date.now() >= deadline) {
      return infos.map((info) => ({ name: info.name, ackFloor: info.ack_floor.stream_seq, unacknowledged: info.num_ack_pending }));
    }
    await sleep(20);
  }
}

export async function resumePeerConsumers(peerJsm: JetStreamManager, stream: string, paused: PausedConsumer[]): Promise<void> {
  for (const consumer of paused) await peerJsm.consumers.resume(stream, consumer.name);
}

/** Name of the temporary consumer that holds an interest stream's messages during re-creation. */
const ANCHOR_CONSUMER = "natsdr-position-anchor";

/**
 * Re-creates each local consumer to start right after the peer's acknowledgement floor.
 * On an interest stream, deleting the last consumer would drop every message, so a temporary
 * anchor consumer keeps interest in everything from the lowest floor while they are re-created.
 */
export async function carryConsumerPositions(
  session: Session,
  stream: string,
  paused: PausedConsumer[],
  retention: string,
): Promise<PromotionRecord["consumersPositioned"]> {
  const positioned: PromotionRecord["consumersPositioned"] = {};
  if (paused.length === 0) return positioned;
  const anchored = retention === "interest";
  if (anchored) {
    const lowest = Math.min(...paused.map((consumer) => consumer.ackFloor)) + 1;
    await session.jsm.consumers.add(stream, {
      durable_name: ANCHOR_CONSUMER,
      ack_policy: "explicit" as ConsumerConfig["ack_policy"],
      deliver_policy: "by_start_sequence" as ConsumerConfig["deliver_policy"],
      opt_start_seq: lowest,
      pause_until: new Date(Date.now() + PAUSE_FOR_MS).toISOString(),
    });
  }
  try {
    for (const consumer of paused) {
      const local = await session.jsm.consumers.info(stream, consumer.name);
      const config: Partial<ConsumerConfig> = {
        ...withoutMirrorPause(local.config),
        deliver_policy: "by_start_sequence" as ConsumerConfig["deliver_policy"],
        opt_start_seq: consumer.ackFloor + 1,
        metadata: { ...withoutMirrorPause(local.config).metadata, [MetadataKeys.positionedAt]: String(consumer.ackFloor) },
      };
      delete config.opt_start_time;
      await session.jsm.consumers.delete(stream, consumer.name);
      await session.jsm.consumers.add(stream, config);
      positioned[consumer.name] = { ackFloor: consumer.ackFloor, unacknowledged: consumer.unacknowledged };
    }
  } finally {
    if (anchored) await session.jsm.consumers.delete(stream, ANCHOR_CONSUMER);
  }
  return positioned;
}

/** The consumers of a stream, to re-create them after the stream itself is re-created. */
export async function snapshotConsumers(session: Session, stream: string): Promise<ConsumerConfig[]> {
  return (await listConsumers(session.jsm, stream)).map((info) => info.config);
}

/** Re-creates consumers, paused, on a freshly created mirror; positions start from the beginning. */
export async function restoreConsumers(session: Session, stream: string, configs: ConsumerConfig[]): Promise<void> {
  for (const config of configs) {
    const metadata = userMetadata(config.metadata);
    delete metadata[MetadataKeys.positionedAt];
    const declared = metadata[MetadataKeys.deliverPolicy] ?? config.deliver_policy;
    const fresh: Partial<ConsumerConfig> = { ...config, deliver_policy: declared as ConsumerConfig["deliver_policy"], metadata };
    delete fresh.opt_start_seq;
    delete fresh.opt_start_time;
    await session.jsm.consumers.add(stream, pausedWhileMirror(fresh));
  }
}
