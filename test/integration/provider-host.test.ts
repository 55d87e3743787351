// The launcher of the dynamic providers' host (infra/providerHost), run by sh as the engine runs
// it: it starts the project's @pulumi/pulumi dynamic-provider host, which prints the port it
// serves, with Node's compile cache on unless the caller chose one; with node_modules elsewhere it
// finds the host as Node resolves it from the working directory.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import yaml from "js-yaml";
import { makeTempDir, PROJECT_ROOT, removeTempDir } from "../harness";

const LAUNCHER = path.join(PROJECT_ROOT, "infra", "providerHost", "pulumi-resource-pulumi-nodejs");

interface Started {
  readonly port: number;
  /** The environment of the process that printed the port (the launcher execs node). */
  readonly environment: Map<string, string>;
  readonly command: string;
}

/** Runs `launcher` as the engine does (an engine address argument) until it prints its port. */
function start(launcher: string, options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Started> {
  const child = spawn(launcher, ["127.0.0.1:1"], { cwd: options.cwd, env: options.env, stdio: "pipe" });
  return new Promise<Started>((resolve, reject) => {
    let out = "";
    let err = "";
    const fail = (why: string) => {
      child.kill("SIGKILL");
      reject(new Error(`${why}; stderr: ${err}`));
    };
    const timer = setTimeout(() => fail("no port printed within 60 s"), 60_000);
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = /^(\d+)\s*$/m.exec(out);
      if (line === null) return;
      clearTimeout(timer);
      const read = (file: string) => fs.readFileSync(`/proc/${child.pid}/${file}`, "utf8");
      const environment = new Map(
        read("environ")
          .split("\0")
          .filter((entry) => entry.includes("="))
          .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)] as const),
      );
      const command = read("cmdline").split("\0").join(" ");
      child.kill("SIGTERM");
      resolve({ port: Number(line[1]), environment, command });
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (!/^\d+\s*$/m.test(out)) fail(`exited with ${code} before printing a port`);
    });
  });
}

const withoutCache = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env["NODE_COMPILE_CACHE"];
  return env;
};

describe("provider host launcher", { timeout: 120_000 }, () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await removeTempDir(dir);
  });

  test("provider host launcher - Pulumi.yaml points the engine at it, by a path relative to the project", () => {
    const project = yaml.load(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")) as {
      plugins?: { providers?: Array<{ name: string; path: string }> };
    };
    expect(project.plugins?.providers).toEqual([{ name: "pulumi-nodejs", path: "infra/providerHost" }]);
    expect(fs.statSync(LAUNCHER).mode & 0o111).not.toBe(0);
    expect(fs.existsSync(`${LAUNCHER}.cmd`)).toBe(true);
  });

  test("provider host launcher - runs the project's dynamic-provider host in one node, compile cache on", async () => {
    const tmp = await makeTempDir("provider-host");
    dirs.push(tmp);
    const started = await start(LAUNCHER, { cwd: tmp, env: { ...withoutCache(), TMPDIR: tmp } });
    expect(started.port).toBeGreaterThan(0);
    expect(started.command).toContain(
      path.join(PROJECT_ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "dynamic-provider", "index.js"),
    );
    expect(started.environment.get("NODE_COMPILE_CACHE")).toBe(path.join(tmp, "nats-dr-node-compile-cache"));
    // Node wrote the cache there: the next start reads it instead of compiling again.
    expect(fs.readdirSync(path.join(tmp, "nats-dr-node-compile-cache")).length).toBeGreaterThan(0);
  });

  test("provider host launcher - keeps a compile cache the caller set", async () => {
    const tmp = await makeTempDir("provider-host");
    dirs.push(tmp);
    const chosen = path.join(tmp, "chosen");
    const started = await start(LAUNCHER, { cwd: tmp, env: { ...withoutCache(), NODE_COMPILE_CACHE: chosen } });
    expect(started.environment.get("NODE_COMPILE_CACHE")).toBe(chosen);
  });

  test("provider host launcher - without node_modules beside it, finds the host from the working directory", async () => {
    const tmp = await makeTempDir("provider-host");
    dirs.push(tmp);
    const copy = path.join(tmp, "elsewhere", "infra", "providerHost", "pulumi-resource-pulumi-nodejs");
    fs.mkdirSync(path.dirname(copy), { recursive: true });
    fs.copyFileSync(LAUNCHER, copy);
    fs.chmodSync(copy, 0o755);
    const started = await start(copy, { cwd: PROJECT_ROOT, env: { ...withoutCache(), TMPDIR: tmp } });
    expect(started.port).toBeGreaterThan(0);
    expect(started.command).toContain(path.join("@pulumi", "pulumi", "cmd", "dynamic-provider", "index.js"));
  });
});
