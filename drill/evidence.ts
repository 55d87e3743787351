// The evidence auditors ask for, written as JSON files into the output dir: each region's streams
// (config, state, mirror info, cluster, consumers) before and after every scenario, the stacks'
// outputs (lastPromotion/lastDemotion/pendingOrphans per stream), the stack runs, and the
// sequence comparison between the regions.
import fs from "node:fs";
import path from "node:path";
import { jetstreamManager, type ConsumerInfo, type RetentionPolicy, type StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";

export interface StreamReport {
  readonly name: string;
  readonly role: "primary" | "mirror" | "fenced";
  readonly subjects: readonly string[];
  readonly mirror: {
    readonly name: string;
    readonly api: string;
    readonly lag: number;
    readonly activeMs: number | null;
  } | null;
  readonly metadata: Record<string, string>;
  readonly replicas: number;
  readonly state: {
    readonly messages: number;
    readonly bytes: number;
    readonly firstSeq: number;
    readonly lastSeq: number;
    readonly lastTime: string | null;
    readonly deleted: number;
  };
  /** What the stream keeps and how much of it is used: the runbook's retention report. */
  readonly retention: RetentionReport;
  /** When this copy of the stream was created (the server's `created`). */
  readonly created: string;
  readonly cluster: {
    readonly leader: string | null;
    readonly replicas: readonly { readonly name: string; readonly current: boolean; readonly lag: number | null }[];
  };
  readonly consumers: readonly ConsumerReport[];
}

export interface RetentionReport {
  readonly policy: RetentionPolicy;
  /** null: no limit. */
  readonly maxAgeMs: number | null;
  readonly maxBytes: number | null;
  readonly maxMsgs: number | null;
  /** Timestamp of the oldest message held; null when empty. */
  readonly firstTime: string | null;
  /** Age of the oldest message when the server answered; null when empty. */
  readonly oldestAgeMs: number | null;
}

export interface ConsumerReport {
  readonly name: string;
  readonly paused: boolean;
  readonly pending: number;
  readonly ackPending: number;
  readonly redelivered: number;
  readonly ackFloor: number;
  readonly delivered: number;
}

/** The role a stream plays, as nats-dr marks it. */
export function streamRole(info: StreamInfo): StreamReport["role"] {
  if (info.config.mirror) return "mirror";
  return info.config.metadata?.["natsdr.fenced-by"] !== undefined ? "fenced" : "primary";
}

export function consumerReport(info: ConsumerInfo): ConsumerReport {
  return {
    name: info.name,
    paused: info.paused ?? false,
    pending: info.num_pending,
    ackPending: info.num_ack_pending,
    redelivered: info.num_redelivered,
    ackFloor: info.ack_floor.stream_seq,
    delivered: info.delivered.stream_seq,
  };
}

const limitOrNull = (value: number | undefined) => (value === undefined || value <= 0 ? null : value);

/** A zero timestamp ("0001-01-01T00:00:00Z") is how the server says "no message". */
const timeOrNull = (value: string | undefined) => (!value || value.startsWith("0001-") ? null : value);

/**
 * The retention half of a stream's report. `now` is the server's time of the answer when it sent
 * one (StreamInfo.ts), so the age does not depend on this machine's clock.
 */
export function retentionReport(info: StreamInfo, now: number = Date.now()): RetentionReport {
  const firstTime = timeOrNull(info.state.first_ts);
  const serverNow = info.ts ? Date.parse(info.ts) : Number.NaN;
  const at = Number.isFinite(serverNow) ? serverNow : now;
  return {
    policy: info.config.retention,
    maxAgeMs: limitOrNull(info.config.max_age === undefined ? undefined : Math.round(info.config.max_age / 1e6)),
    maxBytes: limitOrNull(info.config.max_bytes),
    maxMsgs: limitOrNull(info.config.max_msgs),
    firstTime,
    oldestAgeMs: firstTime === null ? null : Math.max(0, at - Date.parse(firstTime)),
  };
}

export function streamReport(info: StreamInfo, consumers: readonly ConsumerInfo[], now?: number): StreamReport {
  const metadata = Object.fromEntries(
    Object.entries(info.config.metadata ?? {})
      .filter(([key]) => !key.startsWith("_nats"))
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  return {
    name: info.config.name,
    role: streamRole(info),
    subjects: info.config.subjects ?? [],
    mirror: info.config.mirror
      ? {
          name: info.config.mirror.name,
          api: info.config.mirror.external?.api ?? "",
          lag: info.mirror?.lag ?? 0,
          activeMs:
            info.mirror?.active === undefined || info.mirror.active < 0 ? null : Math.round(info.mirror.active / 1e6),
        }
      : null,
    metadata,
    replicas: info.config.num_replicas,
    state: {
      messages: info.state.messages,
      bytes: info.state.bytes,
      firstSeq: info.state.first_seq,
      lastSeq: info.state.last_seq,
      lastTime: timeOrNull(info.state.last_ts),
      deleted: info.state.num_deleted ?? 0,
    },
    retention: retentionReport(info, now),
    created: info.created,
    cluster: {
      leader: info.cluster?.leader ?? null,
      replicas: (info.cluster?.replicas ?? []).map((peer) => ({
        name: peer.name,
        current: peer.current,
        lag: peer.lag ?? null,
      })),
    },
    consumers: consumers.map(consumerReport).sort((a, b) => (a.name < b.name ? -1 : 1)),
  };
}

/** Every stream of `domain` (orphan streams included) with its consumers; throws when unreachable. */
export async function regionReport(nc: NatsConnection, domain: string, timeoutMs = 3000): Promise<StreamReport[]> {
  const jsm = await jetstreamManager(nc, { domain, timeout: timeoutMs, checkAPI: false });
  const reports: StreamReport[] = [];
  for await (const info of jsm.streams.list()) {
    const consumers: ConsumerInfo[] = [];
    for await (const consumer of jsm.consumers.list(info.config.name)) consumers.push(consumer);
    reports.push(streamReport(info, consumers));
  }
  return reports.sort((a, b) => (a.name < b.name ? -1 : 1));
}

export class EvidenceWriter {
  readonly files: string[] = [];
  constructor(readonly dir: string) {}

  write(name: string, value: unknown): string {
    const file = path.join(this.dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
    this.files.push(path.relative(this.dir, file));
    return file;
  }

  writeText(name: string, text: string): string {
    const file = path.join(this.dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    this.files.push(path.relative(this.dir, file));
    return file;
  }
}
