// Runs the real promtool (setup's pinned build) on files written to a temp dir.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promtoolBinary } from "../local/binaries";

export interface PromtoolResult {
  readonly status: number | null;
  /** stdout and stderr together. */
  readonly output: string;
}

/** Writes `files` into a fresh directory, runs `promtool <args>` there and removes the directory. */
export function runPromtool(args: readonly string[], files: Readonly<Record<string, string>>): PromtoolResult {
  const dir = mkdtempSync(path.join(tmpdir(), "natsdr-promtool-"));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    const run = spawnSync(promtoolBinary(), [...args], { cwd: dir, encoding: "utf8", timeout: 120_000 });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
