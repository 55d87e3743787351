// What `pulumi up` loads must be a production dependency: an install without dev dependencies
// (`npm ci --omit=dev`, as deployment images often do) must still run the program and the
// dynamic providers.
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import ts from "typescript";
import { describe, expect, test } from "vitest";
import { PROJECT_ROOT } from "../harness";

const packageJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
};
const dependencies = new Set(Object.keys(packageJson.dependencies));

/** The TypeScript and CommonJS files of a folder, recursively. */
function sources(folder: string): string[] {
  return readdirSync(path.join(PROJECT_ROOT, folder), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts") || file.endsWith(".cjs"))
    .map((file) => path.join(folder, file));
}

/** The package a bare module specifier names ("@scope/name/sub" -> "@scope/name"). */
function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/** Packages a file loads at run time: value imports and require calls, not `import type`. */
function loadedPackages(file: string): string[] {
  const text = readFileSync(path.join(PROJECT_ROOT, file), "utf8");
  const specifiers = [
    ...[...text.matchAll(/^import (?!type )[^;]*?from "([^"]+)";/gms)].map((match) => match[1]!),
    ...[...text.matchAll(/^import "([^"]+)";/gm)].map((match) => match[1]!),
    ...[...text.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]!),
  ];
  return specifiers
    .filter((specifier) => !specifier.startsWith(".") && !specifier.startsWith("node:"))
    .map(packageOf)
    .filter((name) => !builtinModules.includes(name));
}

describe("runtime dependencies", () => {
  test("every package the program and the providers load is a production dependency", () => {
    const missing = [...sources("infra"), ...sources("streams")].flatMap((file) =>
      loadedPackages(file)
        .filter((name) => !dependencies.has(name))
        .map((name) => `${file}: ${name}`),
    );
    expect(missing).toEqual([]);
  });

  test("the TypeScript loader infra/load.cjs registers without a build, with its transpiler, is one too", () => {
    const file = path.join(PROJECT_ROOT, "tsconfig.json");
    // tsconfig.json has comments: read it the way TypeScript does.
    const tsconfig = ts.parseConfigFileTextToJson(file, readFileSync(file, "utf8")).config as {
      "ts-node"?: { swc?: boolean };
    };
    // Pulumi loads no TypeScript of its own: the entry picks the build or the sources (infra/load.cjs).
    expect(readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")).toMatch(/typescript: false/);
    expect((JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { main: string }).main).toBe(
      "infra/main.cjs",
    );
    const needed = ["ts-node", "typescript", ...(tsconfig["ts-node"]?.swc ? ["@swc/core"] : [])];
    expect(needed.filter((name) => !dependencies.has(name))).toEqual([]);
  });
});
