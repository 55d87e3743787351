// Runs the real Pulumi CLI on a stack of this project through the Automation API, with a local file
// backend: what the lab, the drill and the e2e tests use. Nothing here imitates the engine.
import fs from "node:fs";
import path from "node:path";
import { LocalWorkspace, PulumiCommand, Stack, type ConfigMap } from "@pulumi/pulumi/automation";
import { PROJECT_ROOT, pulumiBinary, TOOLS_BIN_DIR } from "../local/binaries";

export interface LocalBackend {
  /** Directory of the file backend (`pulumi login file://<dir>`). */
  readonly dir: string;
  /** Passphrase of the stacks' secrets. */
  readonly passphrase: string;
}

/**
 * The environment every Pulumi command of ours runs with: the file backend, the passphrase, no
 * update check, the project's tools first on PATH, no type-checking at run time (`npm test` runs
 * tsc; ts-node's check would cost seconds in each preview and update, inside the failover's RTO),
 * and no plugin downloads: the language host names the AWS and Kubernetes plugins of every
 * @pulumi package in node_modules, and on a machine that cannot fetch them the engine retried each
 * download with backoff for 2.6 s on every run, although stacks without AWS or Kubernetes
 * resources never load them.
 */
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

export function pulumiEnv(backend: LocalBackend): Record<string, string> {
  const nodeDir = path.dirname(process.execPath);
  return {
    PULUMI_BACKEND_URL: backendUrl(backend.dir),
    PULUMI_CONFIG_PASSPHRASE: backend.passphrase,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PATH: [TOOLS_BIN_DIR, nodeDir, process.env["PATH"] ?? ""].join(path.delimiter),
  };
}

/** The pinned CLI as the Automation API's command (its install root is the folder above `bin/`). */
export async function pulumiCommand(): Promise<PulumiCommand> {
  const binary = fs.realpathSync(pulumiBinary());
  return PulumiCommand.get({ root: path.dirname(path.dirname(binary)) });
}

export interface StackOptions {
  readonly backend: LocalBackend;
  /** Stack name, e.g. "lab-us-east-1". */
  readonly name: string;
  /** The project directory (Pulumi.yaml); the checkout itself or one from layOutProject. @default the checkout */
  readonly projectDir?: string;
}

/** Selects the stack, creating it in the backend when it does not exist yet. */
export async function localStack(options: StackOptions): Promise<Stack> {
  fs.mkdirSync(options.backend.dir, { recursive: true });
  const workspace = await LocalWorkspace.create({
    workDir: options.projectDir ?? PROJECT_ROOT,
    pulumiCommand: await pulumiCommand(),
    envVars: pulumiEnv(options.backend),
  });
  return Stack.createOrSelect(options.name, workspace);
}

/** `nats-dr:*` values as `pulumi config set` takes them: structured values as JSON text. */
export function stackConfigMap(
  values: Readonly<Record<string, unknown>>,
  secretKeys: readonly string[] = [],
): ConfigMap {
  return Object.fromEntries(
    Object.entries(values)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [
        `nats-dr:${key}`,
        { value: typeof value === "string" ? value : JSON.stringify(value), secret: secretKeys.includes(key) },
      ]),
  );
}
