// Arguments of `npm run lab`. Pure.
import { parseArgs } from "node:util";
import { LAB_DIR_ENV } from "./paths";
import { DEFAULT_BASE_PORT, parseBasePort, portRange } from "./ports";

export const LAB_USAGE = `npm run lab [-- COMMAND] [options]

A local lab to fail over by hand with the real Pulumi CLI: two regions (us-east-1 and
eu-central-1, 3 nats-servers each, configs from infra/nats, joined by a leafnode) running in
the background, and the stacks lab-us-east-1 and lab-eu-central-1 in a file backend in
.pulumi-lab/ (or $${LAB_DIR_ENV}), configured with pulumi config set and run with pulumi up.

  up        (the default) start the regions, create and configure the stacks, pulumi up both;
            when the lab is running: keep it and its stacks' config, pulumi up both again
  down      stop the servers, the relays and the daemon; remove the stores and the stacks
            (the logs stay in .pulumi-lab/logs)
  env       print the environment for pulumi in another shell: eval "$(npm run -s lab -- env)"
  status    the lab's processes and both regions' servers, streams, mirror lag and consumers

  --base-port N   (up) the lab's ports are N+${portRange(0).first} to N+${portRange(0).last} on 127.0.0.1 (default ${DEFAULT_BASE_PORT}:
                  us-east-1's clients on ${DEFAULT_BASE_PORT + 1}-${DEFAULT_BASE_PORT + 3}, eu-central-1's on ${DEFAULT_BASE_PORT + 101}-${DEFAULT_BASE_PORT + 103})
  -h, --help

Exit status: 0 done, 1 failed (the message says how to fix it), 2 bad arguments.`;

const COMMANDS = ["up", "down", "env", "status"] as const;
type Command = (typeof COMMANDS)[number];

export interface LabArgs {
  readonly command: Command;
  readonly basePort: number;
  /** True when --base-port was given (a running lab on other ports is then an error). */
  readonly baseGiven: boolean;
}

/** The arguments, or the usage text; throws a one-line error naming the bad argument. */
export function parseLabArgs(argv: readonly string[]): LabArgs | { help: string } {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { "base-port": { type: "string" }, help: { type: "boolean", short: "h", default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return { help: LAB_USAGE };
  if (positionals.length > 1)
    throw new Error(`give one command (${COMMANDS.join(", ")}); got ${positionals.join(" ")}.`);
  const command = positionals[0] ?? "up";
  if (!(COMMANDS as readonly string[]).includes(command))
    throw new Error(`unknown command "${command}"; use one of ${COMMANDS.join(", ")}.`);
  const baseGiven = values["base-port"] !== undefined;
  if (baseGiven && command !== "up") throw new Error(`--base-port goes with up (npm run lab -- --base-port N).`);
  return { command: command as Command, basePort: parseBasePort(values["base-port"]), baseGiven };
}
