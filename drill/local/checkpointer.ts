// The consumer checkpointer beside local servers (the drill, the lab, tests, the benchmark): the
// same `nats` commands the Kubernetes Deployment's script loops over (infra/checkpoints), one child
// per consumer, each started again a second after it ends, as the script's loop does. Children are
// spawned by Node (not by a shell) so that each dies with this process (see orphanSafeCommand).
import { spawn, type ChildProcess } from "node:child_process";
import { checkpointerArgs, type CheckpointPlan } from "../../infra/checkpoints";
import { natsCliBinary } from "./binaries";
import { orphanSafeCommand, regionNiceness, trackChild } from "./cleanup";

export interface LocalCheckpointer {
  /** How many times a child was started (one per consumer at first). */
  starts(): number;
  stop(): Promise<void>;
}

export function startLocalCheckpointer(input: {
  readonly plan: CheckpointPlan;
  readonly servers: readonly string[];
  readonly user: string;
  readonly password: string;
}): LocalCheckpointer {
  const cli = natsCliBinary();
  const env = {
    ...process.env,
    NATS_URL: input.servers.join(","),
    NATS_USER: input.user,
    NATS_PASSWORD: input.password,
  };
  const children = new Set<ChildProcess>();
  let stopped = false;
  let started = 0;
  const timers = new Set<NodeJS.Timeout>();
  const run = (args: string[]): void => {
    if (stopped) return;
    const command = orphanSafeCommand(cli, args, regionNiceness());
    const child = spawn(command.file, command.args, { env, stdio: "ignore" });
    started++;
    trackChild(child);
    children.add(child);
    child.once("exit", () => {
      children.delete(child);
      if (stopped) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        run(args);
      }, 1000);
      timers.add(timer);
    });
  };
  for (const consumer of input.plan.consumers) run(checkpointerArgs(input.plan, consumer));
  return {
    starts: () => started,
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      const exits = [...children].map((child) => new Promise<void>((resolve) => child.once("exit", () => resolve())));
      for (const child of children) child.kill("SIGTERM");
      await Promise.all(exits);
    },
  };
}
