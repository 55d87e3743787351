// How Pulumi runs the program: it registers ts-node, which takes its own options from
// tsconfig.json's `ts-node` section (Pulumi passes none of its own unless
// PULUMI_NODEJS_TRANSPILE_ONLY is set). tsc checks the types in `npm test`.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { create } from "ts-node";
import { describe, expect, it } from "vitest";

const root = join(__dirname, "..", "..");

describe("program runtime", () => {
  it("ts-node transpiles the program with swc, without type-checking it", () => {
    const service = create({ project: join(root, "tsconfig.json"), transpileOnly: undefined });
    expect(service.options.transpileOnly).toBe(true);
    expect(service.options.swc).toBe(true);
    // The transpiler is there: ts-node fails the whole run when swc is asked for and missing.
    expect(service.compile("const answer: number = 42;", join(root, "infra", "probe.ts"))).toContain("answer = 42");
    expect(service.config.options.strict).toBe(true);
  });

  it("loading the program loads neither @pulumi/aws nor @pulumi/kubernetes (packages.ts loads them on use)", () => {
    // Only @pulumi/aws's enum tables load with the config (the AWS region names that
    // nats-dr:regionPair is checked against): plain objects, none of the SDK's resource modules.
    const script = [
      'for (const entry of ["region", "config", "outputs"]) require("./infra/" + entry);',
      "const sdk = /node_modules[\\/]@pulumi[\\/](aws|kubernetes)[\\/](?!types[\\/]enums[\\/])/;",
      "process.stdout.write(JSON.stringify(Object.keys(require.cache).filter((file) => sdk.test(file))));",
    ].join("\n");
    const loaded = execFileSync(process.execPath, ["--require", "ts-node/register", "--eval", script], {
      cwd: root,
      encoding: "utf8",
    });
    expect(JSON.parse(loaded)).toEqual([]);
  });
});
