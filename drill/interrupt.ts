// Ctrl-C and SIGTERM for the drill's commands: kill every process the command started (the
// nats-servers, and a `pulumi up` in flight with its language host, program and provider
// plugins), reap the servers, then exit 130/143. The process-exit hook (drill/local/cleanup.ts)
// removes their temp dirs.
import { killAllChildren, killDescendants } from "./local/cleanup";

let interruptedBy: NodeJS.Signals | undefined;

export function exitOnInterrupt(what: string): void {
  const interrupt = (signal: NodeJS.Signals) => {
    if (interruptedBy !== undefined) return;
    interruptedBy = signal;
    process.stderr.write(`\n${signal}: stopping the ${what}'s servers and exiting\n`);
    // Also the code of a process whose event loop empties before the servers are reaped.
    process.exitCode = exitCodeFor(signal);
    // An interrupted update is not waited for: the drill's stacks are thrown away with its servers.
    killDescendants();
    void killAllChildren().finally(() => process.exit(exitCodeFor(signal)));
  };
  // `on`, not `once`: while the servers are reaped, the cleanup hook must not re-raise the signal
  // (it does so only when it is the last listener) and end the process before they are gone.
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
}

/**
 * How a command ends with `code`: at once, unless a signal interrupted it. Then the interrupt
 * ends it once the servers are reaped, with 130/143: the run it interrupted usually fails right
 * after (its `pulumi up` was killed), and that failure's exit code must not win the race.
 */
export function exitUnlessInterrupted(code: number): void {
  if (!interrupted()) process.exit(code);
}

/** Whether a signal interrupted the command: its run's failure after that is not news. */
export function interrupted(): boolean {
  return interruptedBy !== undefined;
}

function exitCodeFor(signal: NodeJS.Signals): number {
  return signal === "SIGINT" ? 130 : 143;
}
