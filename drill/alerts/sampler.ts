// The drill's Prometheus: one exporter (the pods' prometheus-nats-exporter, started with the
// StatefulSet's arguments) beside each local server, scraped every second with the labels our
// PodMonitor adds, so the alert rules can be run over what the drill's servers reported.
import { spawn, type ChildProcess } from "node:child_process";
import { exporterArgs } from "../../infra/kubernetes/statefulSetSpec";
import { ExporterMetrics } from "../../infra/monitoring/metrics";
import { natsExporterBinary } from "../local/binaries";
import { orphanSafeCommand, regionNiceness, trackChild } from "../local/cleanup";
import { waitFor } from "../local/wait";
import { freePorts } from "../local/ports";
import type { LocalRegions } from "../local/regions";
import { parseExposition, type Sample } from "./exposition";

export interface MetricsSnapshot {
  /** ms since the drill started. */
  readonly at: number;
  readonly samples: readonly Sample[];
}

interface Target {
  readonly region: string;
  readonly pod: string;
  readonly port: number;
}

const USED: ReadonlySet<string> = new Set(Object.values(ExporterMetrics));
export const SCRAPE_INTERVAL_MS = 1000;

export class AlertSampler {
  readonly snapshots: MetricsSnapshot[] = [];
  private timer: NodeJS.Timeout | undefined;
  private scraping = false;

  private constructor(
    private readonly targets: readonly Target[],
    private readonly children: readonly ChildProcess[],
    private readonly clock: () => number,
  ) {}

  /** Starts an exporter per server of both regions and scrapes them every second. */
  static async start(local: LocalRegions, clock: () => number): Promise<AlertSampler> {
    const binary = natsExporterBinary();
    const servers = Object.values(local.regions).flatMap((region) =>
      region.monitorUrls.map((url, index) => ({ region: region.region, pod: `nats-${index}`, url })),
    );
    const ports = await freePorts(servers.length);
    const children = servers.map((server, index) => {
      const command = orphanSafeCommand(
        binary,
        exporterArgs({ metricsPort: ports[index]!, monitorUrl: server.url }),
        regionNiceness(),
      );
      const child = spawn(command.file, command.args, { stdio: "ignore" });
      trackChild(child);
      return child;
    });
    const sampler = new AlertSampler(
      servers.map((server, index) => ({ region: server.region, pod: server.pod, port: ports[index]! })),
      children,
      clock,
    );
    // An exporter reads its server once before it serves metrics; the timeline starts when all do.
    await waitFor(
      "every exporter beside the drill's servers to answer",
      async () =>
        (await sampler.collect()).every((samples) => samples.some((s) => s.name === ExporterMetrics.serverStreams)),
      { timeoutMs: 30_000, intervalMs: 250 },
    ).catch((error: unknown) => {
      sampler.stop();
      throw error;
    });
    sampler.timer = setInterval(() => void sampler.scrape(), SCRAPE_INTERVAL_MS);
    return sampler;
  }

  /** One scrape of every exporter, with the labels our PodMonitor adds; [] for one that does not answer. */
  private collect(): Promise<Sample[][]> {
    return Promise.all(
      this.targets.map(async (target) => {
        try {
          const response = await fetch(`http://127.0.0.1:${target.port}/metrics`, {
            signal: AbortSignal.timeout(SCRAPE_INTERVAL_MS),
          });
          return parseExposition(await response.text())
            .filter((sample) => USED.has(sample.name))
            .map((sample) => ({
              ...sample,
              labels: { ...sample.labels, region: target.region, namespace: "nats", pod: target.pod, job: "nats/nats" },
            }));
        } catch {
          // An exporter that does not answer gives no samples, as a failed scrape in Prometheus.
          return [];
        }
      }),
    );
  }

  private async scrape(): Promise<void> {
    // A scrape slower than the interval is not overtaken by the next one.
    if (this.scraping) return;
    this.scraping = true;
    const at = this.clock();
    try {
      const scraped = await this.collect();
      this.snapshots.push({ at, samples: scraped.flat() });
    } finally {
      this.scraping = false;
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const child of this.children) child.kill("SIGTERM");
  }
}
