// npm run drill -- [options]   (see drill/options.ts or --help)
import { exitOnInterrupt, exitUnlessInterrupted, interrupted } from "./interrupt";
import { parseDrillArgs } from "./options";
import { runDrill } from "./run";

async function main(): Promise<number> {
  let options;
  try {
    options = parseDrillArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`drill: ${(error as Error).message}\nRun npm run drill -- --help for the options.\n`);
    return 2;
  }
  if ("help" in options) {
    process.stdout.write(`${options.help}\n`);
    return 0;
  }
  exitOnInterrupt("drill");
  const run = await runDrill(options, process.stderr);
  process.stdout.write(
    options.json ? `${JSON.stringify(run.report, null, 2)}\n` : `${run.text}\nstatus at the end:\n${run.statusText}`,
  );
  process.stderr.write(`report, chart and evidence: ${options.outDir}\n`);
  if (options.keepRunning) {
    process.stderr.write(`\nthe regions keep running; status:\n  ${run.statusCommand}\nCtrl-C stops them.\n`);
    await new Promise<never>(() => undefined);
  }
  return run.report.passed ? 0 : 1;
}

main().then(
  (code) => exitUnlessInterrupted(code),
  (error: unknown) => {
    if (!interrupted()) process.stderr.write(`drill: could not run: ${String((error as Error)?.stack ?? error)}\n`);
    exitUnlessInterrupted(2);
  },
);
