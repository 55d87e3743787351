// An ES module by its .mts name, as Vite's native config loader wants, though package.json has no
// "type": "module".
import { defineConfig } from "vitest/config";

// Integration tests start real nats-server processes (clusters of 3, two regions); on a
// 2-core machine two test files at a time keep them from starving each other.
export default defineConfig({
  test: {
    environment: "node",
    include: ["test/**/*.test.ts"],
    // dist/ built from the sources when it is not (test/support/build.ts).
    globalSetup: ["test/support/build.ts"],
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
