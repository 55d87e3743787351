// The program's entry and loader (infra/main.cjs, infra/load.cjs) in a throwaway copy of the
// project, run by a plain `node` as Pulumi's runtime runs them: the sources without a build (and
// a warning), the build once it matches the sources, the sources again after an edit.
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../harness";

interface Loader {
  sourcesDigest(this: void, root: string): string;
  buildState(this: void, root: string): { fresh: boolean; why?: string };
  readonly DIGEST_FILE: string;
}

let copy: string;
let loader: Loader;

/** Requires the copy's entry in a fresh node process: what it exported and what it printed. */
async function runEntry(): Promise<{ exported: unknown; stderr: string }> {
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ["-e", 'process.stdout.write(JSON.stringify(require("./infra/main.cjs")))'],
    { cwd: copy, timeout: 60_000 },
  );
  return { exported: JSON.parse(stdout) as unknown, stderr };
}

async function writeBuild(exported: string): Promise<void> {
  await fs.mkdir(path.join(copy, "dist/infra"), { recursive: true });
  await fs.writeFile(
    path.join(copy, "dist/infra/index.js"),
    `module.exports = { from: ${JSON.stringify(exported)} };\n`,
  );
  await fs.writeFile(path.join(copy, loader.DIGEST_FILE), `${loader.sourcesDigest(copy)}\n`);
}

beforeAll(async () => {
  copy = await fs.mkdtemp(path.join(os.tmpdir(), "nats-dr-build-"));
  await fs.mkdir(path.join(copy, "infra"));
  await fs.mkdir(path.join(copy, "streams"));
  for (const file of ["infra/main.cjs", "infra/load.cjs", "tsconfig.json", "tsconfig.build.json", "package.json"])
    await fs.copyFile(path.join(PROJECT_ROOT, file), path.join(copy, file));
  await fs.symlink(path.join(PROJECT_ROOT, "node_modules"), path.join(copy, "node_modules"));
  // Type annotations: only ts-node, registered by the loader, can load it.
  await fs.writeFile(path.join(copy, "infra/index.ts"), 'const from: string = "sources";\nexport = { from };\n');
  await fs.writeFile(path.join(copy, "streams/provider.ts"), "export const answer: number = 42;\n");
  loader = createRequire(__filename)(path.join(copy, "infra/load.cjs")) as Loader;
});
afterAll(async () => {
  await fs.rm(copy, { recursive: true, force: true });
});

describe("the program's build", () => {
  it("without a build, runs the TypeScript sources and warns how to make them start faster", async () => {
    expect(loader.buildState(copy)).toEqual({ fresh: false, why: "dist/ holds no build" });
    const { exported, stderr } = await runEntry();
    expect(exported).toEqual({ from: "sources" });
    expect(stderr).toContain("nats-dr runs its TypeScript sources: dist/ holds no build. Run npm run build");
  });

  it("runs the build once it matches the sources, without a warning", async () => {
    await writeBuild("build");
    expect(loader.buildState(copy)).toEqual({ fresh: true });
    const { exported, stderr } = await runEntry();
    expect(exported).toEqual({ from: "build" });
    expect(stderr).not.toContain("TypeScript sources");
  });

  it("runs the sources again after any source of the build changed, a provider's included", async () => {
    await writeBuild("build");
    await fs.writeFile(path.join(copy, "streams/provider.ts"), "export const answer: number = 43;\n");
    expect(loader.buildState(copy)).toEqual({ fresh: false, why: "dist/ was built from other sources than these" });
    const { exported, stderr } = await runEntry();
    expect(exported).toEqual({ from: "sources" });
    expect(stderr).toContain("dist/ was built from other sources than these");
  });

  it("digests contents and names, not times, and the compiler settings with them", async () => {
    const before = loader.sourcesDigest(copy);
    const file = path.join(copy, "infra/index.ts");
    const later = new Date(Date.now() + 60_000);
    await fs.utimes(file, later, later);
    expect(loader.sourcesDigest(copy)).toBe(before);
    await fs.rename(path.join(copy, "streams/provider.ts"), path.join(copy, "streams/renamed.ts"));
    const renamed = loader.sourcesDigest(copy);
    expect(renamed).not.toBe(before);
    await fs.appendFile(path.join(copy, "tsconfig.build.json"), "\n");
    expect(loader.sourcesDigest(copy)).not.toBe(renamed);
  });
});
