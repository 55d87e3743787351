// npm run lab [-- up|down|env|status] [--base-port N]   (usage below)
import { parseLabArgs } from "./args";
import { LabError, labDown, labEnv, labStatus, labUp, type Io } from "./commands";
import { labPaths } from "./paths";

async function main(): Promise<number> {
  let args;
  try {
    args = parseLabArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`lab: ${(error as Error).message}\nRun npm run lab -- --help for the commands.\n`);
    return 2;
  }
  if ("help" in args) {
    process.stdout.write(`${args.help}\n`);
    return 0;
  }
  const paths = labPaths();
  const io: Io = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };
  try {
    switch (args.command) {
      case "up":
        return await labUp(paths, args.basePort, args.baseGiven, io);
      case "down":
        return await labDown(paths, io);
      case "env":
        return labEnv(paths, io);
      case "status":
        return await labStatus(paths, io);
    }
  } catch (error) {
    if (!(error instanceof LabError)) throw error;
    process.stderr.write(`lab: ${error.message}\n`);
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`lab: failed: ${String((error as Error)?.stack ?? error)}\n`);
    process.exit(1);
  },
);
