// Ctrl-C and SIGTERM for the drill's commands: kill every process the command started (the
// nats-servers, and a `pulumi up` in flight with its language host, program and provider
// plugins), reap the servers, then exit 130/143. The process-exit hook (drill/local/cleanup.ts)
// removes their temp dirs.
import { killAllChildren, killDescendants } from "./local/cleanup";

export function exitOnInterrupt(what: string): void {
  const interrupt = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: stopping the ${what}'s servers and exiting\n`);
    // An interrupted update is not waited for: the drill's stacks are thrown away with its servers.
    killDescendants();
    void killAllChildren().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  // `on`, not `once`: while the servers are reaped, the cleanup hook must not re-raise the signal
  // (it does so only when it is the last listener) and end the process before they are gone.
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
}
