// The start of the Node.js language host built here (scripts/pulumi-language-nodejs.sh), run by
// sh as the CLI runs it: in the project's directory with the engine's address. It must hand the
// old host the project's runtime options as flags before that address, and nothing else.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { makeTempDir, PROJECT_ROOT, removeTempDir } from "../harness";

const WRAPPER = path.join(PROJECT_ROOT, "scripts", "pulumi-language-nodejs.sh");
const ENGINE = "127.0.0.1:40000";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await removeTempDir(dir);
});

/** Runs the wrapper installed beside a stand-in host that prints its arguments, one per line. */
async function argumentsTheHostGets(projectFiles: Record<string, string>): Promise<string[]> {
  const root = await makeTempDir("language-host");
  dirs.push(root);
  const bin = path.join(root, "bin");
  const project = path.join(root, "project");
  fs.mkdirSync(bin);
  fs.mkdirSync(project);
  fs.copyFileSync(WRAPPER, path.join(bin, "pulumi-language-nodejs"));
  fs.chmodSync(path.join(bin, "pulumi-language-nodejs"), 0o755);
  fs.writeFileSync(path.join(bin, "pulumi-language-nodejs-host"), '#!/bin/sh\nprintf "%s\\n" "$@"\n', {
    mode: 0o755,
  });
  for (const [name, text] of Object.entries(projectFiles)) fs.writeFileSync(path.join(project, name), text);
  const run = spawnSync(path.join(bin, "pulumi-language-nodejs"), [ENGINE], { cwd: project, encoding: "utf8" });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return run.stdout.split("\n").slice(0, -1);
}

describe("the language host's start", async () => {
  test("this project's Pulumi.yaml: typescript false reaches the host as -typescript=false", async () => {
    const own = fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8");
    expect(await argumentsTheHostGets({ "Pulumi.yaml": own })).toEqual(["-typescript=false", ENGINE]);
  });

  test("every option the old host knows, quoted or not, with comments; others and deeper keys left out", async () => {
    const project = [
      "name: demo",
      "runtime:",
      "  name: nodejs",
      "  options:",
      "    # the program is JavaScript",
      "    typescript: false  # no ts-node",
      '    nodeargs: "--max-old-space-size=4096 --no-warnings"',
      "    tsconfig: 'tsconfig.run.json'",
      "    packagemanager: npm",
      "    nested:",
      "      typescript: true",
      "config:",
      "  options:",
      "    typescript: true",
      "",
    ].join("\n");
    expect(await argumentsTheHostGets({ "Pulumi.yaml": project })).toEqual([
      "-typescript=false",
      "-nodeargs=--max-old-space-size=4096 --no-warnings",
      "-tsconfig=tsconfig.run.json",
      ENGINE,
    ]);
  });

  test("Pulumi.yml is read like Pulumi.yaml", async () => {
    const project = "name: demo\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n";
    expect(await argumentsTheHostGets({ "Pulumi.yml": project })).toEqual(["-typescript=true", ENGINE]);
  });

  test("no runtime options, or no project file: only the engine's address", async () => {
    expect(await argumentsTheHostGets({ "Pulumi.yaml": "name: demo\nruntime: nodejs\n" })).toEqual([ENGINE]);
    expect(await argumentsTheHostGets({})).toEqual([ENGINE]);
  });
});
