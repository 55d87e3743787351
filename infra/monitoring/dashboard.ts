// The Grafana dashboard of nats-dr as code: cluster health per region, replication, traffic,
// consumers, storage, resources and the failover state, over the series of metrics.ts. The same
// dashboard in both stacks (a `region` variable picks the regions), deterministic JSON. Pure.
import { MIRROR_FEED } from "../../streams/wire";
import { ExporterMetrics as M, KEPT_STREAM_PATTERN, RecordedSeries as R } from "./metrics";

/** Grafana's uid of the dashboard; the same in both regions so links between them work. */
export const DASHBOARD_UID = "nats-dr";

export interface PanelQuery {
  readonly expr: string;
  readonly legend: string;
  /** A table of the current values instead of a time series. */
  readonly instant?: boolean;
}

interface PanelSpec {
  readonly title: string;
  readonly type: "timeseries" | "stat" | "table";
  readonly unit: string;
  readonly description: string;
  readonly queries: readonly PanelQuery[];
}

interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

const region = `region=~"$region"`;
const leader = `${region},is_stream_leader="true"`;
const consumerLeader = `${region},is_consumer_leader="true"`;
const byStream = "{{region}} {{stream_name}}";
const byConsumer = "{{region}} {{stream_name}}/{{consumer_name}}";
const byServer = "{{region}} {{server_id}}";

function panel(
  title: string,
  type: PanelSpec["type"],
  unit: string,
  description: string,
  ...queries: PanelQuery[]
): PanelSpec {
  return { title, type, unit, description, queries };
}

/** The rows and panels, in display order. */
export function dashboardRows(): RowSpec[] {
  return [
    {
      title: "Cluster health",
      panels: [
        panel("Servers answering", "stat", "none", "Servers whose /healthz answers, per region.", {
          expr: `count by (region) (${M.healthStatus}{${region},value!="unreachable"})`,
          legend: "{{region}}",
        }),
        panel("Servers healthy", "stat", "none", "Servers whose /healthz says ok (JetStream current).", {
          expr: `sum by (region) (${M.healthStatus}{${region}})`,
          legend: "{{region}}",
        }),
        panel("JetStream meta leader", "stat", "none", "Servers that are the meta leader: 1 per region.", {
          expr: `count by (region) (${M.serverStreams}{${region},is_meta_leader="true"})`,
          legend: "{{region}}",
        }),
        panel("Leafnode connections", "timeseries", "none", "The link between the regions; 0 means cut.", {
          expr: `sum by (region) (${M.leafnodes}{${region}})`,
          legend: "{{region}}",
        }),
        panel("Leafnode round trip", "timeseries", "s", "RTT of each server's leafnode connection.", {
          expr: `max by (region, server_id) (${M.leafnodeRtt}{${region}})`,
          legend: byServer,
        }),
      ],
    },
    {
      title: "Replication",
      panels: [
        panel("Mirror lag (messages)", "timeseries", "none", "Messages each mirror is behind its primary.", {
          expr: `max by (region, stream_name) (${M.mirrorLag}{${leader}})`,
          legend: byStream,
        }),
        panel("Mirror lag (time, estimate)", "timeseries", "s", "Lag over the rate the mirror receives messages.", {
          expr: `${R.mirrorLagSeconds}{${region}}`,
          legend: byStream,
        }),
        panel("Mirror last contact", "timeseries", "s", "Time since the mirror heard from its origin.", {
          expr: `max by (region, stream_name) (${M.mirrorActive}{${leader}}) / 1e9`,
          legend: byStream,
        }),
      ],
    },
    {
      title: "Traffic",
      panels: [
        panel(
          "Messages per second (servers)",
          "timeseries",
          "short",
          "Messages the servers receive and send.",
          { expr: `sum by (region) (rate(${M.inMessages}{${region}}[$__rate_interval]))`, legend: "{{region}} in" },
          { expr: `sum by (region) (rate(${M.outMessages}{${region}}[$__rate_interval]))`, legend: "{{region}} out" },
        ),
        panel("Messages stored per second (streams)", "timeseries", "short", "Growth of each stream's last sequence.", {
          expr: `max by (region, stream_name) (rate(${M.streamLastSeq}{${leader}}[$__rate_interval]))`,
          legend: byStream,
        }),
      ],
    },
    {
      title: "Consumers",
      panels: [
        panel("Consumer pending", "timeseries", "none", "Messages not yet delivered to each consumer.", {
          expr: `max by (region, stream_name, consumer_name) (${M.consumerPending}{${consumerLeader}})`,
          legend: byConsumer,
        }),
        panel("Consumer ack pending", "timeseries", "none", "Messages delivered and not yet acknowledged.", {
          expr: `max by (region, stream_name, consumer_name) (${M.consumerAckPending}{${consumerLeader}})`,
          legend: byConsumer,
        }),
        panel("Consumer redeliveries", "timeseries", "none", "Messages being redelivered.", {
          expr: `max by (region, stream_name, consumer_name) (${M.consumerRedelivered}{${consumerLeader}})`,
          legend: byConsumer,
        }),
      ],
    },
    {
      title: "Storage",
      panels: [
        panel("Stream size", "timeseries", "bytes", "Bytes each stream holds.", {
          expr: `max by (region, stream_name) (${M.streamBytes}{${leader}})`,
          legend: byStream,
        }),
        panel("Stream use of maxBytes", "timeseries", "percent", "Only streams with a maxBytes limit.", {
          expr: `max by (region, stream_name) (${M.streamBytes}{${leader}}) / max by (region, stream_name) (${M.streamLimitBytes}{${leader}} > 0) * 100`,
          legend: byStream,
        }),
        panel("File store use per server", "timeseries", "percent", "Of each server's max_file_store.", {
          expr: `${M.storeUsed}{${region}} / (${M.storeMax}{${region}} > 0) * 100`,
          legend: byServer,
        }),
      ],
    },
    {
      title: "Resources",
      panels: [
        panel("Memory", "timeseries", "bytes", "Resident memory of each server.", {
          expr: `${M.memory}{${region}}`,
          legend: byServer,
        }),
        panel("CPU", "timeseries", "percent", "CPU of each server, percent of one core.", {
          expr: `${M.cpu}{${region}}`,
          legend: byServer,
        }),
      ],
    },
    {
      title: "Failover state",
      panels: [
        panel("Stream roles (servers)", "table", "none", "What each region's servers hold: mirror or primary.", {
          expr: `${R.observedRole}{${region}}`,
          legend: byStream,
          instant: true,
        }),
        panel("Stream roles (stacks)", "table", "none", "What each region's stack declares.", {
          expr: `${R.declaredRole}{${region}}`,
          legend: byStream,
          instant: true,
        }),
        panel("activeRegion of each stack", "table", "none", "Different values: a failover is half done.", {
          expr: R.stackActiveRegion,
          legend: "{{region}}: {{active_region}}",
          instant: true,
        }),
        panel(
          "Streams primary in both regions",
          "table",
          "none",
          "A fenced old primary (planned failover whose second stack has not run) or a split brain.",
          {
            expr: `count by (stream_name) (${R.observedRole}{role="primary"}) > 1`,
            legend: "{{stream_name}}",
            instant: true,
          },
        ),
        panel("Kept messages waiting (orphans, diverged)", "table", "none", "Streams an operator must handle.", {
          expr: `max by (region, stream_name) (${M.streamMessages}{${leader},stream_name=~"${KEPT_STREAM_PATTERN}"}) > 0`,
          legend: byStream,
          instant: true,
        }),
        panel(
          "Mirror feed pending",
          "timeseries",
          "none",
          `Messages a primary keeps for its mirror (${MIRROR_FEED}).`,
          {
            expr: `max by (region, stream_name) (${M.consumerPending}{${consumerLeader},consumer_name="${MIRROR_FEED}"})`,
            legend: byStream,
          },
        ),
      ],
    },
  ];
}

/** Every query of the dashboard (for the tests and docs). */
export function dashboardQueries(): PanelQuery[] {
  return dashboardRows().flatMap((row) => row.panels.flatMap((p) => p.queries));
}

const datasource = { type: "prometheus", uid: "${datasource}" };
const WIDTH = 24;

/** The dashboard JSON object Grafana imports. */
export function renderDashboard(): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of dashboardRows()) {
    panels.push({ id: id++, type: "row", title: row.title, collapsed: false, gridPos: { h: 1, w: WIDTH, x: 0, y } });
    y += 1;
    const width = Math.floor(WIDTH / row.panels.length);
    row.panels.forEach((spec, index) => {
      panels.push({
        id: id++,
        type: spec.type,
        title: spec.title,
        description: spec.description,
        datasource,
        gridPos: { h: 8, w: width, x: index * width, y },
        fieldConfig: { defaults: { unit: spec.unit }, overrides: [] },
        options: {},
        targets: spec.queries.map((query, ref) => ({
          refId: String.fromCharCode(65 + ref),
          datasource,
          expr: query.expr,
          legendFormat: query.legend,
          ...(query.instant ? { instant: true, range: false, format: "table" } : {}),
        })),
      });
    });
    y += 8;
  }
  return {
    uid: DASHBOARD_UID,
    title: "nats-dr",
    description: "NATS JetStream in two regions: health, replication, consumers, storage and failover state.",
    tags: ["nats", "jetstream", "nats-dr"],
    editable: false,
    schemaVersion: 39,
    time: { from: "now-6h", to: "now" },
    refresh: "30s",
    timezone: "utc",
    templating: {
      list: [
        { name: "datasource", label: "Prometheus", type: "datasource", query: "prometheus" },
        {
          name: "region",
          label: "Region",
          type: "query",
          datasource,
          query: `label_values(${M.memory}, region)`,
          refresh: 2,
          multi: true,
          includeAll: true,
          allValue: ".*",
        },
      ],
    },
    panels,
  };
}

/** The dashboard as the ConfigMap's file: sorted keys, two-space indent. */
export function renderDashboardJson(): string {
  return `${JSON.stringify(sortKeys(renderDashboard()), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, inner]) => [key, sortKeys(inner)]),
    );
  }
  return value;
}
