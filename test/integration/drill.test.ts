// `npm run drill -- --short` as CI runs it: the real command, six real nats-servers, every
// scenario once at a small rate, the stacks run by the real Pulumi CLI. Asserts the verdicts and
// key figures from report.json (never wall-clock times), and that no nats-server and no Pulumi
// process outlives the drill, also after Ctrl-C in the middle of a `pulumi up`.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RepublishEvidence } from "../../drill/orphans/evidence";
import type { DrillReport, ScenarioResult, StackRunSummary } from "../../drill/report/types";
import { PROJECT_ROOT, TOOLS_BIN_DIR } from "../harness";
import { backendUrl } from "../../drill/pulumi/workspace";

const outDirs: string[] = [];

afterAll(() => {
  for (const dir of outDirs) fs.rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly group: number;
}

/** Starts the drill CLI in its own process group, so every server it starts can be found. */
function drill(args: string[], onStderr?: (text: string, pid: number) => void): Promise<Run> {
  // As a user runs it. npm forwards the signals it gets to its child, which is the drill itself
  // (the script execs node with tsx's loader: no shell or tsx process in between to drop them).
  const child = spawn("npm", ["run", "-s", "drill", "--", ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, PATH: `${TOOLS_BIN_DIR}${path.delimiter}${process.env["PATH"] ?? ""}` },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    onStderr?.(stderr, child.pid!);
  });
  return new Promise((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr, group: child.pid! })),
  );
}

/** nats-server processes still alive in the process group (a zombie awaiting its reaper is not). */
function serversLeft(group: number): string[] {
  const lines = execFileSync("ps", ["-e", "-o", "pgid=,stat=,args="], { encoding: "utf8" }).split("\n");
  return lines.filter((line) => {
    const [pgid, stat] = line.trim().split(/\s+/);
    return Number(pgid) === group && !stat?.startsWith("Z") && line.includes("nats-server");
  });
}

/**
 * Processes of the Pulumi CLI the drill ran (the CLI, its language host, the program, the provider
 * plugins) still alive: each has the drill's backend in its environment. Some run in process
 * groups of their own, so the group alone does not find them.
 */
function pulumiLeft(out: string): string[] {
  const marker = `PULUMI_BACKEND_URL=${backendUrl(path.join(out, "pulumi"))}`;
  return fs.readdirSync("/proc").flatMap((pid) => {
    if (!/^\d+$/.test(pid)) return [];
    try {
      const environ = fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      if (!environ.includes(marker)) return [];
      return [fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim()];
    } catch {
      // Gone meanwhile, or not readable.
      return [];
    }
  });
}

function tempOutDir(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `nats-dr-drill-test-${label}-`));
  outDirs.push(dir);
  return dir;
}

function check(scenario: ScenarioResult, name: string) {
  return scenario.checks.find((item) => item.name === name);
}

describe("drill", () => {
  it("the short drill runs every scenario and meets the targets it can judge without a clock", async () => {
    const out = tempOutDir("short");
    const run = await drill(["--short", "--out", out]);
    expect(run.code, run.stderr).not.toBe(2);
    const report = JSON.parse(fs.readFileSync(path.join(out, "report.json"), "utf8")) as DrillReport;
    expect(run.code).toBe(report.passed ? 0 : 1);
    expect(report.scenarios.map((scenario) => scenario.id)).toEqual([
      "planned",
      "partition",
      "node-loss",
      "unplanned",
      "failback",
    ]);
    for (const file of [
      "report.txt",
      "chart.svg",
      "stack-runs.json",
      "mirror-lag.json",
      "evidence/01-planned-before.json",
      "evidence/05-failback-sequences.json",
      "evidence/orphans-republish.json",
    ]) {
      expect(fs.existsSync(path.join(out, file)), file).toBe(true);
    }

    for (const scenario of report.scenarios) {
      for (const item of scenario.checks.filter((entry) => !entry.timing)) {
        expect(item.ok, `${scenario.title}: ${item.name} was ${item.actual}, target ${item.target}`).toBe(true);
      }
    }

    const [planned, partition, nodeLoss, unplanned, failback] = report.scenarios as [
      ScenarioResult,
      ScenarioResult,
      ScenarioResult,
      ScenarioResult,
      ScenarioResult,
    ];
    // Planned: zero loss, zero redelivery, a real promotion that took writes.
    expect(planned.figures).toMatchObject({
      from: "us-east-1",
      to: "eu-central-1",
      lostAtFailover: 0,
      lostHere: 0,
      redeliveredAcked: 0,
      demotionOrphans: 0,
    });
    expect(Object.values(planned.figures.promotion ?? {})).toEqual(["planned", "planned"]);
    expect(planned.figures.rtoMs).not.toBeNull();
    expect(planned.figures.published).toBeGreaterThan(0);
    expect(planned.figures.stored).toBe(planned.figures.published);
    // The interest stream kept every unread message through the failover and both regions' restarts.
    expect(planned.figures.interestHeld).toMatchObject({ stream: "drill-interest", lost: 0 });
    expect(planned.figures.interestHeld?.held).toBeGreaterThan(0);
    expect(planned.figures.interestHeld?.afterRestart.map((entry) => entry.restarted)).toEqual([
      "eu-central-1",
      "us-east-1",
    ]);
    // Partition: the mirror fell behind and caught up.
    expect(partition.figures.catchUpMs).not.toBeNull();
    expect(partition.figures.mirrorLag.maxMsgs ?? 0).toBeGreaterThan(0);
    expect(partition.figures.sequenceMismatches).toBe(0);
    // Node loss: the failover completed and the mirrors match.
    expect(nodeLoss.figures.rtoMs).not.toBeNull();
    expect(nodeLoss.figures.sequenceMismatches).toBe(0);
    // Unplanned and failback: whatever the killed region held beyond the mirror is found and re-published.
    expect(unplanned.figures.lostAtFailover).toBeLessThanOrEqual(unplanned.figures.unreplicatedAtKill!);
    expect(failback.figures.orphans).toMatchObject({ missingFromOrphans: 0 });
    expect(failback.figures.orphans!.found).toBeGreaterThanOrEqual(unplanned.figures.lostAtFailover!);
    expect(failback.figures.orphans!.republished).toBe(failback.figures.orphans!.found);
    // The product's republish command did it: every orphan stream verified, then removed.
    const republished = JSON.parse(
      fs.readFileSync(path.join(out, "evidence/orphans-republish.json"), "utf8"),
    ) as RepublishEvidence;
    expect(republished.streams.every((stream) => stream.failures.length === 0 && stream.removed)).toBe(true);
    expect(republished.streams.reduce((sum, stream) => sum + stream.verified, 0)).toBe(failback.figures.orphans!.found);
    expect(failback.figures.lostHere).toBe(0);
    // The split-brain window is measured, from the restart of the killed region to the active
    // stack's fence, and closed by it: the returned region stores nothing after the fence.
    expect(failback.figures.splitBrain?.windowMs).toBeGreaterThan(0);
    expect(failback.figures.splitBrain?.writes).toBeGreaterThanOrEqual(0);
    expect(failback.figures.splitBrain?.storedAfterFence).toBe(0);
    expect(check(failback, "writes the returned region stored after the active stack fenced it")?.ok).toBe(true);
    expect(fs.readFileSync(path.join(out, "report.txt"), "utf8")).toMatch(
      /split-brain window +[\d.]+ m?s from the restart to the active stack's fence \([\d.]+ m?s after its streams answered\): [\d,]+ writes stored by both regions, [\d,]+ duplicate deliveries; after the fence 0 stored there/,
    );
    // The active stack ran first when the killed region came back: its streams' updates fenced it.
    const [fencing] = failback.figures.stackRuns;
    expect(fencing).toMatchObject({ stack: "drill-eu-central-1", ok: true });
    expect(
      fencing!.changes.filter((change) => /^update jetstream-stream-\S+ \[diff: [~+]live\]/.test(change)).length,
    ).toBeGreaterThan(0);
    expect(failback.figures.to).toBe("us-east-1");
    expect(check(failback, "RPO after failback (acknowledged, missing)")?.ok).toBe(true);
    // The stacks ran on the real engine: its own summary and steps of the planned flip.
    const [promoting, demoting] = planned.figures.stackRuns.filter((stackRun) => stackRun.ok);
    expect(promoting).toMatchObject({ stack: "drill-eu-central-1", activeRegion: "eu-central-1" });
    // The load's streams and the interest check's stream change role.
    const streamCount = Object.keys(planned.figures.promotion ?? {}).length + 1;
    // The provider's own update (its config holds activeRegion) is not in the engine's count; the
    // acknowledgement capture, which moves to the new standby, is.
    expect(promoting!.resourceChanges).toMatchObject({ update: streamCount + 1 });
    expect(promoting!.changes.filter((change) => /^update jetstream-acks \[diff: ~spec\]/.test(change))).toHaveLength(
      1,
    );
    expect(
      promoting!.changes.filter((change) => /^update jetstream-stream-\S+ \[diff: ~role\]/.test(change)),
    ).toHaveLength(streamCount);
    expect(demoting).toMatchObject({ stack: "drill-us-east-1", activeRegion: "eu-central-1" });
    expect(demoting!.resourceChanges).toMatchObject({ replace: streamCount, update: 1 });
    // What `pulumi up` printed is kept per run, numbered as in stack-runs.json.
    const runs = JSON.parse(fs.readFileSync(path.join(out, "stack-runs.json"), "utf8")) as StackRunSummary[];
    const number = runs.findIndex((stackRun) => stackRun.at === promoting!.at) + 1;
    const printed = path.join(out, "stack-runs", `${String(number).padStart(2, "0")}-drill-eu-central-1.txt`);
    expect(fs.readFileSync(printed, "utf8")).toContain(`Resources:\n    ~ ${streamCount + 1} updated`);
    // The alert rules over the drill's exporters: the cut link and the killed region show as the
    // conditions of our alerts, the killed region's lasting to the end (a page after its for).
    const alerts = (scenario: ScenarioResult) => (scenario.alerts ?? []).map((alert) => alert.alert);
    expect(alerts(partition)).toContain("NatsDrLeafnodeDown");
    expect(unplanned.alerts).toContainEqual(
      expect.objectContaining({ alert: "NatsDrQuorumLost", subject: "us-east-1", heldToEnd: true, forMs: 60_000 }),
    );
    expect(run.stdout).toMatch(/unplanned .* NatsDr(QuorumLost|LeafnodeDown) \+6\d\.\d s/);
    // The status of both regions is printed at the end.
    expect(run.stdout).toMatch(/us-east-1 \(JetStream domain us-east-1\): 3\/3 servers answer/);
    expect(serversLeft(run.group)).toEqual([]);
    expect(pulumiLeft(out)).toEqual([]);
    // About a dozen `pulumi up` runs of 14-25 s each on a busy 2-core machine: a bound, not a target.
  }, 600_000);

  it("SIGINT to npm run drill during a pulumi up stops every server and Pulumi process the drill started and exits 130", async () => {
    const out = tempOutDir("sigint");
    let sent = false;
    let npmPid: number | undefined;
    // Interrupt once the first stack's `pulumi up` runs its program (the language host is up).
    const poll = setInterval(() => {
      if (sent || npmPid === undefined) return;
      if (pulumiLeft(out).some((command) => command.includes("pulumi-language-nodejs"))) {
        sent = true;
        // To npm alone, as a process manager or a CI timeout signals the command it started (a
        // terminal's Ctrl-C reaches the whole group).
        process.kill(npmPid, "SIGINT");
      }
    }, 100);
    const run = await drill(["--short", "--scenarios", "partition", "--out", out], (stderr, pid) => {
      if (stderr.includes("pulumi up drill-us-east-1")) npmPid = pid;
    });
    clearInterval(poll);
    expect(sent).toBe(true);
    expect(run.code).toBe(130);
    expect(run.stderr).toContain("SIGINT: stopping the drill's servers and exiting");
    expect(serversLeft(run.group)).toEqual([]);
    expect(pulumiLeft(out)).toEqual([]);
  }, 120_000);
});
