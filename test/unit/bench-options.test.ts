// The benchmarks' command lines: --help, and every bad option named with what it takes (exit 2).
import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";
import { wholeNumber, wholeNumberList } from "../../bench/options";
import { PROJECT_ROOT } from "../../drill/local/binaries";

function bench(script: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, ["--import", "tsx", script, ...args], { cwd: PROJECT_ROOT }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
    ),
  );
}

describe("bench options", () => {
  it("reads lists and numbers, and names the option of a bad one", () => {
    expect(wholeNumberList("counts", "1, 10,50", 1)).toEqual([1, 10, 50]);
    expect(wholeNumberList("counts", "", 1)).toEqual([]);
    expect(() => wholeNumberList("counts", "1,,2", 1)).toThrow('--counts takes whole numbers from 1 up; got "".');
    expect(() => wholeNumberList("counts", "0", 1)).toThrow('got "0"');
    expect(() => wholeNumber("prefill", "2.5", 2)).toThrow('--prefill takes whole numbers from 2 up; got "2.5".');
    expect(wholeNumber("parallel", "16", 1)).toBe(16);
  });

  it("bench:failover and bench:preview print their usage for --help and exit 2 on a bad option", async () => {
    const help = await bench("bench/failover.ts", ["--help"]);
    expect(help).toMatchObject({ code: 0, stderr: "" });
    expect(help.stdout).toContain(
      "--procedures LIST         of planned, unplanned-off, unplanned-on, blackhole, runbook",
    );
    const unknown = await bench("bench/failover.ts", ["--procedures", "planned,fast"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'bench:failover: --procedures: unknown "fast"; choose from planned, unplanned-off, unplanned-on, blackhole, runbook.\n' +
        "Run npm run bench:failover -- --help for the options.\n",
    );
    const runs = await bench("bench/preview.ts", ["--runs", "many"]);
    expect(runs.code).toBe(2);
    expect(runs.stderr).toContain('bench:preview: --runs takes whole numbers from 1 up; got "many".');
    expect((await bench("bench/preview.ts", ["--fast"])).stderr).toContain("Unknown option '--fast'");
  });
});
