// The process tree of a running Pulumi command, read from /proc (Linux): the CLI, its language
// host, the program and the dynamic-provider processes. Used to interrupt a `pulumi up` the hard
// way (as a crashed runner or an OOM kill would), provider included, and to prove none is left.
import fs from "node:fs";

/** Parent pid of `pid`, or undefined when the process is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces; ppid follows it.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[1]);
  } catch {
    return undefined;
  }
}

/** The arguments of a process; [] when it is gone, a zombie, or /proc cannot be read. */
export function commandLine(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

function allPids(): number[] {
  return fs
    .readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

function environment(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
  } catch {
    return [];
  }
}

/**
 * Pids of `pulumi <command> ... --stack <stack>` processes that run against the backend
 * `backendUrl` (their PULUMI_BACKEND_URL): stack names repeat across test worlds that run at the
 * same time, backends do not.
 */
export function pulumiCommandPids(command: string, stack: string, backendUrl: string): number[] {
  const marker = `PULUMI_BACKEND_URL=${backendUrl}`;
  return allPids().filter((pid) => {
    const argv = commandLine(pid);
    const stackAt = argv.indexOf("--stack");
    return (
      argv[0] !== undefined &&
      /(^|\/)pulumi$/.test(argv[0]) &&
      argv[1] === command &&
      stackAt > 0 &&
      argv[stackAt + 1] === stack &&
      environment(pid).includes(marker)
    );
  });
}

/** `pid` and every process below it. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const candidate of allPids()) {
    const parent = parentOf(candidate);
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), candidate]);
  }
  const tree: number[] = [];
  const visit = (current: number) => {
    tree.push(current);
    for (const child of children.get(current) ?? []) visit(child);
  };
  visit(pid);
  return tree;
}

/** SIGKILLs every process of the trees of `pids` at once (children first read, then all killed). */
export function killTrees(pids: readonly number[]): number[] {
  const victims = [...new Set(pids.flatMap(processTree))];
  for (const victim of victims) {
    try {
      process.kill(victim, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  return victims;
}

/** Which of `pids` still run. */
export function stillRunning(pids: readonly number[]): number[] {
  return pids.filter((pid) => parentOf(pid) !== undefined && !isZombie(pid));
}

function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}
