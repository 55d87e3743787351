// npm run bench:drill -- [drill options]
//
// The drill under a heavier load: by default steady load, then a planned failover, at 5,000 msg/s
// of 1 KiB for 60 s per scenario (every drill option can override these; rate, size and duration
// stay within the drill's bounds). Prints the drill's table, the achieved publish rate and the
// mirror lag percentiles of the steady phase (goal: p99 under 1 s), and writes JSON to
// bench/results/drill.json.
import fs from "node:fs";
import path from "node:path";
import { exitOnInterrupt, exitUnlessInterrupted, interrupted } from "../drill/interrupt";
import { parseDrillArgs } from "../drill/options";
import { maxOf, percentile } from "../drill/report/stats";
import { runDrill } from "../drill/run";

const BENCH_DEFAULTS = [
  "--scenarios",
  "steady,planned",
  "--rate",
  "5000",
  "--size",
  "1024",
  "--duration",
  "60",
  "--window",
  "2048",
  "--stream-max-bytes",
  "1Gi",
  "--out",
  path.join("drill-output", `bench-${new Date().toISOString().replace(/[:]/g, "-").replace(/\..+$/, "")}`),
];
const JSON_FILE = path.join("bench", "results", "drill.json");

async function main(): Promise<number> {
  // Options given on the command line come after the defaults, so they win.
  const options = parseDrillArgs([...BENCH_DEFAULTS, ...process.argv.slice(2)]);
  if ("help" in options) {
    process.stdout.write(
      `npm run bench:drill -- [drill options]; defaults: ${BENCH_DEFAULTS.join(" ")}\n\n${options.help}\n`,
    );
    return 0;
  }
  exitOnInterrupt("benchmark");
  const run = await runDrill(options, process.stderr);
  const { report } = run;
  const steady = report.scenarios.find((scenario) => scenario.id === "steady") ?? report.scenarios[0];
  const window = steady ? { from: steady.startedAt, to: steady.endedAt } : { from: 0, to: report.totalMs };
  const lagMs = run.lagSamples
    .filter((sample) => sample.at >= window.from && sample.at < window.to && !sample.resync && sample.lagMs !== null)
    .map((sample) => sample.lagMs as number);
  const lag = { p50: percentile(lagMs, 50), p90: percentile(lagMs, 90), p99: percentile(lagMs, 99), max: maxOf(lagMs) };
  const achieved = steady ? (steady.figures.published * 1000) / Math.max(1, steady.endedAt - steady.startedAt) : 0;
  const goalMet = lag.p99 !== null && lag.p99 < 1000;

  process.stdout.write(run.text);
  process.stdout.write(
    `\nload: asked ${options.rate} msg/s of ${options.size} B; acknowledged ${Math.round(achieved)} msg/s during ${steady?.id ?? "the drill"}\n`,
  );
  process.stdout.write(
    `mirror lag during ${steady?.id ?? "the drill"} (${lagMs.length} samples over the streams, every ${options.sampleMs} ms): p50 ${lag.p50} ms, p90 ${lag.p90} ms, p99 ${lag.p99} ms, max ${lag.max} ms\n`,
  );
  process.stdout.write(`goal: p99 mirror lag under 1 s -> ${goalMet ? "met" : "MISSED"}\n`);
  fs.mkdirSync(path.dirname(JSON_FILE), { recursive: true });
  fs.writeFileSync(
    JSON_FILE,
    `${JSON.stringify({ at: report.startedAt, rate: options.rate, size: options.size, durationS: options.durationS, achievedRate: achieved, lagMs: lag, goalMet, passed: report.passed, failures: report.failures, scenarios: report.scenarios.map((scenario) => ({ id: scenario.id, passed: scenario.passed, figures: scenario.figures })), outputDir: options.outDir }, null, 2)}\n`,
  );
  process.stdout.write(`wrote ${JSON_FILE} and ${options.outDir}\n`);
  return report.passed && goalMet ? 0 : 1;
}

main().then(
  (code) => exitUnlessInterrupted(code),
  (error: unknown) => {
    if (!interrupted()) process.stderr.write(`bench:drill: ${String((error as Error)?.stack ?? error)}\n`);
    exitUnlessInterrupted(2);
  },
);
