// The lab's processes, found by pid and checked by command line: the daemon runs `daemon.ts --dir
// <lab folder>` and each nats-server `-c <lab folder>/servers/<name>/<name>.conf`, so a pid the
// kernel has since given to another program is never signalled, and `down` can prove nothing of
// the lab is left. Other programs that merely name the folder (a `tail -f` of a log) are not the
// lab's and are left alone.
import fs from "node:fs";
import path from "node:path";
import { pidAlive } from "../local/cleanup";
import { sleep } from "../local/wait";
import { commandLine } from "../pulumi/processes";
import { labPaths, LAB_DIR_ENV } from "./paths";

/** True when `/proc` can be read (Linux); elsewhere only pids are checked. */
function procReadable(): boolean {
  return commandLine(process.pid).length > 0;
}

/** The command line of the daemon or of a server of the lab in `dir`. */
function isLabCommand(args: readonly string[], dir: string): boolean {
  const servers = `${labPaths({ [LAB_DIR_ENV]: dir }).serversDir}${path.sep}`;
  const after = (flag: string, test: (value: string) => boolean) =>
    args.some((arg, index) => arg === flag && index + 1 < args.length && test(args[index + 1]!));
  const daemon = args.some((arg) => path.basename(arg) === "daemon.ts") && after("--dir", (value) => value === dir);
  return daemon || after("-c", (value) => value.startsWith(servers));
}

/** True when `pid` is alive and (where /proc tells) is the lab's daemon or one of its servers. */
export function isLabProcess(pid: number, dir: string): boolean {
  if (!pidAlive(pid)) return false;
  if (!procReadable()) return true;
  return isLabCommand(commandLine(pid), dir);
}

/** The live daemon and servers of the lab in `dir`, other than this process; [] without /proc. */
export function labProcesses(dir: string): { pid: number; command: string }[] {
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  return entries
    .map(Number)
    .filter((pid) => pid !== process.pid)
    .flatMap((pid) => {
      const args = commandLine(pid);
      return isLabCommand(args, dir) ? [{ pid, command: args.join(" ") }] : [];
    });
}

/**
 * SIGTERM, then SIGKILL once `graceMs` has passed; resolves true when the process is gone (the
 * lab's servers are not this process's children, so "gone" is the pid no longer existing).
 */
export async function stopProcess(pid: number, dir: string, graceMs: number): Promise<boolean> {
  if (!isLabProcess(pid, dir)) return true;
  signal(pid, "SIGTERM");
  if (await goneWithin(pid, dir, graceMs)) return true;
  signal(pid, "SIGKILL");
  return goneWithin(pid, dir, 5000);
}

async function goneWithin(pid: number, dir: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isLabProcess(pid, dir)) return true;
    await sleep(50);
  }
  return !isLabProcess(pid, dir);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}
