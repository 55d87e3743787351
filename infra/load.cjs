// Which code `pulumi` runs, for the program (infra/main.cjs) and for the dynamic providers (the
// `__provider` text of streams/providerModule.ts): the JavaScript `npm run build` wrote into dist/
// when it was built from the sources as they are now, else the TypeScript sources through ts-node.
// Plain CommonJS, so that it runs before anything is compiled.
//
// Why a build: with `typescript: true` Pulumi's Node.js runtime loads TypeScript and ts-node
// before the program, and the provider host registers ts-node before the providers, in every
// preview and update: in alternating `pulumi up` runs of a flip on this project's machine the
// program registered its stack 0.3-0.4 s earlier from dist/, and the flip's first write came
// 0.3-0.7 s earlier (docs/failover.md, "What a flip costs in CPU").
//
// Why never a stale build: a build records a SHA-256 digest of every source it was made from
// (dist/.sources-digest); a run computes the digest again (all of infra/ and streams/, a few
// milliseconds) and runs dist/ only when the two agree. After an edit or a `git pull` without a
// new build the sources run, as they did before there was a build, and the program warns.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const nodeModule = require("node:module");
const path = require("node:path");

/** Folders of the sources the program and the providers are made of (relative to the project root). */
const SOURCE_DIRS = ["infra", "streams"];
/** Files that change what the build emits. */
const SOURCE_FILES = ["tsconfig.json", "tsconfig.build.json"];
const BUILD_DIR = "dist";
const DIGEST_FILE = path.join(BUILD_DIR, ".sources-digest");

/** Every source file of the build, relative to `root` and sorted: .ts files of SOURCE_DIRS, then SOURCE_FILES. */
function sourceFiles(root) {
  const found = [];
  const walk = (relative) => {
    for (const entry of fs.readdirSync(path.join(root, relative), { withFileTypes: true })) {
      const child = path.join(relative, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith(".ts")) found.push(child);
    }
  };
  for (const dir of SOURCE_DIRS) if (fs.existsSync(path.join(root, dir))) walk(dir);
  found.sort();
  return [...found, ...SOURCE_FILES];
}

/** SHA-256 over the sources' names and contents; a missing SOURCE_FILES entry counts as empty. */
function sourcesDigest(root) {
  const hash = crypto.createHash("sha256");
  for (const file of sourceFiles(root)) {
    const full = path.join(root, file);
    hash.update(file.split(path.sep).join("/"));
    hash.update("\0");
    if (fs.existsSync(full)) hash.update(fs.readFileSync(full));
    hash.update("\0");
  }
  return hash.digest("hex");
}

/**
 * Whether dist/ is a build of the sources in `root` as they are now: `{ fresh: true }`, or
 * `{ fresh: false, why }` saying what is wrong, in words for a warning.
 */
function buildState(root) {
  const recorded = path.join(root, DIGEST_FILE);
  if (!fs.existsSync(recorded)) return { fresh: false, why: `${BUILD_DIR}/ holds no build` };
  if (fs.readFileSync(recorded, "utf8").trim() !== sourcesDigest(root))
    return { fresh: false, why: `${BUILD_DIR}/ was built from other sources than these` };
  return { fresh: true };
}

/** Registers ts-node as Pulumi's runtime does (tsconfig.json's `ts-node` section: swc, no type-check), once per process. */
function registerTypeScript(root) {
  if (process[Symbol.for("ts-node.register.instance")]) return;
  const tsNode = require(require.resolve("ts-node", { paths: [root] }));
  tsNode.register({ project: path.join(root, "tsconfig.json") });
}

/**
 * Loads the project module `fromProject` (e.g. "streams/streamProvider.ts", relative to `root`):
 * its build from dist/ when that is fresh and holds it, else the TypeScript. Returns the module's
 * exports, whether they came from the build, and why not.
 */
function loadProjectModule(root, fromProject) {
  // Node.js's on-disk compile cache (Node >= 22.1) for everything loaded from here: a flip's
  // `pulumi up` is an RTO, and the second run of the same code skips V8's compilation of it. The
  // cache lives where Node puts it (NODE_COMPILE_CACHE, else the OS temp directory);
  // NODE_DISABLE_COMPILE_CACHE=1 turns it off.
  if (nodeModule.enableCompileCache) nodeModule.enableCompileCache();
  const state = buildState(root);
  const built = path.join(root, BUILD_DIR, fromProject.replace(/\.ts$/, ".js"));
  const compiled = state.fresh && fs.existsSync(built);
  if (!compiled) registerTypeScript(root);
  const exports = require(compiled ? built : path.join(root, fromProject));
  // The engine ends the provider host without letting Node write the cache at exit.
  if (nodeModule.flushCompileCache) nodeModule.flushCompileCache();
  return { exports, compiled, ...(compiled ? {} : { why: state.why ?? `${BUILD_DIR}/ holds no ${fromProject}` }) };
}

module.exports = { BUILD_DIR, DIGEST_FILE, SOURCE_DIRS, SOURCE_FILES, sourcesDigest, buildState, loadProjectModule };
