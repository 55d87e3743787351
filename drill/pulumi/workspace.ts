// Runs the real Pulumi CLI on a stack of this project through the Automation API, with a local file
// backend: what the lab, the drill and the e2e tests use. Nothing here imitates the engine.
import fs from "node:fs";
import path from "node:path";
import { LocalWorkspace, PulumiCommand, Stack, type ConfigMap } from "@pulumi/pulumi/automation";
import { PROJECT_ROOT, pulumiBinary } from "../local/binaries";
import { pulumiEnv, type LocalBackend } from "./env";

export { backendUrl, pulumiEnv, toolPathDirs } from "./env";
export type { LocalBackend } from "./env";

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
  /** Folders put first on the commands' PATH (pulumiEnv). @default none */
  readonly extraPathDirs?: readonly string[];
}

/** Selects the stack, creating it in the backend when it does not exist yet. */
export async function localStack(options: StackOptions): Promise<Stack> {
  fs.mkdirSync(options.backend.dir, { recursive: true });
  const workspace = await LocalWorkspace.create({
    workDir: options.projectDir ?? PROJECT_ROOT,
    pulumiCommand: await pulumiCommand(),
    envVars: pulumiEnv(options.backend, options.extraPathDirs),
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

/**
 * Sets one plain (not secret) config value by editing the stack's settings file
 * (`Pulumi.<stack>.yaml`), as a reviewed change to that file in a repository does, instead of
 * `pulumi config set`: that is one more CLI start (0.4-0.8 s in the drill, PBKDF2 of the
 * passphrase included) inside a failover's RTO. Everything else in the file is kept as it was,
 * secrets and the encryption salt included.
 */
export async function editStackConfigValue(stack: Stack, key: string, value: string): Promise<void> {
  const settings = await stack.workspace.stackSettings(stack.name);
  const current: unknown = settings.config?.[key];
  if (current !== undefined && typeof current !== "string")
    throw new Error(
      `${stack.name}: config ${key} is not a plain value in the stack's settings file; set it with pulumi config set.`,
    );
  await stack.workspace.saveStackSettings(stack.name, { ...settings, config: { ...settings.config, [key]: value } });
}
