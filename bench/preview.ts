// npm run bench:preview -- [--runs 5] [--json FILE]   (--help)
//
// How long the program takes to evaluate a whole region stack the way `pulumi preview` runs it,
// with Pulumi mocks standing in for the engine, AWS and Kubernetes: config parsing, the stream
// plan, the NATS objects, the JetStream resources (their providers serialized), the backup bucket,
// IAM role, CronJob and the DNS record. Each run loads the program afresh; the time is from the
// start of the load to the last resource registration. Prints a table and writes JSON. Goal: < 3 s.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { Region } from "../infra/config";
import { runProgram } from "../test/unit/program";
import { benchOptions, wholeNumber } from "./options";

const USAGE = `npm run bench:preview -- [options]

Evaluates a whole region stack as pulumi preview runs it (Pulumi mocks for the engine, AWS and
Kubernetes), each run with the program loaded afresh. Prints a table and writes JSON.

  --runs N       runs per stack (default 5)
  --json FILE    where the JSON goes (default bench/results/preview.json)
  -h, --help     this text`;

const { runs, jsonFile } = benchOptions("bench:preview", USAGE, (args) => {
  const { values } = parseArgs({
    args,
    options: {
      runs: { type: "string", default: "5" },
      json: { type: "string", default: path.join("bench", "results", "preview.json") },
    },
  });
  return { runs: wholeNumber("runs", values.runs, 1), jsonFile: values.json };
});
const root = path.resolve(__dirname, "..");

/** Forgets the program's modules so the next require evaluates it again (packages stay loaded, as in one `pulumi preview`). */
function forgetProgram(): void {
  for (const file of Object.keys(require.cache)) {
    if (
      !file.includes(`${path.sep}node_modules${path.sep}`) &&
      (file.startsWith(path.join(root, "infra")) || file.startsWith(path.join(root, "streams")))
    ) {
      delete require.cache[file];
    }
  }
}

interface Row {
  stack: Region;
  run: number;
  resources: number;
  seconds: number;
}

async function measure(stack: Region, run: number): Promise<Row> {
  forgetProgram();
  const start = process.hrtime.bigint();
  let last = start;
  const registered = await runProgram(
    stack,
    "us-east-1",
    // require, not import(): forgetProgram evicts the program from require.cache for the next run.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
    async () => require("../infra/index") as unknown,
    {},
    () => {
      last = process.hrtime.bigint();
    },
  );
  return { stack, run, resources: registered.size, seconds: Number(last - start) / 1e9 };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const stack of ["us-east-1", "eu-central-1"] as const) {
    for (let run = 1; run <= runs; run++) rows.push(await measure(stack, run));
  }
  const summary = (["us-east-1", "eu-central-1"] as const).map((stack) => {
    const times = rows
      .filter((row) => row.stack === stack)
      .map((row) => row.seconds)
      .sort((a, b) => a - b);
    const resources = rows.find((row) => row.stack === stack)!.resources;
    return {
      stack,
      resources,
      firstRunSeconds: rows.find((row) => row.stack === stack)!.seconds,
      medianSeconds: times[Math.floor(times.length / 2)]!,
      maxSeconds: times[times.length - 1]!,
    };
  });
  console.log("stack          resources  first run s  median s  max s  (goal < 3 s)");
  for (const row of summary) {
    console.log(
      `${row.stack.padEnd(13)} ${String(row.resources).padStart(10)} ${row.firstRunSeconds.toFixed(3).padStart(12)} ${row.medianSeconds.toFixed(3).padStart(9)} ${row.maxSeconds.toFixed(3).padStart(6)}`,
    );
  }
  fs.mkdirSync(path.dirname(jsonFile), { recursive: true });
  fs.writeFileSync(
    jsonFile,
    `${JSON.stringify({ runsPerStack: runs, goalSeconds: 3, node: process.version, summary, rows }, null, 2)}\n`,
  );
  console.log(`wrote ${jsonFile}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
