import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Last-resort cleanup: every nats-server the drill or the test harness spawns and every temp dir
 * it creates is
 * registered here until it is stopped or removed. If the process exits (or is terminated by
 * a signal, which is how vitest ends its fork workers) with anything still registered, the
 * children are SIGKILLed and the dirs removed, so a crashed run leaves no servers behind.
 * A SIGKILLed test process runs no hooks (vitest's watchdog SIGKILLs the workers when the
 * main process dies), so on Linux the servers are also started with a parent-death signal.
 */
interface Registry {
  readonly children: Set<ChildProcess>;
  readonly dirs: Set<string>;
}

// Shared through globalThis: vitest may load this module more than once per worker, and the
// hooks must be installed once.
// The key keeps its original name so the drill and the tests share one registry.
const REGISTRY_KEY = Symbol.for("nats-dr.test-harness.cleanup");
const TERMINATING_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

function registry(): Registry {
  const holder = globalThis as { [REGISTRY_KEY]?: Registry };
  let existing = holder[REGISTRY_KEY];
  if (existing === undefined) {
    existing = { children: new Set(), dirs: new Set() };
    holder[REGISTRY_KEY] = existing;
    installHooks(existing);
    removeDirsOfDeadOwners();
  }
  return existing;
}

function installHooks(reg: Registry): void {
  process.on("exit", () => cleanUpNow(reg));
  for (const signal of TERMINATING_SIGNALS) {
    const onSignal = (): void => {
      cleanUpNow(reg);
      // Keep the default behaviour (terminate) when nobody else handles the signal.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

function cleanUpNow(reg: Registry): void {
  for (const child of reg.children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
    }
  }
  reg.children.clear();
  for (const dir of reg.dirs) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // Best effort while exiting; the dir is under os.tmpdir().
    }
  }
  reg.dirs.clear();
}

const SETPRIV = "/usr/bin/setpriv";
const NICE = "/usr/bin/nice";
let setprivUsable: boolean | undefined;

let regionNicenessValue = 0;

/**
 * The niceness (nice(1), 0-19) the processes standing for the regions get from now on: the
 * servers, their exporters and the checkpointer. The drill lowers their priority (--server-nice)
 * because in production the operator's `pulumi up` does not share their CPU; started with it,
 * every thread of theirs has it (renicing a running nats-server changes its first thread only).
 */
export function setRegionNiceness(niceness: number): void {
  if (!Number.isInteger(niceness) || niceness < 0 || niceness > 19)
    throw new Error(`a niceness is a whole number from 0 to 19; got ${niceness}`);
  regionNicenessValue = niceness;
}

export function regionNiceness(): number {
  return regionNicenessValue;
}

/**
 * The command line to spawn `file args` so that the kernel SIGKILLs it when this process dies:
 * `setpriv --pdeathsig KILL -- file args` on Linux (setpriv execs, so the pid and signals are
 * the server's own); unchanged where setpriv is missing. With `niceness` above 0, `nice -n` runs
 * it (it execs too).
 */
export function orphanSafeCommand(
  file: string,
  args: readonly string[],
  niceness = 0,
): { file: string; args: string[] } {
  if (setprivUsable === undefined) {
    setprivUsable = process.platform === "linux" && isExecutable(SETPRIV);
  }
  const line = niceness > 0 && isExecutable(NICE) ? [NICE, "-n", String(niceness), file, ...args] : [file, ...args];
  return setprivUsable
    ? { file: SETPRIV, args: ["--pdeathsig", "KILL", "--", ...line] }
    : { file: line[0]!, args: line.slice(1) };
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Spawns `file args` in `cwd` with stdout and stderr appended to `logFile`, killed with this process
 * (orphanSafeCommand) and registered until it exits (trackChild). `exited` resolves when it exits or
 * fails to start.
 */
export function spawnLogged(
  file: string,
  args: readonly string[],
  cwd: string,
  logFile: string,
  niceness = 0,
): { child: ChildProcess; exited: Promise<void> } {
  const fd = fs.openSync(logFile, "a");
  let child: ChildProcess;
  try {
    const command = orphanSafeCommand(file, args, niceness);
    child = spawn(command.file, command.args, { cwd, stdio: ["ignore", fd, fd] });
  } finally {
    fs.closeSync(fd);
  }
  trackChild(child);
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
  return { child, exited };
}

/** Registers a child process until it exits. */
export function trackChild(child: ChildProcess): void {
  const reg = registry();
  reg.children.add(child);
  child.once("exit", () => reg.children.delete(child));
}

const TEMP_PREFIX = "nats-dr-";
const OWNER_FILE = ".owner-pid";

/**
 * Creates `<os.tmpdir()>/nats-dr-<label>-XXXXXX`, registered for removal at exit. The dir
 * records this process's pid, so a later run can remove it if this process was SIGKILLed.
 */
export async function makeTempDir(label: string): Promise<string> {
  const reg = registry();
  const safe = label.replace(/[^A-Za-z0-9_.-]/g, "_");
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), `${TEMP_PREFIX}${safe}-`));
  reg.dirs.add(dir);
  await fs.promises.writeFile(path.join(dir, OWNER_FILE), `${process.pid}\n`);
  return dir;
}

/** Removes harness temp dirs left behind by test processes that no longer exist. */
function removeDirsOfDeadOwners(): void {
  let names: string[];
  try {
    names = fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith(TEMP_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = path.join(os.tmpdir(), name);
    try {
      const owner = Number(fs.readFileSync(path.join(dir, OWNER_FILE), "utf8"));
      if (Number.isInteger(owner) && owner > 0 && !pidAlive(owner)) {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    } catch {
      // Not one of ours, or already gone.
    }
  }
}

/** True when a process with this pid exists (also one owned by another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes a dir made by {@link makeTempDir} and forgets it. */
export async function removeTempDir(dir: string): Promise<void> {
  await fs.promises.rm(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
  registry().dirs.delete(dir);
}

/**
 * SIGKILLs every registered child and waits (at most `timeoutMs`) until each has exited and
 * been reaped, so a process that exits right after leaves no zombie behind. For an interrupt:
 * the exit hook alone kills without waiting.
 */
export async function killAllChildren(timeoutMs = 5000): Promise<void> {
  const children = [...registry().children].filter((child) => child.exitCode === null && child.signalCode === null);
  const exited = children.map((child) => new Promise<void>((resolve) => child.once("exit", () => resolve())));
  for (const child of children) child.kill("SIGKILL");
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(exited), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
}

/**
 * Every process below `root` (children, theirs, ...), from one `ps` listing: what the Pulumi CLI
 * started through the Automation API (its language host, the program, the provider plugins, some
 * in process groups of their own), which no registry here knows about.
 */
export function descendantPids(root: number = process.pid): number[] {
  const children = new Map<number, number[]>();
  for (const line of execFileSync("ps", ["-A", "-o", "pid=,ppid="], { encoding: "utf8" }).split("\n")) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (pid === undefined || ppid === undefined || !Number.isInteger(pid) || !Number.isInteger(ppid)) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const found: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (found.includes(pid)) continue;
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/**
 * SIGKILLs every process below this one, for an interrupt. The tree is frozen first (SIGSTOP,
 * listing again until no new process shows up), so a process that a language host starts while
 * the tree is being listed (a Pulumi program, seen left behind once) is caught before its parent
 * dies and it is re-parented out of reach; then everything is killed at once. Processes already
 * gone are skipped.
 */
export function killDescendants(): number[] {
  const frozen: number[] = [];
  for (let round = 0; round < 5; round++) {
    const fresh = descendantPids().filter((pid) => !frozen.includes(pid));
    if (fresh.length === 0) break;
    for (const pid of fresh) {
      frozen.push(pid);
      signal(pid, "SIGSTOP");
    }
  }
  for (const pid of frozen) signal(pid, "SIGKILL");
  return frozen;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Exited since the listing.
  }
}

/** How many spawned children are still running (for tests of the harness itself). */
export function liveChildCount(): number {
  return registry().children.size;
}
