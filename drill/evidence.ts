// The evidence auditors ask for, written as JSON files into the output dir: each region's streams
// (config, state, mirror info, cluster, consumers) before and after every scenario, the stacks'
// outputs (lastPromotion/lastDemotion/pendingOrphans per stream), the stack runs, and the
// sequence comparison between the regions.
import fs from "node:fs";
import path from "node:path";
import { jetstreamManager, type ConsumerInfo, type StreamInfo } from "@nats-io/jetstream";
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
  readonly cluster: {
    readonly leader: string | null;
    readonly replicas: readonly { readonly name: string; readonly current: boolean; readonly lag: number | null }[];
  };
  readonly consumers: readonly ConsumerReport[];
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

export function streamReport(info: StreamInfo, consumers: readonly ConsumerInfo[]): StreamReport {
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
      lastTime: info.state.last_ts || null,
      deleted: info.state.num_deleted ?? 0,
    },
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
