// The program's entry (package.json "main"; Pulumi.yaml runs it with `typescript: false`): the
// stack of infra/index.ts, from the build in dist/ when it matches the sources, else from the
// TypeScript itself (infra/load.cjs says how it tells and why).
"use strict";
const path = require("node:path");
const { loadProjectModule } = require("./load.cjs");

const root = path.resolve(__dirname, "..");
const program = loadProjectModule(root, "infra/index.ts");
if (!program.compiled) {
  const pulumi = require("@pulumi/pulumi");
  void pulumi.log.warn(
    `nats-dr runs its TypeScript sources: ${program.why}. Run npm run build to make every preview and update (a failover included) start faster.`,
  );
}
module.exports = program.exports;
