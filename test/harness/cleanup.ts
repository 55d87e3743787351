import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Last-resort cleanup: every nats-server the harness spawns and every temp dir it creates is
 * registered here until it is stopped or removed. If the process exits (or is terminated by
 * a signal, which is how vitest ends its fork workers) with anything still registered, the
 * children are SIGKILLed and the dirs removed, so a crashed run leaves no servers behind.
 */
interface Registry {
  readonly children: Set<ChildProcess>;
  readonly dirs: Set<string>;
}

// Shared through globalThis: vitest may load this module more than once per worker, and the
// hooks must be installed once.
const REGISTRY_KEY = Symbol.for("nats-dr.test-harness.cleanup");
const TERMINATING_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

function registry(): Registry {
  const holder = globalThis as { [REGISTRY_KEY]?: Registry };
  let existing = holder[REGISTRY_KEY];
  if (existing === undefined) {
    existing = { children: new Set(), dirs: new Set() };
    holder[REGISTRY_KEY] = existing;
    installHooks(existing);
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

/** Registers a child process until it exits. */
export function trackChild(child: ChildProcess): void {
  const reg = registry();
  reg.children.add(child);
  child.once("exit", () => reg.children.delete(child));
}

/** Creates `<os.tmpdir()>/nats-dr-<label>-XXXXXX`, registered for removal at exit. */
export async function makeTempDir(label: string): Promise<string> {
  const safe = label.replace(/[^A-Za-z0-9_.-]/g, "_");
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), `nats-dr-${safe}-`));
  registry().dirs.add(dir);
  return dir;
}

/** Removes a dir made by {@link makeTempDir} and forgets it. */
export async function removeTempDir(dir: string): Promise<void> {
  await fs.promises.rm(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
  registry().dirs.delete(dir);
}

/** How many spawned children are still running (for tests of the harness itself). */
export function liveChildCount(): number {
  return registry().children.size;
}
