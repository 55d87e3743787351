// Runs a serialized dynamic provider the way Pulumi's provider host does: the `__provider` text
// is compiled as a fresh module with require-from-string (from the project directory, so its
// `require`s resolve against the project's node_modules) and `exports.handler()` returns the
// provider. Reads a JSON list of calls from the file in argv[2] and prints one JSON result line.
"use strict";
const fs = require("node:fs");
const requireFromString = require("require-from-string");

async function main() {
  const { providerText, calls } = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const provider = requireFromString(providerText).handler();
  const results = [];
  for (const call of calls) {
    try {
      const args = call.args.map((arg) =>
        arg && arg.$result !== undefined ? pick(results[arg.$result].value, arg.path) : arg,
      );
      const value = await provider[call.method](...args);
      results.push({ ok: true, value: value === undefined ? null : value });
    } catch (error) {
      results.push({ ok: false, error: String(error && error.message ? error.message : error) });
    }
  }
  process.stdout.write(JSON.stringify(results) + "\n");
}

function pick(value, path) {
  return (path || []).reduce((inner, key) => (inner == null ? inner : inner[key]), value);
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
    process.exit(1);
  },
);
