// Command-line options of `npm run drill`, parsed and checked before anything starts. Pure.
import { parseArgs } from "node:util";
import { DEFAULT_REGION_PAIR, regionPairSchema, type RegionPair } from "../infra/config/regions";
import { scenarioOrder, type ScenarioId } from "./report/types";

export interface DrillOptions {
  /** In run order; unplanned and failback always come together. */
  readonly scenarios: readonly ScenarioId[];
  /** Seconds of load per scenario, split around its event. */
  readonly durationS: number;
  /** Acknowledged publishes per second to aim for, over all streams. */
  readonly rate: number;
  /** Message payload, bytes. */
  readonly size: number;
  /** Catalog streams to declare, or "all". */
  readonly streams: readonly string[] | "all";
  readonly outDir: string;
  readonly short: boolean;
  /** One-way delay on the leafnode link, ms. */
  readonly latencyMs: number;
  /**
   * Niceness of the regions' processes (servers, exporters, checkpointer): in production the
   * operator's `pulumi up` does not share their CPU, here it shares two cores with six servers.
   */
  readonly serverNice: number;
  /** How long the partition scenario keeps the link cut, s. */
  readonly partitionS: number;
  readonly cutMode: "reset" | "blackhole";
  /**
   * `pulumi up --refresh` on every run. Off by default: a failover is a plain `pulumi up`
   * (docs/failover.md, "Why `check`"), and a refresh puts every resource's read on the RTO.
   */
  readonly refresh: boolean;
  /** After the drill, keep the regions up and print how to run `npm run status` against them. */
  readonly keepRunning: boolean;
  /** Print the JSON report on stdout instead of the tables. */
  readonly json: boolean;
  /** Publishes in flight at most. */
  readonly window: number;
  /** maxBytes of each declared stream (the catalog's sizes exceed a laptop). */
  readonly streamMaxBytes: string;
  /** Route53 health-check failover delay after a region dies, ms. */
  readonly healthCheckMs: number;
  /** Mirror lag sampling interval, ms. */
  readonly sampleMs: number;
  /** The two regions the drill names its stacks, servers and domains after (`nats-dr:regionPair`). */
  readonly pair: RegionPair;
  /** `failover.unplannedConsumerRewind` of the stacks, e.g. "10s"; undefined: the product default. */
  readonly unplannedRewind?: string;
}

export const USAGE = `npm run drill -- [options]

Runs two local JetStream regions (3 nats-servers each, us-east-1 and eu-central-1 unless
--regions names others, joined by a leafnode through a relay), applies the stream catalog with the provider \`pulumi up\` runs, puts
load on it and runs failover scenarios, each judged against its targets.

  --scenarios LIST    comma-separated: ${scenarioOrder.join(", ")}
                      (default: planned,partition,node-loss,unplanned,failback; unplanned and
                      failback always run together; "all" adds steady)
  --duration S        seconds of load per scenario (default 8; --short: 3)
  --rate N            publishes per second over all streams (default 200; --short: 50)
  --size BYTES        message payload (default 256)
  --streams LIST      catalog streams, or "all" (default events,audit)
  --out DIR           output dir (default drill-output/<timestamp>)
  --short             one quick pass of each scenario at a small rate (CI)
  --latency MS        one-way delay on the leafnode link (default 45, about half the
                      us-east-1 <-> eu-central-1 round trip; 0 for plain loopback)
  --server-nice N     niceness of the regions' servers, exporters and checkpointer, 0-19
                      (default 19): in production the operator's pulumi up does not run on
                      the NATS nodes; 0 gives them the drill's own priority
  --partition S       seconds the partition scenario cuts the link (default duration/2)
  --cut-mode MODE     reset (connections refused) or blackhole (packets dropped); default reset
  --refresh           run the stacks with --refresh (reads every resource first)
  --keep-running      keep the regions up at the end and print the status command
  --json              print the JSON report on stdout instead of the tables
  --window N          publishes in flight at most (default 256)
  --stream-max-bytes SIZE  maxBytes of each stream (default 256Mi)
  --regions A,B       the project's two regions (nats-dr:regionPair), e.g. us-west-2,eu-west-1;
                      the first starts active (default us-east-1,eu-central-1)
  --unplanned-rewind DURATION  failover.unplannedConsumerRewind of the stacks (default: the
                      product's, "unlimited": consumers redeliver what they had not delivered)
  -h, --help          this text

Exit status: 0 when every scenario met its targets, 1 when one missed (the reasons are printed),
2 on bad options or when the drill could not run.`;

const DEFAULT_SCENARIOS: readonly ScenarioId[] = ["planned", "partition", "node-loss", "unplanned", "failback"];

function number(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max)
    throw new Error(`--${name} must be a number from ${min} to ${max}; got "${text}".`);
  return value;
}

function wholeNumber(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  const value = number(name, text, fallback, min, max);
  if (!Number.isInteger(value))
    throw new Error(`--${name} must be a whole number from ${min} to ${max}; got "${text}".`);
  return value;
}

/** Scenario list in run order; unplanned brings failback and the other way round. */
export function resolveScenarios(text: string | undefined): ScenarioId[] {
  if (text === undefined) return [...DEFAULT_SCENARIOS];
  const wanted = new Set<string>();
  for (const item of text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)) {
    if (item === "all") scenarioOrder.forEach((id) => wanted.add(id));
    else if ((scenarioOrder as readonly string[]).includes(item)) wanted.add(item);
    else throw new Error(`--scenarios: "${item}" is not a scenario; choose from ${scenarioOrder.join(", ")} or all.`);
  }
  if (wanted.size === 0) throw new Error(`--scenarios is empty; choose from ${scenarioOrder.join(", ")} or all.`);
  // The failback recovers what the unplanned failover left behind, and needs it to happen first.
  if (wanted.has("unplanned") || wanted.has("failback")) ["unplanned", "failback"].forEach((id) => wanted.add(id));
  return scenarioOrder.filter((id) => wanted.has(id));
}

/** --regions, checked by the same rules as nats-dr:regionPair. */
export function resolvePair(text: string | undefined): RegionPair {
  if (text === undefined) return DEFAULT_REGION_PAIR;
  const names = text
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const parsed = regionPairSchema().safeParse(names);
  if (parsed.success) return parsed.data;
  throw new Error(`--regions: ${parsed.error.issues.map((issue) => issue.message).join("; ")}.`);
}

function timestamp(now: Date): string {
  return now.toISOString().replace(/[:]/g, "-").replace(/\..+$/, "");
}

/** Options from argv, or the usage text for --help; throws a one-line error on a bad option. */
export function parseDrillArgs(argv: readonly string[], now = new Date()): DrillOptions | { help: string } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      scenarios: { type: "string" },
      duration: { type: "string" },
      rate: { type: "string" },
      size: { type: "string" },
      streams: { type: "string" },
      out: { type: "string" },
      short: { type: "boolean", default: false },
      latency: { type: "string" },
      "server-nice": { type: "string" },
      partition: { type: "string" },
      "cut-mode": { type: "string" },
      refresh: { type: "boolean", default: false },
      "keep-running": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      window: { type: "string" },
      "stream-max-bytes": { type: "string" },
      "unplanned-rewind": { type: "string" },
      regions: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return { help: USAGE };
  const short = values.short ?? false;
  const durationS = number("duration", values.duration, short ? 3 : 8, 1, 600);
  const cutMode = values["cut-mode"] ?? "reset";
  if (cutMode !== "reset" && cutMode !== "blackhole")
    throw new Error(`--cut-mode is reset or blackhole; got "${cutMode}".`);
  const streams =
    values.streams === undefined
      ? ["events", "audit"]
      : values.streams === "all"
        ? "all"
        : values.streams
            .split(",")
            .map((name) => name.trim())
            .filter(Boolean);
  if (streams !== "all" && streams.length === 0)
    throw new Error('--streams is empty; name catalog streams such as "events,audit", or "all".');
  return {
    pair: resolvePair(values.regions),
    scenarios: resolveScenarios(values.scenarios),
    durationS,
    rate: number("rate", values.rate, short ? 50 : 200, 1, 20_000),
    size: number("size", values.size, 256, 1, 1024 * 1024),
    streams,
    outDir: values.out ?? `drill-output/${timestamp(now)}`,
    short,
    latencyMs: number("latency", values.latency, 45, 0, 5000),
    serverNice: wholeNumber("server-nice", values["server-nice"], 19, 0, 19),
    partitionS: number("partition", values.partition, Math.max(1, durationS / 2), 0.5, 600),
    cutMode,
    refresh: values.refresh ?? false,
    keepRunning: values["keep-running"] ?? false,
    json: values.json ?? false,
    window: number("window", values.window, 256, 1, 10_000),
    streamMaxBytes: values["stream-max-bytes"] ?? "256Mi",
    healthCheckMs: 1000,
    sampleMs: short ? 200 : 250,
    ...(values["unplanned-rewind"] === undefined ? {} : { unplannedRewind: values["unplanned-rewind"] }),
  };
}
