// `npm run lab` as a user runs it, in a lab folder of its own (NATS_DR_LAB_DIR) on ports of its
// own: one lifecycle with six real nats-servers and the real Pulumi CLI. Up creates both stacks
// and runs them; the failover it prints, pasted into a plain shell, fails over with the real CLI;
// a second up keeps the lab and the flipped config; a lab left by a reboot is cleaned up; down
// leaves no process, proven by pid and by command line.
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labPaths, LAB_DIR_ENV } from "../../drill/lab/paths";
import { labPorts, portsInUse } from "../../drill/lab/ports";
import { isLabProcess } from "../../drill/lab/processes";
import { readLabState, writeLabState, type LabState } from "../../drill/lab/state";
import { sleep } from "../../drill/local/wait";
import { makeTempDir, PROJECT_ROOT, TOOLS_BIN_DIR } from "../harness";

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, [...args], { cwd: PROJECT_ROOT, env, maxBuffer: 64 * 1024 ** 2 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A base port in 20000-32000 (below the ephemeral ports other tests get) whose whole layout is free. */
async function freeBasePort(): Promise<number> {
  const first = 20_000 + 200 * Math.floor(Math.random() * 50);
  for (let step = 0; step < 60; step++) {
    const base = 20_000 + ((first - 20_000 + 200 * step) % 12_000);
    if ((await portsInUse(labPorts(base))).length === 0) return base;
  }
  throw new Error("no free block of lab ports between 20000 and 32000");
}

function pids(state: LabState): number[] {
  return [
    state.daemon.pid,
    ...Object.values(state.regions).flatMap((region) => region.servers.map((server) => server.pid)),
  ];
}

/** What `ps` lists with the lab's folder anywhere on its command line: wider than what down stops. */
async function psNaming(dir: string): Promise<string[]> {
  const ps = await run("ps", ["-eo", "pid=,args="], process.env);
  expect(ps.code).toBe(0);
  return ps.stdout.split("\n").filter((line) => line.includes(dir));
}

/** The pid of a process that has exited (what a state file from before a reboot names). */
async function deadPid(): Promise<number> {
  const child = spawn("true");
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}

/** A state file as a lab writes it, naming processes that are not the lab's. */
function staleState(dir: string, base: number, daemonPid: number, serverPid: number): LabState {
  const users = {
    app: { user: "app", password: "app-password" },
    system: { user: "sys", password: "sys-password" },
    leaf: { user: "leaf", password: "leaf-password" },
  };
  const servers = (region: string, offset: number) =>
    [1, 2, 3].map((n) => ({
      name: `${region}-${n}`,
      pid: serverPid,
      clientUrl: `nats://127.0.0.1:${base + offset + n}`,
      monitorUrl: `http://127.0.0.1:${base + offset + 10 + n}`,
      configFile: path.join(dir, "servers", `${region}-${n}`, `${region}-${n}.conf`),
      logFile: path.join(dir, "logs", `${region}-${n}.log`),
    }));
  return {
    version: 1,
    startedAt: "2026-01-01T00:00:00.000Z",
    dir,
    basePort: base,
    passphrase: "a-passphrase-of-a-lab-before-the-reboot",
    daemon: { pid: daemonPid, logFile: path.join(dir, "logs", "daemon.log") },
    users,
    regions: {
      "us-east-1": { domain: "us-east-1", servers: servers("us-east-1", 0) },
      "eu-central-1": { domain: "eu-central-1", servers: servers("eu-central-1", 100) },
    },
    relays: [1, 2, 3].map((n) => ({ port: base + 40 + n, targetPort: base + 30 + n })),
  };
}

/** The commands the lab printed for a failover by hand, without their comments. */
function failoverCommands(stdout: string): string[] {
  const lines = stdout.split("\n");
  const start = lines.findIndex((line) => line.startsWith("Fail over to "));
  const end = lines.findIndex((line, index) => index > start && line.startsWith("Back to "));
  expect(start).toBeGreaterThan(-1);
  expect(end).toBeGreaterThan(start);
  return lines.slice(start + 1, end).map((line) => line.trim().replace(/ {2,}# .*$/, ""));
}

describe("lab", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let base: number;
  const lab = (...args: string[]) => run("npm", ["run", "-s", "lab", "--", ...args], env);

  beforeAll(async () => {
    dir = await makeTempDir("lab");
    env = { ...process.env, [LAB_DIR_ENV]: dir };
    base = await freeBasePort();
  });

  afterAll(async () => {
    // Whatever a failed assertion left: the lab's own down, then the folder.
    await lab("down");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("bad inputs stop before anything starts, with the fix; a stale lab is cleaned up", async () => {
    const unknown = await lab("frob");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frob"; use one of up, down, env, status.');
    const badPort = await lab("--base-port", "80");
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(
      /--base-port must be a whole number from 1024 to \d+ \(the lab uses it to \+\d+\); got "80"/,
    );
    const portWithDown = await lab("down", "--base-port", String(base));
    expect(portWithDown.code).toBe(2);
    expect(portWithDown.stderr).toContain("--base-port goes with up");
    const noPulumi = await run("npm", ["run", "-s", "lab", "--", "--base-port", String(base)], {
      ...env,
      PULUMI_BIN: path.join(dir, "no-pulumi"),
    });
    expect(noPulumi.code).toBe(1);
    expect(noPulumi.stderr).toContain(
      `PULUMI_BIN is set to ${path.join(dir, "no-pulumi")}, which is not an executable`,
    );
    const noLab = await lab("env");
    expect(noLab.code).toBe(1);
    expect(noLab.stderr).toContain(`no lab is running in ${dir}; start one with: npm run lab`);

    // What a reboot leaves: the state file, whose daemon pid now belongs to another program (this
    // test) and whose servers' pid is gone, the stores and the stacks. Up removes them without
    // signalling that program, then stops at a port that is taken.
    const paths = labPaths(env);
    fs.mkdirSync(paths.serversDir, { recursive: true });
    fs.mkdirSync(paths.backendDir, { recursive: true });
    writeLabState(paths.stateFile, staleState(dir, base, process.pid, await deadPid()));
    const staleEnv = await lab("env");
    expect(staleEnv.code).toBe(1);
    expect(staleEnv.stderr).toContain(`no lab is running in ${dir}`);
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen({ host: "127.0.0.1", port: base + 102 }, resolve));
    try {
      const busy = await lab("--base-port", String(base));
      expect(busy.stdout).toContain(
        `the lab in ${dir} is not running (daemon pid ${process.pid} is gone); removing what it left`,
      );
      expect(busy.code).toBe(1);
      expect(busy.stderr).toContain(`${base + 102} (eu-central-1-2 client): in use`);
      expect(busy.stderr).toContain(`npm run lab -- --base-port ${base + 1000}`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
    for (const target of [paths.stateFile, paths.serversDir, paths.backendDir])
      expect(fs.existsSync(target)).toBe(false);
    expect(await psNaming(dir)).toEqual([]);
  }, 120_000);

  it("up runs both stacks, the printed failover works in a plain shell, a second up keeps it, down leaves nothing", async () => {
    const paths = labPaths(env);
    const up = await lab("--base-port", String(base));
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    expect(up.stdout).toContain("lab-us-east-1: created and configured (pulumi config set)");
    expect(up.stdout).toMatch(/lab-us-east-1 +us-east-1 .* 11 created +primary: audit, events, metrics, notifications/);
    expect(up.stdout).toMatch(
      /lab-eu-central-1 +us-east-1 .* 14 created +mirror: audit, events, metrics, notifications; primary: audit-eu-gdpr, events-eu-gdpr/,
    );
    // The active region's stack runs first.
    expect(up.stdout.indexOf("--- pulumi up --stack lab-us-east-1 ---")).toBeLessThan(
      up.stdout.indexOf("--- pulumi up --stack lab-eu-central-1 ---"),
    );
    const state = readLabState(paths.stateFile)!;
    expect(state.basePort).toBe(base);
    expect(pids(state)).toHaveLength(7);
    for (const pid of pids(state)) expect(isLabProcess(pid, dir)).toBe(true);
    expect(fs.statSync(paths.stateFile).mode & 0o077).toBe(0);
    // Configured as a user would: structured values as YAML paths, the password encrypted.
    const settings = fs.readFileSync(path.join(paths.projectDir, "Pulumi.lab-eu-central-1.yaml"), "utf8");
    expect(settings).toContain("nats-dr:backup:\n    enabled: false");
    expect(settings).toMatch(/nats-dr:natsPassword:\n +secure: /);
    expect(settings).not.toContain(state.users.app.password);
    expect(settings).not.toMatch(/nats-dr:(dns|kubernetes|aws):/);

    // Another shell: nothing of the project on PATH but node; what the lab printed is all it gets.
    const shellEnv = {
      HOME: process.env["HOME"] ?? "/root",
      PATH: [path.dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(path.delimiter),
    };
    const commands = failoverCommands(up.stdout);
    expect(commands).toEqual([
      `cd ${paths.projectDir} && eval "$(${LAB_DIR_ENV}=${dir} npm --prefix ${PROJECT_ROOT} run -s lab -- env)"`,
      "pulumi config set nats-dr:activeRegion eu-central-1 --stack lab-eu-central-1",
      "pulumi config set nats-dr:activeRegion eu-central-1 --stack lab-us-east-1",
      "pulumi preview --diff --stack lab-eu-central-1",
      "pulumi up --stack lab-eu-central-1",
      "pulumi preview --stack lab-us-east-1",
      "pulumi up --stack lab-us-east-1",
      expect.stringMatching(
        new RegExp(`^NATS_USER=app NATS_PASSWORD=\\w+ npm --prefix ${PROJECT_ROOT} run status -- --region us-east-1=`),
      ),
    ]);
    const outputs = path.join(dir, "outputs");
    fs.mkdirSync(outputs);
    // Each printed command as pasted, its output after a marker; the user answers pulumi up's
    // "Do you want to perform this update?" with yes (PULUMI_SKIP_CONFIRMATIONS: no terminal here).
    const script = [
      "set -e",
      ...commands.flatMap((command, index) => [`echo "### ${index}"`, command]),
      'echo "### outputs"',
      "command -v pulumi",
      `pulumi stack ls --json > "$1/ls.json"`,
      `pulumi stack output --json --stack lab-us-east-1 > "$1/us-east-1.json"`,
      `pulumi stack output --json --stack lab-eu-central-1 > "$1/eu-central-1.json"`,
    ].join("\n");
    const shell = await run("bash", ["-c", script, "shell", outputs], {
      ...shellEnv,
      PULUMI_SKIP_CONFIRMATIONS: "true",
    });
    // The engine warns about each provider plugin it finds on PATH (.tools/bin holds those setup
    // builds, e.g. pulumi-resource-kubernetes for other tests); nothing else may reach stderr.
    const pluginOnPath = /^warning: using pulumi-resource-[\w-]+ from \$PATH at \S+$/;
    // The failover plan of the flip (docs/failover.md), which the CLI prints there for a preview
    // with --diff: every replicated stream is promoted planned.
    const planLine = /^failover plan for eu-central-1: (audit|events|metrics|notifications): promote \(planned\): /;
    const stderr = shell.stderr.split("\n").filter((line) => line !== "" && !pluginOnPath.test(line));
    expect(stderr.filter((line) => !planLine.test(line))).toEqual([]);
    // On a failure, the end of what the commands printed (pulumi puts its errors on stdout).
    expect(shell.code, shell.stdout.slice(-4000)).toBe(0);
    const section = (name: string | number): string => shell.stdout.split(`### ${name}\n`)[1]!.split("\n### ")[0]!;
    expect(section(3)).toMatch(/~ role +: "mirror" => "primary"/);
    // The four streams' roles, and the acknowledgement capture moving to the new standby.
    expect(section(3)).toMatch(/Resources:\n +~ 5 to update\n +9 unchanged/);
    expect(section(4)).toMatch(/Resources:\n +~ 5 updated\n +9 unchanged/);
    expect(section(5)).toMatch(
      /\+- +pulumi-nodejs:dynamic\/natsdr:JetStreamStream +jetstream-stream-events +replace +\[diff: ~role\]/,
    );
    expect(section(5)).toMatch(/Resources:\n +~ 1 to update\n +\+-4 to replace\n +5 changes\. 6 unchanged/);
    expect(section(6)).toMatch(/Resources:\n +~ 1 updated\n +\+-4 replaced\n +5 changes\. 6 unchanged/);
    expect(section(7)).toMatch(/eu-central-1 \(JetStream domain eu-central-1\): 3\/3 servers answer/);
    expect(section(7)).toMatch(/\n +events +primary /);
    expect(section(7)).toMatch(/\n +events +mirror /);
    expect(section("outputs").split("\n")[0]).toBe(path.join(TOOLS_BIN_DIR, "pulumi"));
    const json = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(outputs, name), "utf8"));
    const stacks = json("ls.json") as { name: string }[];
    expect(stacks.map((stack) => stack.name).sort()).toEqual(["lab-eu-central-1", "lab-us-east-1"]);
    expect((json("us-east-1.json") as { streams: unknown }).streams).toEqual({
      audit: "mirror",
      events: "mirror",
      metrics: "mirror",
      notifications: "mirror",
    });
    expect((json("eu-central-1.json") as { streams: unknown }).streams).toEqual({
      audit: "primary",
      "audit-eu-gdpr": "primary",
      events: "primary",
      "events-eu-gdpr": "primary",
      metrics: "primary",
      notifications: "primary",
    });

    // A second up keeps the lab and the user's flip, and runs the now active region's stack first.
    const again = await lab();
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`lab already running in ${dir}`);
    expect(again.stdout).toContain("lab-eu-central-1: exists; its config is kept (activeRegion eu-central-1)");
    expect(again.stdout.indexOf("--- pulumi up --stack lab-eu-central-1 ---")).toBeLessThan(
      again.stdout.indexOf("--- pulumi up --stack lab-us-east-1 ---"),
    );
    expect(again.stdout).toMatch(/lab-eu-central-1 +eu-central-1 .* 14 unchanged/);
    expect(again.stdout).toContain("Fail over to us-east-1 by hand");
    expect(readLabState(paths.stateFile)).toEqual(state);
    const moved = await lab("--base-port", String(base + 1000));
    expect(moved.code).toBe(1);
    expect(moved.stderr).toContain(`the lab is already running on base port ${base}`);

    const status = await lab("status");
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/daemon +\d+ +running/);
    expect(status.stdout).toContain("us-east-1 (JetStream domain us-east-1): 3/3 servers answer");

    // A lab command in progress (here: this test's own pid in the lock) keeps down out.
    fs.writeFileSync(paths.lockFile, `${process.pid}\n`);
    const locked = await lab("down");
    fs.rmSync(paths.lockFile);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain(`another lab command (pid ${process.pid}`);

    // A server that died (killed here) is named, and up says how to start anew rather than run on without it.
    const victim = state.regions["eu-central-1"].servers[1]!;
    process.kill(victim.pid, "SIGKILL");
    for (let waited = 0; isLabProcess(victim.pid, dir) && waited < 10_000; waited += 100) await sleep(100);
    const partial = await lab();
    expect(partial.code).toBe(1);
    expect(partial.stderr).toContain(
      `the lab is running without eu-central-1-2 (their processes are gone; logs in ${paths.logsDir}); start it anew: npm run lab -- down && npm run lab`,
    );
    expect((await lab("status")).code).toBe(1);

    const down = await lab("down");
    expect(down.code).toBe(0);
    expect(down.stdout).toContain(`lab stopped: daemon ${state.daemon.pid}`);
    for (const pid of pids(state)) expect(isLabProcess(pid, dir)).toBe(false);
    expect(await psNaming(dir)).toEqual([]);
    for (const target of [paths.stateFile, paths.backendDir, paths.serversDir])
      expect(fs.existsSync(target)).toBe(false);
    for (const region of ["us-east-1", "eu-central-1"])
      expect(fs.existsSync(path.join(paths.projectDir, `Pulumi.lab-${region}.yaml`))).toBe(false);
    expect(fs.existsSync(path.join(paths.logsDir, "us-east-1-1.log"))).toBe(true);
    expect((await lab("down")).stdout).toContain(`no lab was running in ${dir}; nothing to do`);
  }, 900_000);
});
