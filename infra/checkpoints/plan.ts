// What a region's consumer checkpointer does, as pure values: the stream that keeps the peer's
// checkpoints here, and the script that sends this region's (docs/failover.md, "Consumer
// checkpoints"). Kubernetes runs the script in a Deployment; the drill, the lab and the tests run
// the same script beside their local servers.
import {
  ACK_STREAM,
  ackCaptureIdleSubject,
  ackCaptureSubject,
  CHECKPOINT_STREAM,
  checkpointRequestSubject,
  checkpointStreamSubjects,
  checkpointSubject,
  type StreamSpec,
} from "../../streams";
import type { PlannedStream } from "../streams/plan";

export interface CheckpointedConsumer {
  readonly stream: string;
  readonly consumer: string;
}

export interface CheckpointPlan {
  /** This region's JetStream domain: its checkpointer names it in every subject. */
  readonly domain: string;
  /** The other region's domain, whose checkpoints the stream here keeps. */
  readonly peerDomain: string;
  /** Canonical duration between two checkpoints of one consumer, e.g. "1s". */
  readonly interval: string;
  /** The durable consumers of the replicated streams, sorted. */
  readonly consumers: readonly CheckpointedConsumer[];
  /** The stream in this region that keeps the peer's checkpoints. */
  readonly stream: StreamSpec;
  /**
   * The stream in this region that captures the acknowledgements of those consumers whose stream
   * is a mirror here: the standby captures, the active region only keeps what it captured.
   */
  readonly ackStream: StreamSpec;
}

/**
 * The checkpoints of a region, or undefined when it has no replicated stream with a consumer (or
 * checkpoints are off). The checkpoint stream keeps one message per consumer (the last), with as
 * many replicas as the most replicated stream it serves.
 */
export function planCheckpoints(input: {
  readonly domain: string;
  readonly enabled: boolean;
  readonly interval: string;
  readonly streams: readonly PlannedStream[];
}): CheckpointPlan | undefined {
  const replicated = input.streams.filter((stream) => stream.replicated && stream.peerDomain !== undefined);
  const consumers = replicated
    .flatMap((stream) => stream.consumers.map((consumer) => ({ stream: stream.name, consumer: consumer.name })))
    .sort((a, b) => compare(`${a.stream}.${a.consumer}`, `${b.stream}.${b.consumer}`));
  const peerDomain = replicated[0]?.peerDomain;
  if (!input.enabled || consumers.length === 0 || peerDomain === undefined) return undefined;
  const replicas = Math.max(...replicated.map((stream) => stream.spec.replicas));
  const mirrored = new Set(replicated.filter((stream) => stream.role === "mirror").map((stream) => stream.name));
  return {
    domain: input.domain,
    peerDomain,
    interval: input.interval,
    consumers,
    stream: checkpointStreamSpec(peerDomain, replicas),
    ackStream: ackStreamSpec(
      input.domain,
      consumers.filter((consumer) => mirrored.has(consumer.stream)),
      replicas,
    ),
  };
}

/**
 * What each of a region's two support streams (the checkpoints and the acknowledgement capture)
 * may hold: JetStream reserves it on the servers when it creates them, so it is small, and the
 * capacity check counts it (infra/config/capacity.ts).
 */
export const SUPPORT_STREAM_MAX_BYTES = "64Mi";

/**
 * How long captured acknowledgements are kept: an unplanned promotion needs those above a floor
 * held by a delivery lost in flight, which lasts up to that consumer's `ackWait` (30 s by
 * default) and longer while the message keeps failing; older ones only cost space.
 */
export const ACK_CAPTURE_MAX_AGE = "5m";

/**
 * The acknowledgement capture (streams/capturedAcks.ts): one subject filter per consumer whose
 * stream this region mirrors, and none where it holds the primaries. Only a standby's promotion
 * reads the capture; in the active region, which serves the traffic, it stored every
 * acknowledgement of its own consumers three times for nothing (in the drill, 200 messages/s and
 * three consumers, a quarter of the six servers' CPU: 1.09 cores before, 0.84 after). A flip
 * moves the capture with the roles (a change of subjects, an update in place): what the promoted
 * region captured stays for its promotion, and the demoted region captures once its stack has
 * run. `no_ack`
 * (the server requires it under `$JS.`; a publisher asking for a confirmation must get the
 * consumer's, not the stream's), as many replicas as the streams it serves. With one, a drill
 * that killed the server holding it had the region's stream listings time out (the drill's
 * node-loss scenario failed on it), and the acknowledgements that matter most, those sent while a
 * server is lost, went with it.
 */
function ackStreamSpec(domain: string, captured: readonly CheckpointedConsumer[], replicas: number): StreamSpec {
  return {
    name: ACK_STREAM,
    subjects:
      captured.length === 0
        ? [ackCaptureIdleSubject(domain)]
        : captured.map((consumer) => ackCaptureSubject(consumer.stream, consumer.consumer)),
    description:
      "nats-dr: the acknowledgements of the catalog consumers, so an unplanned promotion here does not deliver them again",
    storage: "file",
    replicas,
    retention: "limits",
    discard: "old",
    maxAge: ACK_CAPTURE_MAX_AGE,
    // JetStream reserves maxBytes on the server when it creates the stream: small, like the
    // checkpoint stream's. About 100 bytes per acknowledgement, so some 600,000 of them; past
    // that the oldest go first, which only the oldest held floors could have needed.
    maxBytes: SUPPORT_STREAM_MAX_BYTES,
    maxMsgs: -1,
    maxMsgsPerSubject: -1,
    maxMsgSize: "1Ki",
    // The server sets its default window for 0 (2m): declared as it reads back, so no drift.
    duplicateWindow: "2m",
    denyDelete: false,
    denyPurge: false,
    allowDirect: true,
    compression: "none",
    noAck: true,
  };
}

function checkpointStreamSpec(peerDomain: string, replicas: number): StreamSpec {
  return {
    name: CHECKPOINT_STREAM,
    subjects: checkpointStreamSubjects(peerDomain),
    description: `nats-dr: the last consumer positions of domain ${peerDomain}, for an unplanned promotion here`,
    storage: "file",
    replicas,
    retention: "limits",
    discard: "old",
    // No age limit: a checkpoint whose checkpointer stopped is an older floor, still safe to use.
    maxAge: "0",
    maxBytes: SUPPORT_STREAM_MAX_BYTES,
    maxMsgs: -1,
    maxMsgsPerSubject: 1,
    maxMsgSize: "1Mi",
    duplicateWindow: "2m",
    denyDelete: false,
    denyPurge: false,
    allowDirect: true,
    compression: "none",
  };
}

/** A count no run reaches: `nats pub` stops after it, and the loop starts it again. */
const FOREVER = 1_000_000_000;

/**
 * The `nats` arguments of one consumer's checkpoints (connection from NATS_URL, NATS_USER, ...):
 * every interval the consumer-info request, answered by the server to the checkpoint subject that
 * the peer's checkpoint stream captures across the leafnode.
 */
export function checkpointerArgs(plan: CheckpointPlan, consumer: CheckpointedConsumer): string[] {
  return [
    "pub",
    checkpointRequestSubject(consumer.stream, consumer.consumer),
    "",
    "--reply",
    checkpointSubject(plan.domain, consumer.stream, consumer.consumer),
    "--count",
    String(FOREVER),
    "--sleep",
    plan.interval,
    "--no-templates",
    "--quiet",
  ];
}

/** Quotes for sh: names are letters, digits, "-", "_" (checked by the schemas), subjects add "." and "$". */
function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The checkpointer: one `nats pub` loop per consumer, each restarted a second after it ends (a
 * lost connection, a server restart). Runs with sh and the nats CLI (the nats-box image).
 */
export function renderCheckpointerScript(plan: CheckpointPlan): string {
  const loops = plan.consumers.map(
    (consumer) =>
      `while :; do nats ${checkpointerArgs(plan, consumer).map(quote).join(" ")} >/dev/null; sleep 1; done &`,
  );
  return [
    "#!/bin/sh",
    `# nats-dr consumer checkpointer of domain ${plan.domain} (generated by infra/checkpoints/plan.ts).`,
    `# Every ${plan.interval}, per consumer: the server answers its consumer info to natsdr.checkpoints.${plan.domain}.<stream>.<consumer>,`,
    `# which the ${CHECKPOINT_STREAM} stream of domain ${plan.peerDomain} keeps. Connection: NATS_URL, NATS_USER, ...`,
    "set -u",
    ...loops,
    "wait",
    "",
  ].join("\n");
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
