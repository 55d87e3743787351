// The lab's background process: `npm run lab` starts it detached (its own session, its output in
// .pulumi-lab/logs/daemon.log). It starts both regions the way the drill does (startLocalRegions:
// 3 servers each, configs from infra/nats, the leafnode through its relays, which live in this
// process), writes the state file and waits. On SIGTERM (what `down` sends) the servers are ended
// (drill/local/cleanup.ts SIGKILLs the children on a signal; `down` removes their stores anyway),
// the relays closed, and it exits 0. The servers die with it even when it is SIGKILLed (their
// parent-death signal), so no server outlives the daemon; and it stops by itself when its state
// file goes away.
//
//   node --import tsx drill/lab/daemon.ts --dir <lab folder> --base-port <port>
import { labRegions, type LabRegion } from "./pair";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { parseArgs } from "node:util";
import { startLocalRegions, type LocalRegions } from "../local/regions";
import { labPaths, LAB_DIR_ENV } from "./paths";
import { labPorts, parseBasePort, portRange } from "./ports";
import { labServerFileBytes, labStackValues } from "./config";
import { parseStackConfig } from "../../infra/config";
import { regionCheckpoints } from "../../infra/region";
import { startLocalCheckpointer, type LocalCheckpointer } from "../local/checkpointer";
import { readLabState, writeLabState, type LabState } from "./state";

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

function stateOf(local: LocalRegions<LabRegion>, dir: string, basePort: number): LabState {
  const paths = labPaths({ [LAB_DIR_ENV]: dir });
  const regions = Object.fromEntries(
    labRegions.map((region) => [
      region,
      {
        domain: local.regions[region].domain,
        servers: local.regions[region].servers.map((server, index) => ({
          name: server.name,
          pid: server.pid!,
          clientUrl: server.clientUrl,
          monitorUrl: local.regions[region].monitorUrls[index]!,
          configFile: server.configFile,
          logFile: server.logFile,
        })),
      },
    ]),
  ) as LabState["regions"];
  return {
    version: 1,
    startedAt: new Date().toISOString(),
    dir,
    basePort,
    passphrase: randomBytes(24).toString("hex"),
    daemon: { pid: process.pid, logFile: paths.daemonLog },
    users: local.users,
    regions,
    relays: local.link.relays.map((relay) => ({ port: relay.port, targetPort: relay.targetPort })),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { dir: { type: "string" }, "base-port": { type: "string" } },
    strict: true,
  });
  if (values.dir === undefined || !path.isAbsolute(values.dir))
    throw new Error("give --dir with the lab's absolute folder (npm run lab starts this process).");
  const dir = values.dir;
  const basePort = parseBasePort(values["base-port"]);
  const paths = labPaths({ [LAB_DIR_ENV]: dir });
  const range = portRange(basePort);
  log(`starting two regions (3 servers each) on ports ${range.first}-${range.last}`);
  const local = await startLocalRegions({
    ports: labPorts(basePort),
    keepIn: { dataDir: paths.serversDir, logDir: paths.logsDir },
    maxFileBytes: labServerFileBytes(),
  });
  const state = stateOf(local, dir, basePort);
  // Each region's consumer checkpointer, as its stack runs it on Kubernetes (infra/checkpoints).
  const checkpointers = labCheckpointers(local, state);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping the checkpointers, the servers and the relays`);
    Promise.all(checkpointers.map((checkpointer) => checkpointer.stop()))
      .then(() => local.stop())
      .then(
        () => {
          log("stopped");
          process.exit(0);
        },
        (error: unknown) => {
          log(`stopping failed: ${String(error)}`);
          process.exit(1);
        },
      );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  writeLabState(paths.stateFile, state);
  log(`ready: ${labRegions.map((region) => `${region} ${local.regions[region].clientUrls.join(",")}`).join("; ")}`);
  // A lab whose folder was removed (by hand, or a test's temp dir) cannot be found by `down`: it
  // stops by itself rather than run on unseen.
  setInterval(() => {
    if (!ownsState(paths.stateFile)) stop(`${paths.stateFile} is gone`);
  }, STATE_CHECK_MS);
}

const STATE_CHECK_MS = 2000;

/** The checkpointers of both regions for the lab's catalog (the stacks' own plan, whatever is active). */
function labCheckpointers(local: LocalRegions<LabRegion>, state: LabState): LocalCheckpointer[] {
  return labRegions.flatMap((region) => {
    const { natsUser: _user, natsPassword: _password, ...values } = labStackValues(region, state);
    const parsed = parseStackConfig({ ...values, activeRegion: labRegions[0] });
    if ("problems" in parsed) throw new Error(`the lab's stack config for ${region}: ${parsed.problems.join("; ")}`);
    const plan = regionCheckpoints(parsed.config);
    if (plan === undefined) return [];
    const { user, password } = local.users.app;
    return [startLocalCheckpointer({ plan, servers: local.regions[region].clientUrls, user, password })];
  });
}

function ownsState(file: string): boolean {
  try {
    return readLabState(file)?.daemon.pid === process.pid;
  } catch {
    return false;
  }
}

main().catch((error: unknown) => {
  log(`could not start the lab: ${String((error as Error)?.stack ?? error)}`);
  process.exit(1);
});
