import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { PHASE_LOG_ENV, notePhase, parsePhaseLog, timedPhase } from "../../streams/phaseLog";

const where = { domain: "eu-central-1", stream: "orders" };

afterEach(() => {
  delete process.env[PHASE_LOG_ENV];
});

describe("phase log", () => {
  test("writes nothing when the variable is unset", async () => {
    expect(await timedPhase(where, "fence", async () => 7)).toBe(7);
  });

  test("records each phase, failures with their message, and notes", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "phases-")), "phases.jsonl");
    process.env[PHASE_LOG_ENV] = file;
    await timedPhase(where, "fence", async () => undefined);
    await expect(
      timedPhase(where, "marker", async () => {
        throw new Error("no answer");
      }),
    ).rejects.toThrow("no answer");
    notePhase(where, "ask-peer-attempt", Date.now(), "timed out");
    const entries = parsePhaseLog(fs.readFileSync(file, "utf8") + '{"at": 1, "pha');
    expect(entries.map(({ phase, outcome, detail }) => ({ phase, outcome, detail }))).toEqual([
      { phase: "fence", outcome: "ok", detail: undefined },
      { phase: "marker", outcome: "failed", detail: "no answer" },
      { phase: "ask-peer-attempt", outcome: "note", detail: "timed out" },
    ]);
    expect(entries.every((entry) => entry.domain === "eu-central-1" && entry.stream === "orders")).toBe(true);
  });
});
