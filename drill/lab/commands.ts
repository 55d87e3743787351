// The lab's subcommands: up (the default), down, env and status.
import { labRegions, type LabRegion } from "./pair";
import { natsServerBinary, pulumiBinary } from "../local/binaries";
import { describeResourceChanges } from "../pulumi/update";
import { collectStatus, isHealthy } from "../status/collect";
import { renderStatus } from "../status/render";
import { hasLeftovers, labHealth, startDaemon, tearDown, withLock } from "./lifecycle";
import type { LabPaths } from "./paths";
import { isLabProcess } from "./processes";
import { labPorts, portsInUse } from "./ports";
import { readLabState, type LabState } from "./state";
import { envText, processTable, readyText, statusRegions, type StackSummary } from "./text";

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** A failure the user fixes: printed as "lab: <message>" and exit status 1, without a stack trace. */
export class LabError extends Error {}

/** The running lab's state; throws a LabError saying how to start one when there is none. */
function runningState(paths: LabPaths): LabState {
  const state = readLabState(paths.stateFile);
  if (state === undefined || !labHealth(state).daemonAlive)
    throw new LabError(`no lab is running in ${paths.dir}; start one with: npm run lab`);
  return state;
}

function serverCount(state: LabState): number {
  return labRegions.reduce((sum, region) => sum + state.regions[region].servers.length, 0);
}

function checkTools(): void {
  try {
    natsServerBinary();
    pulumiBinary();
  } catch (error) {
    throw new LabError((error as Error).message);
  }
}

/** Starts the lab, or finds it running; then configures (new stacks only) and runs both stacks. */
export async function labUp(paths: LabPaths, basePort: number, baseGiven: boolean, io: Io): Promise<number> {
  checkTools();
  const started = Date.now();
  return withLock(paths, async () => {
    let state = readLabState(paths.stateFile);
    const health = state === undefined ? undefined : labHealth(state);
    if (state !== undefined && health?.daemonAlive) {
      if (health.goneServers.length > 0)
        throw new LabError(
          `the lab is running without ${health.goneServers.join(", ")} (their processes are gone; logs in ${paths.logsDir}); start it anew: npm run lab -- down && npm run lab`,
        );
      if (baseGiven && basePort !== state.basePort)
        throw new LabError(
          `the lab is already running on base port ${state.basePort}; to move it to ${basePort}: npm run lab -- down && npm run lab -- --base-port ${basePort}`,
        );
      io.out(
        `lab already running in ${paths.dir} since ${state.startedAt}: daemon pid ${state.daemon.pid}, ${serverCount(state)} servers; running pulumi up in both stacks again\n`,
      );
    } else {
      if (state !== undefined || hasLeftovers(paths)) {
        io.out(
          state === undefined
            ? `removing what a previous lab left in ${paths.dir} (no state file)\n`
            : `the lab in ${paths.dir} is not running (daemon pid ${state.daemon.pid} is gone); removing what it left\n`,
        );
        await tearDown(paths, state);
      }
      const busy = await portsInUse(labPorts(basePort));
      if (busy.length > 0)
        throw new LabError(
          [
            `${busy.length === 1 ? "a port" : `${busy.length} ports`} of the lab on 127.0.0.1 (base port ${basePort}) ${busy.length === 1 ? "is" : "are"} taken:`,
            ...busy.map(
              (entry) => `  ${entry.port} (${entry.use}): ${entry.error === "EADDRINUSE" ? "in use" : entry.error}`,
            ),
            `Stop what listens there (ss -ltnp 'sport = :${busy[0]!.port}' shows it), or start the lab on other ports: npm run lab -- --base-port ${basePort + 1000}`,
          ].join("\n"),
        );
      io.out(`starting two regions (3 nats-servers each) in the background; logs in ${paths.logsDir}\n`);
      state = await startDaemon(paths, basePort);
      io.out(
        `regions up in ${((Date.now() - started) / 1000).toFixed(1)} s (daemon pid ${state.daemon.pid}); creating the stacks\n`,
      );
    }
    return upStacks(paths, state, started, io);
  });
}

async function upStacks(paths: LabPaths, state: LabState, started: number, io: Io): Promise<number> {
  // Loaded here: the Pulumi SDK takes seconds to load, which env, status and down do without.
  const { labStacks, runOrder, upLabStacks } = await import("./stacks.js");
  const stacks = await labStacks(paths, state);
  for (const region of labRegions)
    io.out(
      stacks[region].configured
        ? `${stacks[region].name}: created and configured (pulumi config set)\n`
        : `${stacks[region].name}: exists; its config is kept (activeRegion ${stacks[region].activeRegion})\n`,
    );
  const { order, warning } = runOrder(stacks);
  if (warning !== undefined) io.err(`lab: warning: ${warning}\n`);
  const runs = await upLabStacks(stacks, order, io.out);
  const failed = runs.find((entry) => !entry.run.ok);
  if (failed !== undefined) {
    io.err(`\n${failed.name}: ${failed.run.error ?? "pulumi up failed"}\n`);
    throw new LabError(
      `pulumi up of ${failed.name} failed (the engine's output is above); the servers keep running. Fix it and run npm run lab again, or stop everything: npm run lab -- down`,
    );
  }
  const summaries: StackSummary[] = runs.map(({ region, name, run }) => ({
    region,
    name,
    activeRegion: stacks[region].activeRegion,
    roles: (run.outputs?.["streams"] ?? {}) as Record<string, string>,
    changes: describeResourceChanges(run.resourceChanges),
    ms: run.ms,
  }));
  io.out(`\n${readyText(state, paths, summaries, Date.now() - started)}`);
  return 0;
}

/** Stops everything and removes the stores and stacks; says what it stopped. */
export async function labDown(paths: LabPaths, io: Io): Promise<number> {
  return withLock(paths, async () => {
    let state: LabState | undefined;
    try {
      state = readLabState(paths.stateFile);
    } catch (error) {
      io.err(`lab: ${(error as Error).message} Stopping what names ${paths.dir} instead.\n`);
    }
    const { stopped, removed } = await tearDown(paths, state);
    io.out(
      stopped.length === 0 && removed.length === 0
        ? `no lab was running in ${paths.dir}; nothing to do\n`
        : [
            `lab stopped: ${stopped.length === 0 ? "no process was running" : stopped.join(", ")}${state === undefined ? "" : ` (and the ${state.relays.length} leafnode relays in the daemon)`}`,
            `removed: ${removed.join(", ")}`,
            `kept: the logs in ${paths.logsDir}`,
            "",
          ].join("\n"),
    );
    return 0;
  });
}

export function labEnv(paths: LabPaths, io: Io): number {
  io.out(envText(runningState(paths), paths));
  return 0;
}

/** The lab's processes, then what `npm run status` shows of both regions; 1 when something is down. */
export async function labStatus(paths: LabPaths, io: Io): Promise<number> {
  const state = runningState(paths);
  io.out(processTable(state, paths, (pid) => isLabProcess(pid, state.dir)));
  const targets = statusRegions(state).map((region) => ({
    region: region.region,
    domain: state.regions[region.region as LabRegion].domain,
    servers: region.clientUrls,
    monitors: region.monitorUrls,
  }));
  const status = await collectStatus(targets, state.users.app, 3000);
  io.out(`\n${renderStatus(status)}`);
  return isHealthy(status) && labHealth(state).goneServers.length === 0 ? 0 : 1;
}
