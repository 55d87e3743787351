// Timestamps of a promotion's and a demotion's phases, so a failover's time can be taken apart
// (issue 15 item 2).
//
// When the environment variable NATSDR_PHASE_LOG names a file, every phase of a promotion, a
// demotion or another re-creation of a stream as a mirror appends one JSON line to it: when it
// started (ms since the epoch), the domain and stream, the phase, how long it took and whether it
// failed, plus the attempts a phase made when an API did not answer.
// The engine starts the dynamic provider with the environment of `pulumi up`, so the drill sets it
// and keeps the file as evidence, failed runs included; the benchmark sets it in its own process.
// Unset (every user's `pulumi up`), nothing is written and nothing is measured.

export const PHASE_LOG_ENV = "NATSDR_PHASE_LOG";

export interface PhaseWhere {
  readonly domain: string;
  readonly stream: string;
}

/** One line of the log. */
export interface PhaseEntry extends PhaseWhere {
  /** When the phase started, ms since the epoch. */
  readonly at: number;
  readonly phase: string;
  readonly ms: number;
  readonly outcome: "ok" | "failed" | "note";
  readonly detail?: string;
}

function logFile(): string | undefined {
  const file = process.env[PHASE_LOG_ENV];
  return file === undefined || file === "" ? undefined : file;
}

function append(entry: PhaseEntry): void {
  const file = logFile();
  if (file === undefined) return;
  const fs = require("node:fs") as typeof import("node:fs");
  // One write per line, appended: the provider's resources run at once in one process.
  fs.appendFileSync(file, `${JSON.stringify(entry)}\n`);
}

/** Runs `work` and, when the log is on, records how long it took as `phase`. */
export async function timedPhase<T>(where: PhaseWhere, phase: string, work: () => Promise<T>): Promise<T> {
  if (logFile() === undefined) return work();
  const at = Date.now();
  try {
    const result = await work();
    append({ ...where, at, phase, ms: Date.now() - at, outcome: "ok" });
    return result;
  } catch (error) {
    append({
      ...where,
      at,
      phase,
      ms: Date.now() - at,
      outcome: "failed",
      detail: String((error as Error)?.message ?? error).slice(0, 300),
    });
    throw error;
  }
}

/** Records something that happened inside a phase (an attempt that got no answer, say). */
export function notePhase(where: PhaseWhere, phase: string, startedAt: number, detail: string): void {
  append({ ...where, at: startedAt, phase, ms: Date.now() - startedAt, outcome: "note", detail: detail.slice(0, 300) });
}

/** Pure: the lines of a log file's text that parse as entries (a torn last line is skipped). */
export function parsePhaseLog(text: string): PhaseEntry[] {
  const entries: PhaseEntry[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const entry = JSON.parse(line) as PhaseEntry;
      if (typeof entry.at === "number" && typeof entry.phase === "string") entries.push(entry);
    } catch {
      // A line cut off by a killed provider process.
    }
  }
  return entries;
}
