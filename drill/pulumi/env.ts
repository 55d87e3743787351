// The environment of our Pulumi commands, apart from the Automation API so that printing it (the
// lab's `env`) does not load the Pulumi SDK.
import path from "node:path";
import { TOOLS_BIN_DIR } from "../local/binaries";

export interface LocalBackend {
  /** Directory of the file backend (`pulumi login file://<dir>`). */
  readonly dir: string;
  /** Passphrase of the stacks' secrets. */
  readonly passphrase: string;
}

/**
 * The URL of a file backend in `dir`. metadata=skip: the backend then writes each checkpoint to a
 * temp file and renames it. With its default sidecar (`<stack>.json.attrs`, truncated and
 * rewritten in place on every save), a run killed at the wrong moment left an empty sidecar, and
 * every later command of the stack failed with "failed to load checkpoint: EOF" (seen in
 * test/e2e/interrupted.test.ts).
 */
export function backendUrl(dir: string): string {
  return `file://${dir}?metadata=skip`;
}

/**
 * The environment every Pulumi command of ours runs with: the file backend, the passphrase, no
 * update check, the project's tools first on PATH (the language host and the dynamic provider's
 * plugin are found there), and no plugin downloads: the language host names the AWS and
 * Kubernetes plugins of every @pulumi package in node_modules, and on a machine that cannot fetch
 * them the engine retried each download with backoff for 2.6 s on every run, although stacks
 * without AWS or Kubernetes resources never load them. Nothing here turns off ts-node's
 * type-check: tsconfig.json does, for these runs and every user's `pulumi up` alike.
 * `extraPathDirs` go first on PATH (the Kubernetes e2e tests' provider plugin, .tools/kube/bin).
 */
export function pulumiEnv(backend: LocalBackend, extraPathDirs: readonly string[] = []): Record<string, string> {
  return {
    PULUMI_BACKEND_URL: backendUrl(backend.dir),
    PULUMI_CONFIG_PASSPHRASE: backend.passphrase,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PATH: [...extraPathDirs, ...toolPathDirs(), process.env["PATH"] ?? ""].join(path.delimiter),
  };
}

/** What pulumiEnv puts first on PATH: the project's tools and the Node.js running this process. */
export function toolPathDirs(): string[] {
  return [TOOLS_BIN_DIR, path.dirname(process.execPath)];
}
