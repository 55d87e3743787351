// The `__provider` text of our dynamic resources (streams/providerModule.ts), run the way Pulumi's
// provider host runs it (test/support/engine-host.cjs, a plain Node.js process without ts-node):
// from a checkout that moved, and with the code missing. The provider of a real stream through the
// same path is test/integration/serialized-provider.test.ts.
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { providerModuleText } from "../../streams/providerModule";

const root = path.resolve(__dirname, "..", "..");
const MODULE = "test/unit/.provider-module-probe.ts";
let moved: string;

interface LoaderModule {
  sourcesDigest(this: void, root: string): string;
  readonly DIGEST_FILE: string;
}

/** Calls `check` of the provider `text` loads, in a fresh `node` process whose cwd is `cwd`. */
async function checkThroughHost(text: string, cwd: string): Promise<unknown> {
  const calls = path.join(moved, "calls.json");
  await fs.writeFile(calls, JSON.stringify({ providerText: text, calls: [{ method: "check", args: [{}, {}] }] }));
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [path.join(root, "test/support/engine-host.cjs"), calls],
    {
      cwd,
      timeout: 60_000,
    },
  );
  return JSON.parse(stdout.trim().split("\n").pop()!);
}

beforeAll(async () => {
  // A copy of the project holding only what the text needs: tsconfig.json, node_modules, the
  // loader and the module (no build in dist/: the loader runs the TypeScript).
  moved = await fs.mkdtemp(path.join(os.tmpdir(), "nats-dr-moved-"));
  await fs.copyFile(path.join(root, "tsconfig.json"), path.join(moved, "tsconfig.json"));
  await fs.mkdir(path.join(moved, "infra"));
  await fs.copyFile(path.join(root, "infra/load.cjs"), path.join(moved, "infra/load.cjs"));
  await fs.symlink(path.join(root, "node_modules"), path.join(moved, "node_modules"));
  await fs.mkdir(path.join(moved, path.dirname(MODULE)), { recursive: true });
  // Type annotations: the host process must have ts-node registered by the text to load it.
  await fs.writeFile(
    path.join(moved, MODULE),
    "export const probeProvider = {\n  async check(_olds: unknown, _news: unknown): Promise<{ inputs: { loadedFrom: string } }> {\n    return { inputs: { loadedFrom: __filename } };\n  },\n};\n",
  );
});
afterAll(async () => {
  await fs.rm(moved, { recursive: true, force: true });
});

describe("provider module text", () => {
  it("loads the module from the directory pulumi runs in when the recorded path is gone", async () => {
    // MODULE exists only in the copy, as after a checkout moved: the recorded absolute path is gone.
    const text = providerModuleText(MODULE, "probeProvider");
    expect(text).toContain(JSON.stringify(root));
    expect(text).toContain(JSON.stringify(MODULE));
    const [result] = (await checkThroughHost(text, moved)) as [{ ok: boolean; value: unknown }];
    expect(result).toEqual({ ok: true, value: { inputs: { loadedFrom: path.join(moved, MODULE) } } });
  });

  it("loads the build from dist/ when it was made from the sources as they are", async () => {
    const built = path.join(moved, "dist", MODULE.replace(/\.ts$/, ".js"));
    await fs.mkdir(path.dirname(built), { recursive: true });
    await fs.writeFile(
      built,
      "exports.probeProvider = { async check() { return { inputs: { loadedFrom: __filename } }; } };\n",
    );
    const { sourcesDigest, DIGEST_FILE } = createRequire(__filename)(
      path.join(moved, "infra/load.cjs"),
    ) as LoaderModule;
    await fs.writeFile(path.join(moved, DIGEST_FILE), `${sourcesDigest(moved)}\n`);
    try {
      const text = providerModuleText(MODULE, "probeProvider");
      const [result] = (await checkThroughHost(text, moved)) as [{ ok: boolean; value: unknown }];
      expect(result).toEqual({ ok: true, value: { inputs: { loadedFrom: built } } });
    } finally {
      await fs.rm(path.join(moved, "dist"), { recursive: true, force: true });
    }
  });

  it("without the code in either place, says where it looked and what to do", async () => {
    const text = providerModuleText("test/unit/.no-such-provider.ts", "probeProvider");
    const failure = checkThroughHost(text, moved);
    await expect(failure).rejects.toThrow(/provider code test\/unit\/\.no-such-provider\.ts is at neither /);
    await expect(failure).rejects.toThrow(/run pulumi from the nats-dr project directory/);
  });

  it("refuses a module outside the project", () => {
    expect(() => providerModuleText("/etc/passwd", "x")).toThrow(/a provider module must lie inside the project/);
  });
});
