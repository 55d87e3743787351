// Starting and stopping the lab's processes: the daemon (started detached, so it outlives the
// command) and, through it, the servers; and taking everything down again, proven by pid and by
// command line. One lab command at a time holds the lock.
import { labRegions } from "./pair";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../local/binaries";
import { pidAlive } from "../local/cleanup";
import { sleep } from "../local/wait";
import { labStackName, type LabPaths } from "./paths";
import { commandLine } from "../pulumi/processes";
import { isLabProcess, labProcesses, stopProcess } from "./processes";
import { readLabState, type LabState } from "./state";

const DAEMON_FILE = path.join(__dirname, "daemon.ts");
/** Both regions up and linked: the meta leaders (30 s at most) and the leafnode (30 s), with room. */
const DAEMON_READY_MS = 90_000;

/** Runs `fn` holding the lab's lock; throws, naming the holder, when another lab command holds it. */
export async function withLock<T>(paths: LabPaths, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(paths.dir, { recursive: true });
  for (;;) {
    try {
      fs.writeFileSync(paths.lockFile, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number(fs.readFileSync(paths.lockFile, "utf8"));
    if (Number.isInteger(holder) && holder > 0 && pidAlive(holder))
      throw new Error(
        `another lab command (pid ${holder}: ${commandLine(holder).join(" ") || "?"}) is working on ${paths.dir}; wait for it to finish and run this again (if that pid is no lab command, remove ${paths.lockFile}).`,
      );
    // Left by a lab command that was killed: take it over.
    fs.rmSync(paths.lockFile, { force: true });
  }
  try {
    return await fn();
  } finally {
    if (fs.readFileSync(paths.lockFile, "utf8").trim() === String(process.pid)) fs.rmSync(paths.lockFile);
  }
}

export interface LabHealth {
  readonly daemonAlive: boolean;
  /** Servers whose process is gone. */
  readonly goneServers: readonly string[];
}

export function labHealth(state: LabState): LabHealth {
  return {
    daemonAlive: isLabProcess(state.daemon.pid, state.dir),
    goneServers: labRegions.flatMap((region) =>
      state.regions[region].servers.filter((server) => !isLabProcess(server.pid, state.dir)).map((s) => s.name),
    ),
  };
}

/** Starts the daemon detached and waits for its state file; throws with its log when it fails. */
export async function startDaemon(paths: LabPaths, basePort: number): Promise<LabState> {
  fs.rmSync(paths.logsDir, { recursive: true, force: true });
  fs.mkdirSync(paths.logsDir, { recursive: true });
  const log = fs.openSync(paths.daemonLog, "a");
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let child;
  try {
    // Node itself with tsx's loader (not the tsx command, which would add a parent process).
    child = spawn(
      process.execPath,
      ["--import", "tsx", DAEMON_FILE, "--dir", paths.dir, "--base-port", String(basePort)],
      { cwd: PROJECT_ROOT, detached: true, stdio: ["ignore", log, log] },
    );
  } finally {
    fs.closeSync(log);
  }
  child.once("exit", (code, signal) => (exited = { code, signal }));
  const deadline = Date.now() + DAEMON_READY_MS;
  try {
    while (Date.now() < deadline) {
      const state = readLabState(paths.stateFile);
      if (state !== undefined && state.daemon.pid === child.pid) return state;
      if (exited !== undefined)
        throw new Error(
          `the lab daemon exited while starting (code ${exited.code}, signal ${exited.signal}); ${paths.daemonLog} ends with:\n${tail(paths.daemonLog)}`,
        );
      await sleep(100);
    }
    if (child.pid !== undefined) await stopProcess(child.pid, paths.dir, 10_000);
    throw new Error(
      `the lab daemon was not ready within ${DAEMON_READY_MS / 1000} s; ${paths.daemonLog} ends with:\n${tail(paths.daemonLog)}`,
    );
  } finally {
    child.unref();
  }
}

function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export interface Teardown {
  /** What was stopped, e.g. "daemon 123", "us-east-1-1 124". */
  readonly stopped: readonly string[];
  /** Files and folders removed. */
  readonly removed: readonly string[];
}

/**
 * Stops the daemon (which ends the servers and closes the relays), then any recorded server still
 * alive, then any other daemon or server of this lab folder; removes the stores, the stacks (backend and
 * settings files) and the state file. Keeps the logs. Throws when a process would not go.
 */
export async function tearDown(paths: LabPaths, state: LabState | undefined): Promise<Teardown> {
  const recorded =
    state === undefined
      ? []
      : [
          { label: "daemon", pid: state.daemon.pid, graceMs: 15_000 },
          ...labRegions.flatMap((region) =>
            state.regions[region].servers.map((server) => ({ label: server.name, pid: server.pid, graceMs: 5000 })),
          ),
        ];
  const running = recorded.filter((entry) => isLabProcess(entry.pid, paths.dir));
  // The daemon first: the servers end with it; any that did not are stopped one by one.
  for (const entry of running)
    if (!(await stopProcess(entry.pid, paths.dir, entry.graceMs)))
      throw new Error(
        `${entry.label} (pid ${entry.pid}) did not stop after SIGTERM and SIGKILL; stop it by hand (kill -9 ${entry.pid}).`,
      );
  const stopped = running.map((entry) => `${entry.label} ${entry.pid}`);
  for (const leftover of labProcesses(paths.dir)) {
    if (!(await stopProcess(leftover.pid, paths.dir, 5000)))
      throw new Error(
        `pid ${leftover.pid} (${leftover.command}) did not stop; stop it by hand (kill -9 ${leftover.pid}).`,
      );
    stopped.push(`${leftover.pid} (${leftover.command})`);
  }
  const left = labProcesses(paths.dir);
  if (left.length > 0)
    throw new Error(
      `processes of the lab are still running: ${left.map((entry) => `${entry.pid} (${entry.command})`).join(", ")}.`,
    );
  const removed: string[] = [];
  const remove = (target: string): void => {
    if (!fs.existsSync(target)) return;
    fs.rmSync(target, { recursive: true, force: true });
    removed.push(target);
  };
  remove(paths.serversDir);
  remove(paths.backendDir);
  for (const region of labRegions) remove(path.join(paths.projectDir, `Pulumi.${labStackName(region)}.yaml`));
  if (!paths.projectIsCheckout) remove(paths.projectDir);
  remove(paths.stateFile);
  return { stopped, removed };
}

/** True when a previous lab left files behind (stores, stacks) without a state file. */
export function hasLeftovers(paths: LabPaths): boolean {
  const stackFiles = labRegions.map((region) => path.join(paths.projectDir, `Pulumi.${labStackName(region)}.yaml`));
  return [paths.serversDir, paths.backendDir, ...stackFiles].some((target) => fs.existsSync(target));
}
