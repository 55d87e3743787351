// npm run bench:failover -- [options]   (see USAGE below or --help)
//
// Starts two real JetStream domains joined by a leafnode, creates N stream pairs (primary in
// us-east-1, mirror in eu-central-1, a durable consumer on each side), fills them while
// publishing continues, and promotes all N with the same provider code `pulumi up` runs:
// planned (peer reachable) and unplanned (leafnode cut: connections reset, so nobody serves the
// peer's API), the unplanned one with consumer checkpoints off and on, and once more with the link
// blackholed (connections stay open, nothing answers: the peer is given peerSettleMs) (a service keeps acknowledging in us-east-1 until the cut; the checkpointer runs the
// stacks' `nats pub` commands with the real nats CLI). Beside it, the runbook our users run
// today: delete the mirror and create a new stream. Then the failover as users run it, the real
// `pulumi up` of the flipped stack (bench/engineFailover.ts). Prints tables and writes JSON.
import * as fs from "node:fs";
import * as path from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { consumerProvider } from "../streams/consumerProvider";
import { streamProvider } from "../streams/streamProvider";
import { startLocalCheckpointer, type LocalCheckpointer } from "../drill/local";
import { connectApp, startTwoDomains, type CutMode, type TwoDomains } from "../test/harness";
import {
  APP_CREDENTIALS,
  checked,
  eventually,
  rawStreamInputs,
  readStream,
  startPublisher,
  type Publisher,
} from "../test/support/provider";
import { activeAndStandbyPlans } from "../test/support/checkpoints";
import { parseArgs } from "node:util";
import { engineFailover, type EngineFailoverRow } from "./engineFailover";
import { benchOptions, wholeNumber, wholeNumberList } from "./options";

/** The procedures each stream count is run with, by the names --procedures takes. */
const PROCEDURES = {
  planned: ["planned", false, "reset"],
  "unplanned-off": ["unplanned", false, "reset"],
  "unplanned-on": ["unplanned", true, "reset"],
  blackhole: ["unplanned", true, "blackhole"],
  runbook: ["runbook", false, "reset"],
} as const;

const USAGE = `npm run bench:failover -- [options]

Promotes N mirrored stream pairs of two local JetStream domains with the provider's code, by each
procedure, then runs the real pulumi up of a flipped stack over N streams. Prints tables and
writes JSON.

  --counts N,N,...          stream counts of the provider runs, "" for none (default 1,10,50)
  --engine-counts N,N,...   stream counts of the pulumi up runs, "" for none (default 1,10)
  --parallel N              promotions at once, as pulumi up --parallel (default 16)
  --prefill N               messages per stream before the failover (default 500)
  --procedures LIST         of ${Object.keys(PROCEDURES).join(", ")} (default all)
  --json FILE               where the JSON goes (default bench/results/failover.json)
  -h, --help                this text`;

const { counts, engineCounts, parallel, prefill, chosenProcedures, jsonFile } = benchOptions(
  "bench:failover",
  USAGE,
  (args) => {
    const { values } = parseArgs({
      args,
      options: {
        counts: { type: "string", default: "1,10,50" },
        "engine-counts": { type: "string", default: "1,10" },
        parallel: { type: "string", default: "16" },
        prefill: { type: "string", default: "500" },
        procedures: { type: "string", default: Object.keys(PROCEDURES).join(",") },
        json: { type: "string", default: path.join("bench", "results", "failover.json") },
      },
    });
    return {
      counts: wholeNumberList("counts", values.counts, 1),
      engineCounts: wholeNumberList("engine-counts", values["engine-counts"], 1),
      parallel: wholeNumber("parallel", values.parallel, 1),
      // At least 2: the service in us-east-1 acknowledges the first half before the failover.
      prefill: wholeNumber("prefill", values.prefill, 2),
      chosenProcedures: values.procedures.split(",").map((name) => {
        const procedure = PROCEDURES[name.trim() as keyof typeof PROCEDURES];
        if (procedure === undefined)
          throw new Error(`--procedures: unknown "${name}"; choose from ${Object.keys(PROCEDURES).join(", ")}.`);
        return procedure;
      }),
      jsonFile: values.json,
    };
  },
);

/** Checkpoints every second (the default nats-dr:checkpoints.interval). */
const CHECKPOINT_INTERVAL_MS = 1000;
/** The service's fetch batch: at most this many messages per stream are delivered and not yet acknowledged. */
const IN_FLIGHT_PER_STREAM = 10;
/** The promotions' failover.peerTimeoutMs and peerSettleMs (the test inputs' defaults). */
const { peerTimeoutMs: PEER_TIMEOUT_MS, peerSettleMs: PEER_SETTLE_MS } = rawStreamInputs(
  { domain: "d", clientUrls: [] },
  undefined,
  "primary",
  {},
)["failover"] as { peerTimeoutMs: number; peerSettleMs: number };

interface Row {
  streams: number;
  procedure: "planned" | "unplanned" | "runbook";
  /** Unplanned only: whether the consumer checkpointer ran. */
  checkpoints: "on" | "off" | "n/a";
  /** Unplanned only: how the link was cut (reset: nobody serves the peer's API; blackhole: it times out). */
  link: CutMode | "n/a";
  secondsToWritable: number;
  acknowledged: number;
  /** Acknowledged messages the new primary does not hold. */
  missing: number;
  /** Of those, how many nats-dr keeps for the failback (orphan preservation); the runbook keeps none. */
  preservedForFailback: number;
  messagesKeptPercent: number;
  redeliveredAcknowledged: number;
  /** Unplanned only: messages the service acknowledged in the last checkpoint interval before the cut. */
  ackedInLastInterval: number;
}

/** Runs `work` over items with at most `limit` at once, as the engine's --parallel does. */
async function withLimit<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!);
      }
    }),
  );
  return results;
}

const names = (count: number) => Array.from({ length: count }, (_, index) => `bench${index}`);

async function setUp(regions: TwoDomains, count: number, east: NatsConnection) {
  const mirrors = await withLimit(names(count), parallel, async (name) => {
    const subjects = [`${name}.*`];
    await streamProvider.create(
      await checked(streamProvider, rawStreamInputs(regions.east, regions.west, "primary", { name, subjects })),
    );
    const mirror = await streamProvider.create(
      await checked(streamProvider, rawStreamInputs(regions.west, regions.east, "mirror", { name, subjects })),
    );
    for (const region of [regions.east, regions.west]) {
      await consumerProvider.create(
        await checked(consumerProvider, {
          connection: { servers: [...region.clientUrls], connectTimeoutMs: 2000, requestTimeoutMs: 5000 },
          credentials: APP_CREDENTIALS,
          domain: region.domain,
          stream: name,
          spec: { name: "worker", filterSubjects: [`${name}.*`] },
        }),
      );
    }
    return mirror.outs;
  });
  const js = (await jetstreamManager(east)).jetstream();
  for (const name of names(count)) {
    await Promise.all(
      Array.from({ length: prefill }, (_, index) =>
        js.publish(`${name}.fill`, new TextEncoder().encode(`${name}-fill-${index}`), {
          msgID: `${name}-fill-${index}`,
        }),
      ),
    );
  }
  // The service in us-east-1 has processed and acknowledged the first half of every stream.
  const acknowledged = new Set<string>();
  for (const name of names(count)) {
    const consumer = await js.consumers.get(name, "worker");
    const batch = await consumer.fetch({ max_messages: Math.floor(prefill / 2), expires: 5000 });
    for await (const message of batch) {
      acknowledged.add(message.string());
      await message.ackAck();
    }
  }
  return { mirrors, acknowledged };
}

/**
 * The service in us-east-1 keeps processing: fetches and acknowledges (the server confirming each)
 * until stopped, recording each acknowledged message and when.
 */
function startService(east: NatsConnection, count: number, acknowledged: Set<string>) {
  let running = true;
  const ackTimes: number[] = [];
  const loops = names(count).map(async (name) => {
    const consumer = await (await jetstreamManager(east)).jetstream().consumers.get(name, "worker");
    while (running) {
      try {
        const batch = await consumer.fetch({ max_messages: IN_FLIGHT_PER_STREAM, expires: 1000 });
        for await (const message of batch) {
          await message.ackAck();
          acknowledged.add(message.string());
          ackTimes.push(performance.now());
          if (!running) break;
        }
      } catch {
        // The region is being cut off: what was confirmed is recorded. Never spin without a pause.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  });
  return {
    ackTimes,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/**
 * The checkpoint and acknowledgement-capture streams in eu-central-1 and the checkpointer of
 * us-east-1, as the stacks declare them.
 */
async function startCheckpoints(regions: TwoDomains, count: number): Promise<LocalCheckpointer> {
  // us-east-1 holds the primaries, eu-central-1 the mirrors: its stack declares the capture.
  const { active: planned, standby: west } = activeAndStandbyPlans({
    streams: names(count),
    activeDomain: regions.east.domain,
    standbyDomain: regions.west.domain,
    interval: `${CHECKPOINT_INTERVAL_MS}ms`,
  });
  // The checkpoints of us-east-1, and the capture of its acknowledgements (filters name no domain).
  for (const spec of [west.stream, west.ackStream]) {
    await streamProvider.create(
      await checked(streamProvider, rawStreamInputs(regions.west, undefined, "primary", { ...spec })),
    );
  }
  return startLocalCheckpointer({
    plan: planned,
    servers: regions.east.clientUrls,
    user: APP_CREDENTIALS.user,
    password: APP_CREDENTIALS.password,
  });
}

async function countRedelivered(west: NatsConnection, count: number, acknowledged: Set<string>): Promise<number> {
  const js = (await jetstreamManager(west)).jetstream();
  let redelivered = 0;
  for (const name of names(count)) {
    const consumer = await js.consumers.get(name, "worker");
    // Everything the consumer delivers now, batch after batch until one comes back empty.
    for (let received = -1; received !== 0;) {
      received = 0;
      const batch = await consumer.fetch({ max_messages: prefill, expires: 1000 });
      for await (const message of batch) {
        received++;
        if (acknowledged.has(message.string())) redelivered++;
        message.ack();
      }
    }
  }
  return redelivered;
}

async function lostAndUnreplicated(publishers: Publisher[], west: NatsConnection, east: NatsConnection, count: number) {
  let lost = 0;
  let unreplicated = 0;
  let acknowledged = 0;
  for (const [index, name] of names(count).entries()) {
    const inNew = new Set((await readStream(west, "eu-central-1", name)).map((message) => message.id));
    const inOld = new Set((await readStream(east, "us-east-1", name).catch(() => [])).map((message) => message.id));
    for (const id of publishers[index]!.acked.keys()) {
      acknowledged++;
      if (inNew.has(id)) continue;
      if (inOld.has(id)) unreplicated++;
      else lost++;
    }
  }
  return { lost, unreplicated, acknowledged };
}

async function run(
  count: number,
  procedure: Row["procedure"],
  checkpoints = false,
  link: CutMode = "reset",
): Promise<Row> {
  const regions = await startTwoDomains({ clustered: false });
  const east = await connectApp(regions.east.clientUrls);
  const west = await connectApp(regions.west.clientUrls);
  let checkpointer: LocalCheckpointer | undefined;
  try {
    if (checkpoints) checkpointer = await startCheckpoints(regions, count);
    const { mirrors, acknowledged } = await setUp(regions, count, east);
    await eventually(
      "mirrors caught up",
      async () => {
        const jsm = await jetstreamManager(west);
        const infos = await Promise.all(names(count).map((name) => jsm.streams.info(name)));
        return infos.every((info) => info.state.last_seq >= prefill);
      },
      60_000,
    );
    // Services keep publishing: in the standby region for a planned failover (the leafnode
    // carries their messages until the promotion), in the failing region for an unplanned one.
    const publishFrom = procedure === "unplanned" ? east : west;
    const publishers = names(count).map((name) =>
      startPublisher(publishFrom, `${name}.live`, { prefix: `${name}-live`, intervalMs: 2 }),
    );
    // Unplanned: the service keeps acknowledging for a few checkpoint intervals until the region is cut off.
    const service = procedure === "unplanned" ? startService(east, count, acknowledged) : undefined;
    await new Promise((resolve) => setTimeout(resolve, service ? 3 * CHECKPOINT_INTERVAL_MS : 300));
    const mirrorHeld = (
      await Promise.all(
        names(count).map(async (name) => (await (await jetstreamManager(west)).streams.info(name)).state.messages),
      )
    ).reduce((a, b) => a + b, 0);
    if (procedure === "unplanned") regions.relay.cut(link);
    const started = performance.now();
    // Not awaited here: over a blackholed link the service's last fetch and ack only end at their
    // timeouts, which is no part of the failover. An ack never confirmed is not counted.
    const serviceStopped = service?.stop();
    const ackedInLastInterval = service
      ? service.ackTimes.filter((at) => at >= started - CHECKPOINT_INTERVAL_MS && at <= started).length
      : 0;
    if (procedure === "runbook") {
      const jsm = await jetstreamManager(west);
      await withLimit(names(count), parallel, async (name) => {
        await jsm.streams.delete(name);
        await jsm.streams.add({ name, subjects: [`${name}.*`], num_replicas: 1 });
      });
    } else {
      await withLimit(mirrors, parallel, async (mirror) => {
        const promote = await checked(
          streamProvider,
          rawStreamInputs(regions.west, regions.east, "primary", {
            name: mirror.spec.name,
            subjects: mirror.spec.subjects,
          }),
        );
        await streamProvider.update("id", mirror, promote);
      });
    }
    const js = (await jetstreamManager(west)).jetstream();
    await Promise.all(
      names(count).map((name) =>
        eventually("writable", async () => Boolean(await js.publish(`${name}.probe`)), 10_000),
      ),
    );
    const secondsToWritable = (performance.now() - started) / 1000;
    await serviceStopped;
    await new Promise((resolve) => setTimeout(resolve, 200));
    await Promise.all(publishers.map((publisher) => publisher.stop()));
    const keptNow = (
      await Promise.all(
        names(count).map(async (name) => (await (await jetstreamManager(west)).streams.info(name)).state.messages),
      )
    ).reduce((a, b) => a + b, 0);
    const { lost, unreplicated, acknowledged: acked } = await lostAndUnreplicated(publishers, west, east, count);
    // The runbook leaves the old primary taking writes beside the new stream and later deletes
    // it by hand: what only it holds is gone. nats-dr copies it aside before the failback.
    const redeliveredAcknowledged = procedure === "runbook" ? 0 : await countRedelivered(west, count, acknowledged);
    return {
      streams: count,
      procedure,
      checkpoints: procedure === "unplanned" ? (checkpoints ? "on" : "off") : "n/a",
      link: procedure === "unplanned" ? link : "n/a",
      secondsToWritable,
      acknowledged: acked,
      missing: lost + unreplicated,
      preservedForFailback: procedure === "runbook" ? 0 : unreplicated,
      messagesKeptPercent: Math.min(100, (100 * keptNow) / Math.max(1, mirrorHeld)),
      redeliveredAcknowledged,
      ackedInLastInterval,
    };
  } finally {
    await checkpointer?.stop();
    regions.relay.heal();
    await east.close().catch(() => undefined);
    await west.close().catch(() => undefined);
    await regions.stop();
  }
}

async function main() {
  const rows: Row[] = [];
  for (const count of counts) {
    for (const [procedure, checkpoints, link] of chosenProcedures) {
      process.stderr.write(`\r${procedure} failover of ${count} stream(s)...            `);
      rows.push(await run(count, procedure, checkpoints, link));
    }
  }
  const engineRows: EngineFailoverRow[] = [];
  for (const count of engineCounts) {
    process.stderr.write(`\rpulumi up failover of ${count} stream(s)...            `);
    engineRows.push(await engineFailover(count));
  }
  process.stderr.write("\r" + " ".repeat(60) + "\r");
  const header = [
    "streams",
    "procedure",
    "checkpoints",
    "link",
    "s to writable",
    "acked",
    "missing",
    "preserved*",
    "lost",
    "kept %",
    "acked redelivered",
    "acked last 1 s",
  ];
  const lines = rows.map((row) => [
    String(row.streams),
    row.procedure,
    row.checkpoints,
    row.link,
    row.secondsToWritable.toFixed(3),
    String(row.acknowledged),
    String(row.missing),
    String(row.preservedForFailback),
    String(row.missing - row.preservedForFailback),
    row.messagesKeptPercent.toFixed(1),
    row.procedure === "runbook" ? "n/a" : String(row.redeliveredAcknowledged),
    row.procedure === "unplanned" ? String(row.ackedInLastInterval) : "n/a",
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const format = (cells: string[]) => cells.map((cell, column) => cell.padStart(widths[column]!)).join("  ");
  console.log(
    `failover benchmark: ${prefill} messages per stream before the failover, publishing continues, --parallel ${parallel}`,
  );
  console.log(format(header));
  for (const line of lines) console.log(format(line));
  console.log(
    "missing: acknowledged messages the new primary does not hold. * preserved: of those, kept in the old region and copied aside by",
  );
  console.log(
    "the failback's orphan preservation (the runbook has none, so they are lost). kept %: messages the standby held before the",
  );
  console.log(
    "failover that the new primary still holds. acked redelivered: acknowledged messages delivered again in the new region",
  );
  console.log(
    "(unplanned, checkpoints off: delivery restarts from the standby's own positions; on: right after the last checkpoint held).",
  );
  console.log(
    `acked last 1 s: what the service acknowledged in the last checkpoint interval (${CHECKPOINT_INTERVAL_MS} ms) before the cut: the redelivery goal.`,
  );
  for (const row of rows.filter((candidate) => candidate.checkpoints === "on" && candidate.link === "reset"))
    console.log(
      `goal: ${row.streams} stream(s) unplanned with checkpoints, redelivered <= one interval of traffic + in flight -> ${row.redeliveredAcknowledged} redelivered, ${row.ackedInLastInterval} acked in the last interval: ${row.redeliveredAcknowledged <= row.ackedInLastInterval + IN_FLIGHT_PER_STREAM * row.streams ? "met" : "MISSED"}`,
    );
  for (const [link, waitMs, what] of [
    ["reset", PEER_TIMEOUT_MS, "peer timeout"],
    ["blackhole", PEER_SETTLE_MS, "peer settle time"],
  ] as const) {
    const unplanned = rows.filter((row) => row.procedure === "unplanned" && row.link === link);
    if (unplanned.length === 0) continue;
    const goalSeconds = waitMs / 1000 + 1;
    const met = unplanned.every((row) => row.secondsToWritable <= goalSeconds);
    console.log(
      `goal: unplanned time flat in the stream count, link ${link} (${what} ${waitMs} ms, goal: within it + 1 s) -> ${unplanned.map((row) => `${row.streams}: ${row.secondsToWritable.toFixed(2)} s`).join(", ")}: ${met ? "met" : "MISSED"}`,
    );
  }
  const ten = rows.find((row) => row.streams === 10 && row.procedure === "planned");
  if (ten)
    console.log(
      `goal: 10 streams promoted, planned, zero loss, under 1 s -> ${ten.secondsToWritable.toFixed(3)} s, ${ten.missing} missing: ${ten.secondsToWritable < 1 && ten.missing === 0 ? "met" : "MISSED"}`,
    );
  if (engineRows.length > 0) {
    console.log("");
    console.log("pulumi up of the flipped stack (real CLI, engine included), planned, publishing continues:");
    const engineHeader = [
      "streams",
      "s to writable",
      "s pulumi up",
      "s first step",
      "s first stream step",
      "s longest stream step",
      "modes",
      "acked",
      "missing",
    ];
    const engineLines = engineRows.map((row) => [
      String(row.streams),
      row.secondsToWritable.toFixed(2),
      row.upSeconds.toFixed(2),
      row.breakdown.firstStep.toFixed(2),
      row.breakdown.firstStreamStep.toFixed(2),
      row.breakdown.longestStreamStep.toFixed(2),
      Object.entries(row.modes)
        .map(([mode, streams]) => `${mode} ${streams}`)
        .join(", "),
      String(row.acknowledged),
      String(row.missing),
    ]);
    const engineWidths = engineHeader.map((title, column) =>
      Math.max(title.length, ...engineLines.map((line) => line[column]!.length)),
    );
    const engineFormat = (cells: string[]) =>
      cells.map((cell, column) => cell.padStart(engineWidths[column]!)).join("  ");
    console.log(engineFormat(engineHeader));
    for (const line of engineLines) console.log(engineFormat(line));
    console.log(
      "s to writable: from starting pulumi up to the first write eu-central-1 acknowledges in its own domain.",
    );
    console.log(
      "s first step: until the engine's first step (the stack: CLI, language host, Node.js, ts-node up); s first stream step: until",
    );
    console.log(
      "the first stream's update began (program loaded, provider host up, check and diff); s longest stream step: one update.",
    );
    for (const row of engineRows)
      console.log(
        `goal: writable within 5 s of pulumi up (${row.streams} stream(s)) -> ${row.secondsToWritable.toFixed(2)} s: ${row.secondsToWritable <= 5 && row.missing === 0 ? "met" : "MISSED"}`,
      );
  }
  fs.mkdirSync(path.dirname(jsonFile), { recursive: true });
  fs.writeFileSync(
    jsonFile,
    JSON.stringify({ at: new Date().toISOString(), prefill, parallel, rows, engineRows }, null, 2) + "\n",
  );
  console.log(`wrote ${jsonFile}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
