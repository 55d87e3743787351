// Vitest's global setup: the tests that run the real Pulumi CLI run the program and the providers
// as a user's `pulumi up` does after `npm run setup`, from a build in dist/ that matches the
// sources (infra/load.cjs). Builds it when it is missing or stale (an edit since the last build).
import { execFileSync } from "node:child_process";
import path from "node:path";

export function setup(): void {
  const root = path.resolve(__dirname, "..", "..");
  execFileSync(process.execPath, [path.join(root, "scripts/build.cjs"), "--if-stale"], { cwd: root, stdio: "inherit" });
}
