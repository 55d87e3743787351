// Written as CommonJS because package.json has no "type": "module": an `import`/`export
// default` here makes Vite warn that the file would break under its native config loader.
const { defineConfig } = require("vitest/config") as typeof import("vitest/config", {
  with: { "resolution-mode": "import" },
});

// Integration tests start real nats-server processes (clusters of 3, two regions); on a
// 2-core machine two test files at a time keep them from starving each other.
module.exports = defineConfig({
  test: {
    environment: "node",
    include: ["test/**/*.test.ts"],
    pool: "forks",
    // A fresh module graph per file: Pulumi mock tests call setMocks before importing the
    // program. Set explicitly, which also keeps vitest from printing an "isolate: false" hint
    // after the summary.
    isolate: true,
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    // The default reporter ends with the summary, also in CI.
    reporters: ["default"],
  },
});
