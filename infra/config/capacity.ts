// Whether the catalog fits the region's JetStream file store. JetStream reserves each stream's
// maxBytes (times its replicas) when it creates the stream and refuses a stream that does not fit
// ("insufficient storage resources available", 10047), so a catalog larger than the servers'
// `max_file_store` fails in the middle of `pulumi up`, after some streams exist and others not.
// This check runs before anything is registered. Orphan and diverged copies (a demotion or a
// mirror repair keeps messages in them) are sized to what they hold once the copy is done
// (streams/orphans.ts) and reserve that: `orphanHeadroom` keeps room for them, so the mirror the
// demotion re-creates still fits beside them. The region's two support streams (checkpoints and
// the acknowledgement capture, 64 MiB each) are counted where the stack declares them.
import { isPlainObject } from "../catalog/merge";
import { SUPPORT_STREAM_MAX_BYTES } from "../checkpoints/plan";
import type { Issue } from "./problems";
import { quantityBytes } from "./quantity";
import { ACK_STREAM, CHECKPOINT_STREAM, parseSize } from "../../streams";

const GIB = 1024 ** 3;

/** "90Gi", "12.5Gi" or "512Mi": sizes as a person reads them. Pure. */
export function readableBytes(bytes: number): string {
  if (bytes >= GIB) return `${Number((bytes / GIB).toFixed(1))}Gi`;
  return `${Number((bytes / 1024 ** 2).toFixed(1))}Mi`;
}

/** Whether a catalog stream of `replication` exists in `region`. Pure. */
function livesIn(replication: unknown, region: string): boolean {
  return !isPlainObject(replication) || replication["kind"] !== "home" || replication["homeRegion"] === region;
}

/** Whole GiB at least `bytes`, for a size to write into the config. Pure. */
function wholeGi(bytes: number): string {
  return `${Math.ceil(bytes / GIB)}Gi`;
}

/** One stream's reservation on each server of a region. */
export interface Placed {
  readonly stream: string;
  /** Bytes reserved on each server: maxBytes times its share of the replicas. */
  readonly bytesPerServer: number;
}

/**
 * What the streams of `region` reserve on each of its `servers`: maxBytes x min(replicas,
 * servers) / servers, largest first. Streams without maxBytes reserve nothing. Pure.
 */
export function placedStreams(
  streams: readonly { spec: { name: string; replicas: number; maxBytes: string }; replication: unknown }[],
  region: string,
  servers: number,
): Placed[] {
  return streams
    .filter(({ replication }) => livesIn(replication, region))
    .flatMap(({ spec }) => {
      const size = parseSize(spec.maxBytes);
      if ("error" in size || size.bytes <= 0) return [];
      return [{ stream: spec.name, bytesPerServer: (size.bytes * Math.min(spec.replicas, servers)) / servers }];
    })
    .sort((a, b) => b.bytesPerServer - a.bytesPerServer || (a.stream < b.stream ? -1 : 1));
}

/**
 * What the support streams reserve on each server of a region: the stack declares the checkpoint
 * stream and the acknowledgement capture when checkpoints are on and a replicated stream (it lives
 * in both regions) has a catalog consumer, each with the replicas of the most replicated stream
 * (infra/checkpoints/plan.ts). Pure.
 */
export function supportStreams(
  streams: readonly { spec: { name: string; replicas: number }; replication: unknown }[],
  consumers: readonly { stream: string }[],
  checkpointsEnabled: boolean,
  servers: number,
): Placed[] {
  const replicated = streams.filter(
    ({ replication }) => isPlainObject(replication) && replication["kind"] === "cross-region",
  );
  const read = new Set(consumers.map((consumer) => consumer.stream));
  if (!checkpointsEnabled || !replicated.some(({ spec }) => read.has(spec.name))) return [];
  const replicas = Math.max(...replicated.map(({ spec }) => spec.replicas));
  const size = parseSize(SUPPORT_STREAM_MAX_BYTES);
  if ("error" in size) return [];
  const bytesPerServer = (size.bytes * Math.min(replicas, servers)) / servers;
  return [CHECKPOINT_STREAM, ACK_STREAM].map((stream) => ({ stream, bytesPerServer }));
}

/** The region's file store per server, from nats-dr:kubernetes as parsed or raw. */
function fileStore(kubernetes: Record<string, unknown>) {
  const bytesOf = (value: unknown, fallback: string) => {
    const parsed = quantityBytes(typeof value === "string" ? value : fallback);
    return "bytes" in parsed ? parsed.bytes : undefined;
  };
  const jetstream = isPlainObject(kubernetes["jetstream"]) ? kubernetes["jetstream"] : {};
  const storage = bytesOf(kubernetes["storageSize"], "100Gi");
  const explicitMaxFile = typeof jetstream["maxFile"] === "string" ? bytesOf(jetstream["maxFile"], "") : undefined;
  const maxFile = explicitMaxFile ?? (storage === undefined ? undefined : Math.floor(storage * 0.9));
  const headroom =
    typeof jetstream["orphanHeadroom"] === "string"
      ? bytesOf(jetstream["orphanHeadroom"], "")
      : maxFile === undefined
        ? undefined
        : Math.floor(maxFile * 0.05);
  return { maxFile, headroom, maxFileSet: explicitMaxFile !== undefined };
}

/** The region, its catalog streams and its server count, when the stack runs the servers. */
function regionServers(value: unknown) {
  if (!isPlainObject(value) || !isPlainObject(value["kubernetes"])) return undefined;
  const region = value["region"];
  const catalog = value["catalog"];
  if (typeof region !== "string" || !isPlainObject(catalog) || !Array.isArray(catalog["streams"])) return undefined;
  const kubernetes = value["kubernetes"];
  const servers =
    typeof kubernetes["replicas"] === "number" && kubernetes["replicas"] >= 1 ? kubernetes["replicas"] : 3;
  const consumers = Array.isArray(catalog["consumers"]) ? (catalog["consumers"] as { stream: string }[]) : [];
  const checkpoints = value["checkpoints"];
  const checkpointsEnabled = !isPlainObject(checkpoints) || checkpoints["enabled"] !== false;
  return {
    region,
    kubernetes,
    servers,
    streams: catalog["streams"] as Parameters<typeof placedStreams>[0],
    consumers,
    checkpointsEnabled,
  };
}

/**
 * A stream cannot have more replicas than the region has servers: the server refuses it in the
 * middle of `pulumi up` ("replicas > 1 not supported in non-clustered mode", or no placement in
 * a cluster). Checked where nats-dr:kubernetes.replicas says how many servers run. Pure.
 */
export function replicaIssues(value: unknown): Issue[] {
  const known = regionServers(value);
  if (known === undefined) return [];
  const { region, servers, streams } = known;
  return streams
    .filter(({ spec, replication }) => spec.replicas > servers && livesIn(replication, region))
    .map(({ spec }) => ({
      path: ["catalog", "streams", spec.name, "replicas"],
      message: `is ${spec.replicas} but ${region} runs ${servers} NATS server${servers === 1 ? "" : "s"} (nats-dr:kubernetes.replicas); a stream cannot have more replicas than servers, and nats-server would refuse it in the middle of pulumi up. Lower replicas to ${servers} or fewer, or raise nats-dr:kubernetes.replicas`,
    }));
}

/** nats-dr:kubernetes servers hold the region's catalog streams plus orphanHeadroom. Pure. */
export function capacityIssues(value: unknown): Issue[] {
  const known = regionServers(value);
  if (known === undefined) return [];
  const { region, kubernetes, servers } = known;
  const { maxFile, headroom, maxFileSet } = fileStore(kubernetes);
  if (maxFile === undefined || headroom === undefined) return [];
  const placed = [
    ...placedStreams(known.streams, region, servers),
    ...supportStreams(known.streams, known.consumers, known.checkpointsEnabled, servers),
  ];
  const reserved = placed.reduce((sum, entry) => sum + entry.bytesPerServer, 0);
  if (reserved + headroom <= maxFile) return [];
  const listed = placed.map((entry) => `${entry.stream} ${readableBytes(entry.bytesPerServer)}`).join(", ");
  const store = maxFileSet
    ? `jetstream.maxFile is ${readableBytes(maxFile)}`
    : `jetstream.maxFile is ${readableBytes(maxFile)} (90% of storageSize)`;
  return [
    {
      path: ["kubernetes", maxFileSet ? "jetstream" : "storageSize", ...(maxFileSet ? ["maxFile"] : [])],
      message:
        `is too small for the catalog in ${region}: ${store} per server, but the streams placed on each of its ${servers} servers reserve ${readableBytes(reserved)} (${listed}; maxBytes times the share of replicas) and jetstream.orphanHeadroom keeps ${readableBytes(headroom)} free for orphan copies. ` +
        `JetStream reserves a stream's maxBytes when it creates it, so the last streams would fail to create. ` +
        (maxFileSet
          ? `Raise nats-dr:kubernetes.jetstream.maxFile to at least ${wholeGi(reserved + headroom)} (and storageSize with it)`
          : `Raise nats-dr:kubernetes.storageSize to at least ${wholeGi((reserved + headroom) / 0.9)}`) +
        `, lower maxBytes of streams under nats-dr:catalog.streams, or lower jetstream.orphanHeadroom`,
    },
  ];
}
