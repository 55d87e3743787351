// The human status table of `npm run status`. Pure.
import { formatCount, formatTable } from "../report/table";
import type { StreamReport } from "../evidence";
import type { FileStoreUse, RegionStatus } from "./collect";

function contact(ms: number | null): string {
  if (ms === null) return "never";
  return ms < 1000 ? `${ms} ms ago` : `${(ms / 1000).toFixed(1)} s ago`;
}

const BINARY_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** 1536 -> "1.5 KiB": sizes to read, not to paste into config (that is streams/units formatSize). */
export function readableBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BINARY_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${BINARY_UNITS[unit]}`;
}

/** 5400000 -> "1.5 h". */
export function readableAge(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

/** "42%", or "-" without a limit. Over 80% (the alert's threshold) is marked. */
function share(value: number | null, limit: number | null): string {
  if (value === null || limit === null || limit <= 0) return "-";
  const percent = Math.round((value / limit) * 100);
  return percent > 80 ? `${percent}% !` : `${percent}%`;
}

function storeCells(store: FileStoreUse | undefined): string[] {
  if (store === undefined) return ["-", "-", "-"];
  return [
    readableBytes(store.usedBytes),
    `${readableBytes(store.reservedBytes)} (${share(store.reservedBytes, store.limitBytes)})`,
    readableBytes(store.limitBytes),
  ];
}

function retentionRows(streams: readonly StreamReport[]): string[][] {
  return streams.map((stream) => {
    const { retention } = stream;
    return [
      stream.name,
      retention.policy,
      readableBytes(stream.state.bytes),
      retention.maxBytes === null ? "unlimited" : readableBytes(retention.maxBytes),
      share(stream.state.bytes, retention.maxBytes),
      retention.oldestAgeMs === null ? "-" : readableAge(retention.oldestAgeMs),
      retention.maxAgeMs === null ? "unlimited" : readableAge(retention.maxAgeMs),
      share(retention.oldestAgeMs, retention.maxAgeMs),
    ];
  });
}

export function renderStatus(status: readonly RegionStatus[]): string {
  const lines: string[] = [];
  for (const region of status) {
    const healthy = region.servers.filter((server) => server.ok).length;
    lines.push(
      `${region.region} (JetStream domain ${region.domain}): ${healthy}/${region.servers.length} servers answer`,
    );
    const monitorOf = (index: number) => region.monitors[index];
    lines.push(
      ...formatTable(
        ["server", "health", "name", "version", "rtt", "healthz", "store used", "reserved", "store limit"],
        region.servers.map((server, index) => {
          const monitor = monitorOf(index);
          return [
            server.url,
            server.ok ? "ok" : "DOWN",
            server.name ?? "-",
            server.version ?? "-",
            server.rttMs === undefined ? "-" : `${server.rttMs} ms`,
            monitor === undefined
              ? "-"
              : monitor.ok
                ? "200 ok"
                : `${monitor.httpStatus ?? "no answer"} ${monitor.detail}`.trim(),
            ...storeCells(monitor?.store),
          ];
        }),
      ).map((line) => `  ${line}`),
    );
    for (const server of region.servers) if (!server.ok) lines.push(`  ${server.url}: ${server.error}`);
    if (region.error !== undefined) {
      lines.push(`  streams: unavailable: ${region.error}`, "");
      continue;
    }
    lines.push("");
    lines.push(
      ...formatTable(
        ["stream", "role", "messages", "last seq", "mirror lag", "last contact", "leader"],
        region.streams.map((stream) => [
          stream.name,
          stream.role,
          formatCount(stream.state.messages),
          formatCount(stream.state.lastSeq),
          stream.mirror ? formatCount(stream.mirror.lag) : "-",
          stream.mirror ? contact(stream.mirror.activeMs) : "-",
          stream.cluster.leader ?? "-",
        ]),
      ).map((line) => `  ${line}`),
    );
    for (const finding of region.findings ?? [])
      lines.push(
        `  BROKEN mirror ${finding.stream}: ${finding.problem}. Run \`pulumi up --refresh\` in the ${region.region} ` +
          `stack: it keeps the mirror's messages aside and creates the mirror again (docs/failover.md).`,
      );
    if (region.streams.length > 0) {
      lines.push("");
      lines.push(
        ...formatTable(
          ["stream", "policy", "bytes", "max bytes", "of max", "oldest", "max age", "of max"],
          retentionRows(region.streams),
        ).map((line) => `  ${line}`),
      );
    }
    const consumers = region.streams.flatMap((stream) =>
      stream.consumers.map((consumer) => ({ stream: stream.name, consumer })),
    );
    if (consumers.length > 0) {
      lines.push("");
      lines.push(
        ...formatTable(
          ["consumer", "stream", "pending", "ack pending", "ack floor", "redelivered", "paused"],
          consumers.map(({ stream, consumer }) => [
            consumer.name,
            stream,
            formatCount(consumer.pending),
            formatCount(consumer.ackPending),
            formatCount(consumer.ackFloor),
            formatCount(consumer.redelivered),
            consumer.paused ? "yes" : "no",
          ]),
        ).map((line) => `  ${line}`),
      );
    }
    lines.push("");
  }
  return `${lines.join("\n").trimEnd()}\n`;
}
