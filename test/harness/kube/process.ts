// One long-running process of the local Kubernetes control plane (etcd, kube-apiserver, ...): its
// output in a log file, killed with this process (orphanSafeCommand, trackChild), and stopped by
// SIGTERM then SIGKILL.
import fs from "node:fs";
import { spawnLogged } from "../cleanup";
import { settlesWithin, sleep } from "../wait";

export interface ProcessOptions {
  /** Names the process in errors, e.g. "kube-apiserver". */
  readonly name: string;
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** stdout and stderr go here (appended). */
  readonly logFile: string;
  /** Resolves true once the process serves; polled every 200 ms. */
  readonly ready: () => Promise<boolean>;
  /** Bound for `ready`, in ms. */
  readonly readyTimeoutMs: number;
}

export interface RunningProcess {
  readonly name: string;
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after 10 s; no-op when it has exited. */
  stop(): Promise<void>;
  /** The last `lines` lines of its log. */
  logTail(lines?: number): string;
}

const STOP_GRACE_MS = 10_000;

/** Starts the process and waits until `ready` holds; on failure kills it and throws with its log. */
export async function startProcess(options: ProcessOptions): Promise<RunningProcess> {
  const { child, exited } = spawnLogged(options.file, options.args, options.cwd, options.logFile);
  const alive = () => child.exitCode === null && child.signalCode === null;
  const logTail = (lines = 30) => {
    try {
      return fs.readFileSync(options.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  };
  const stop = async () => {
    if (!alive()) return;
    child.kill("SIGTERM");
    if (!(await settlesWithin(exited, STOP_GRACE_MS))) {
      child.kill("SIGKILL");
      await exited;
    }
  };
  const deadline = Date.now() + options.readyTimeoutMs;
  for (;;) {
    if (!alive()) {
      throw new Error(
        `${options.name} exited during startup (code ${child.exitCode}, signal ${child.signalCode}). ` +
          `Log ${options.logFile} ends with:\n${logTail()}`,
      );
    }
    if (await options.ready().catch(() => false)) break;
    if (Date.now() >= deadline) {
      await stop();
      throw new Error(
        `${options.name} was not ready within ${options.readyTimeoutMs} ms. Log ${options.logFile} ends with:\n${logTail()}`,
      );
    }
    await sleep(200);
  }
  return { name: options.name, logFile: options.logFile, stop, logTail };
}
