// The human status table of `npm run status`. Pure.
import { formatCount, formatTable } from "../report/table";
import type { RegionStatus } from "./collect";

function contact(ms: number | null): string {
  if (ms === null) return "never";
  return ms < 1000 ? `${ms} ms ago` : `${(ms / 1000).toFixed(1)} s ago`;
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
        ["server", "health", "name", "version", "rtt", "healthz"],
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
