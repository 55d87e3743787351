// npm run build: compiles the program and the providers into dist/ with tsc (tsconfig.build.json)
// and records the digest of the sources it compiled (infra/load.cjs), so that `pulumi` runs the
// build only while it matches them. The digest is taken before tsc runs: a file edited meanwhile
// makes the build stale rather than recorded as current. `--if-stale` does nothing when dist/
// is already a build of these sources (the tests and scripts/setup.sh use it).
"use strict";
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { BUILD_DIR, DIGEST_FILE, buildState, sourcesDigest } = require("../infra/load.cjs");

const root = path.resolve(__dirname, "..");
if (process.argv.includes("--if-stale") && buildState(root).fresh) process.exit(0);
const digest = sourcesDigest(root);
// A file removed from the sources must not stay loadable from an older build.
fs.rmSync(path.join(root, BUILD_DIR), { recursive: true, force: true });
const tsc = require.resolve("typescript/bin/tsc", { paths: [root] });
try {
  execFileSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" });
} catch {
  console.error(
    `npm run build: tsc failed (its errors are above); ${BUILD_DIR}/ holds no build, so pulumi runs the TypeScript sources.`,
  );
  fs.rmSync(path.join(root, BUILD_DIR), { recursive: true, force: true });
  process.exit(1);
}
fs.writeFileSync(path.join(root, DIGEST_FILE), `${digest}\n`);
console.log(`built ${BUILD_DIR}/ from the sources with digest ${digest.slice(0, 12)}`);
