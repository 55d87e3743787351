// The series the alert rules and the dashboard read, from the real exporter the pods run
// (prometheus-nats-exporter v0.20.1, built by setup, started with the StatefulSet's arguments)
// in front of real nats-servers: two clustered domains with a cross-domain mirror and consumers.
// Its output then goes through the rules with the real promtool: silent while the region is
// healthy, NatsDrLeafnodeDown once the leafnode is cut and NatsDrMirrorInactive 30 s later.
import { spawn, type ChildProcess } from "node:child_process";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { dump } from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultMonitoringConfig } from "../../infra/config";
import { exporterArgs } from "../../infra/kubernetes";
import { ExporterMetrics, alertNames, renderRuleGroups, renderRulesFile } from "../../infra/monitoring";
import type { RuleGroup } from "../../infra/monitoring";
import {
  DOMAINS,
  connectApp,
  freePorts,
  leafz,
  natsExporterBinary,
  orphanSafeCommand,
  startTwoDomains,
  trackChild,
  waitFor,
  type TwoDomains,
} from "../harness";
import { parseExposition, seriesText, type Sample } from "../../drill/alerts/exposition";
import { runPromtool } from "../monitoring/promtool";
import { alertRuleOf } from "../monitoring/scenarios";

const STREAM = "orders";
const CONSUMER = "orders-processor";
const REGION = "eu-central-1" as const;

let regions: TwoDomains;
let east: NatsConnection;
let west: NatsConnection;
let exporters: ChildProcess[] = [];
let metricsPorts: number[] = [];

async function scrape(index: number): Promise<Sample[]> {
  const response = await fetch(`http://127.0.0.1:${metricsPorts[index]!}/metrics`);
  return parseExposition(await response.text());
}

/** Every west exporter's samples, with the target labels our PodMonitor's Prometheus adds. */
async function scrapeRegion(): Promise<Sample[]> {
  const all = await Promise.all(metricsPorts.map((_, index) => scrape(index)));
  return all.flatMap((samples, index) =>
    samples
      .filter((sample) => sample.name.startsWith("nats_"))
      .map((sample) => ({
        ...sample,
        labels: { ...sample.labels, region: REGION, namespace: "nats", pod: `nats-${index}`, job: "nats/nats" },
      })),
  );
}

function rules(): RuleGroup[] {
  return renderRuleGroups({
    region: REGION,
    activeRegion: "us-east-1",
    replicas: 3,
    streams: [{ name: STREAM, role: "mirror" }],
    thresholds: defaultMonitoringConfig().thresholds,
    runbookUrl: "docs/monitoring.md",
  });
}

/** Runs promtool with the samples held for 11 minutes and the expected alerts at 10m15s. */
/** Expected alerts by name: their labels, and the summary as rendered when it is a template. */
type Expected = Readonly<Record<string, readonly { labels: Record<string, string>; summary?: string }[]>>;

function testRules(samples: readonly Sample[], expected: Expected) {
  const groups = rules();
  const regional = alertNames(groups).filter(
    (name) => !["NatsDrFailoverHalfDone", "NatsDrTwoPrimaries", "NatsDrNoPrimary"].includes(name),
  );
  const inputSeries = samples.map((sample) => ({
    series: seriesText(sample.name, sample.labels),
    values: `${sample.value}x44`,
  }));
  const tests = {
    rule_files: ["rules.yaml"],
    evaluation_interval: "15s",
    tests: [
      {
        interval: "15s",
        input_series: inputSeries,
        alert_rule_test: regional.map((alertname) => ({
          eval_time: "10m15s",
          alertname,
          exp_alerts: (expected[alertname] ?? []).map(({ labels, summary }) => {
            const annotations = alertRuleOf(groups, alertname).annotations;
            return { exp_labels: labels, exp_annotations: { ...annotations, summary: summary ?? annotations.summary } };
          }),
        })),
      },
    ],
  };
  return runPromtool(["test", "rules", "tests.yaml"], {
    "rules.yaml": renderRulesFile(groups),
    "tests.yaml": dump(tests, { lineWidth: -1, noRefs: true }),
  });
}

beforeAll(async () => {
  regions = await startTwoDomains({ clustered: true });
  east = await connectApp(regions.east.clientUrls);
  west = await connectApp(regions.west.clientUrls);
  const eastJsm: JetStreamManager = await jetstreamManager(east);
  const westJsm: JetStreamManager = await jetstreamManager(west);
  await eastJsm.streams.add({ name: STREAM, subjects: [`${STREAM}.>`], num_replicas: 3 });
  await eastJsm.consumers.add(STREAM, { durable_name: CONSUMER, ack_policy: "explicit" });
  await westJsm.streams.add({
    name: STREAM,
    num_replicas: 3,
    mirror: { name: STREAM, external: { api: `$JS.${DOMAINS.east}.API` } },
  });
  await westJsm.consumers.add(STREAM, { durable_name: CONSUMER, ack_policy: "explicit" });
  const js = eastJsm.jetstream();
  for (let i = 1; i <= 20; i++) await js.publish(`${STREAM}.created`, `order ${i}`);
  await waitFor(
    "the mirror to hold 20 messages",
    async () => (await westJsm.streams.info(STREAM)).state.messages === 20,
  );

  metricsPorts = await freePorts(regions.west.servers.length);
  exporters = regions.west.servers.map((server, index) => {
    const args = exporterArgs({
      metricsPort: metricsPorts[index]!,
      monitorUrl: `http://127.0.0.1:${server.monitorPort}`,
    });
    const command = orphanSafeCommand(natsExporterBinary(), args);
    const child = spawn(command.file, command.args, { stdio: "ignore" });
    trackChild(child);
    return child;
  });
  // Only the server leading the mirror reports its mirror state; every exporter answers by then.
  await waitFor(
    "the exporters to report the mirror",
    async () => (await scrapeRegion()).filter((s) => s.name === ExporterMetrics.mirrorLag).length === 1,
    { timeoutMs: 30_000 },
  );
}, 120_000);

afterAll(async () => {
  for (const child of exporters) child.kill("SIGTERM");
  await east?.close();
  await west?.close();
  await regions?.stop();
});

describe("exporter series", () => {
  it("the pinned exporter emits every series the rules and the dashboard read, labelled as they select", async () => {
    const samples = await scrapeRegion();
    const names = new Set(samples.map((sample) => sample.name));
    for (const name of Object.values(ExporterMetrics)) expect(names, name).toContain(name);

    const of = (name: string) => samples.filter((sample) => sample.name === name);
    // -use_internal_server_name: server_id is the server's name, stable across restarts.
    expect(of(ExporterMetrics.healthStatus).map((s) => [s.labels["server_id"], s.labels["value"], s.value])).toEqual(
      regions.west.servers.map((server) => [server.name, "ok", "1"]),
    );
    // One meta leader, named on every server; one leader of the mirror's raft group.
    expect(of(ExporterMetrics.serverStreams).filter((s) => s.labels["is_meta_leader"] === "true")).toHaveLength(1);
    // The mirror's lag and contact come from its leader only; the rules read leaders' series.
    const mirror = of(ExporterMetrics.mirrorLag);
    expect(mirror).toHaveLength(1);
    expect(mirror[0]!.labels).toMatchObject({
      stream_name: STREAM,
      is_stream_leader: "true",
      stream_leader: mirror[0]!.labels["server_name"],
      mirror_api: `$JS.${DOMAINS.east}.API`,
    });
    // Every replica reports the consumer, but only its leader has the real pending count (the
    // followers say 0): hence is_consumer_leader="true" in the rules and panels.
    const pending = of(ExporterMetrics.consumerPending).map((s) => [s.labels["is_consumer_leader"], s.value]);
    expect(pending.sort()).toEqual([
      ["false", "0"],
      ["false", "0"],
      ["true", "20"],
    ]);
    expect(of(ExporterMetrics.streamMessages).every((s) => s.labels["stream_leader"] !== "")).toBe(true);
    expect(of(ExporterMetrics.streamLimitBytes).every((s) => s.value === "-1")).toBe(true);
    expect(of(ExporterMetrics.leafnodes).map((s) => s.value)).toEqual(["1", "1", "1"]);
  });

  it("the region's alerts stay silent on its real healthy series", async () => {
    const result = testRules(await scrapeRegion(), {});
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  it("a cut leafnode shows in the real series: NatsDrLeafnodeDown, then NatsDrMirrorInactive", async () => {
    regions.relay.cut();
    try {
      await waitFor("the west leafnodes to drop", async () => {
        const counts = await Promise.all(regions.west.servers.map(async (s) => (await leafz(s.monitorPort)).leafnodes));
        return counts.every((count) => count === 0);
      });
      const cut = await scrapeRegion();
      const leafnodeDown = { labels: { severity: "critical", region: REGION } };
      expect(testRules(cut, { NatsDrLeafnodeDown: [leafnodeDown] }).output).toContain("SUCCESS");
      // The mirror's time since the last contact grows past thresholds.mirrorInactive (30 s).
      const inactiveNs = defaultMonitoringConfig().thresholds.mirrorInactive * 1e9;
      const stale = await waitFor(
        "the mirror to count as inactive",
        async () => {
          const samples = await scrapeRegion();
          const active = samples.find((sample) => sample.name === ExporterMetrics.mirrorActive);
          return active !== undefined && Number(active.value) > inactiveNs ? samples : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 1_000 },
      );
      const result = testRules(stale, {
        NatsDrLeafnodeDown: [leafnodeDown],
        NatsDrMirrorInactive: [
          {
            labels: { severity: "critical", region: REGION, stream_name: STREAM },
            summary: `mirror ${STREAM} in ${REGION} has no contact with its primary`,
          },
        ],
      });
      expect(result.output).toContain("SUCCESS");
      expect(result.status).toBe(0);
    } finally {
      regions.relay.heal();
    }
  }, 150_000);
});
