// The drill's commands on Ctrl-C: the interrupt ends them with 130 once the servers are reaped,
// even when the run it interrupted fails first (its `pulumi up` killed under it).
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../drill/local/binaries";

// A command shaped like drill/cli.ts (JavaScript: node evaluates it, tsx loads the modules): a tracked "server", and a run that fails as soon as the
// signal arrives, as a run whose Pulumi processes the interrupt kills does.
const COMMAND = `
import { spawn } from "node:child_process";
import { exitOnInterrupt, exitUnlessInterrupted, interrupted } from ${JSON.stringify(path.join(PROJECT_ROOT, "drill/interrupt"))};
import { trackChild } from ${JSON.stringify(path.join(PROJECT_ROOT, "drill/local/cleanup"))};
exitOnInterrupt("fixture");
const server = spawn("sleep", ["60"], { stdio: "ignore" });
trackChild(server);
const run = new Promise((_, reject) => process.on("SIGINT", () => reject(new Error("the run was killed"))));
process.stdout.write(\`ready \${server.pid}\\n\`);
run.then(
  (code) => exitUnlessInterrupted(code),
  (error) => {
    if (!interrupted()) process.stderr.write(\`fixture: could not run: \${String(error)}\\n\`);
    exitUnlessInterrupted(2);
  },
);
`;

interface Ended {
  code: number | null;
  stderr: string;
  serverPid: number;
}

function interruptCommand(): Promise<Ended> {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", COMMAND], {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let serverPid = 0;
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    const ready = /ready (\d+)/.exec(stdout);
    if (ready && serverPid === 0) {
      serverPid = Number(ready[1]);
      child.kill("SIGINT");
    }
  });
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stderr, serverPid })));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("interrupt", () => {
  it("a run failing because of the interrupt neither changes the exit code from 130 nor prints its error", async () => {
    const ended = await interruptCommand();
    expect(ended.stderr).toContain("SIGINT: stopping the fixture's servers and exiting");
    expect(ended.stderr).not.toContain("could not run");
    expect(ended.code).toBe(130);
    expect(ended.serverPid).toBeGreaterThan(0);
    expect(alive(ended.serverPid)).toBe(false);
  }, 30_000);
});
