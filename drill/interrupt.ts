// Ctrl-C and SIGTERM for the drill's commands: kill and reap every nats-server it started, then
// exit 130/143. The process-exit hook (drill/local/cleanup.ts) removes their temp dirs.
import { killAllChildren } from "./local/cleanup";

export function exitOnInterrupt(what: string): void {
  const interrupt = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: stopping the ${what}'s servers and exiting\n`);
    void killAllChildren().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  // `on`, not `once`: while the servers are reaped, the cleanup hook must not re-raise the signal
  // (it does so only when it is the last listener) and end the process before they are gone.
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
}
