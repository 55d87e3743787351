import fs from "node:fs";
import path from "node:path";

/** The repository root (this file lives in <root>/drill/local). */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** Where scripts/setup.sh installs nats-server and the nats CLI. */
export const TOOLS_BIN_DIR = path.join(PROJECT_ROOT, ".tools", "bin");

/**
 * Where scripts/setup.sh links the Kubernetes tools (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler, kwok, pulumi-resource-kubernetes). Not on PATH: with the provider plugin there,
 * every pulumi command would warn that it uses a plugin from $PATH; only the Kubernetes e2e tests
 * add it to their Pulumi commands' PATH.
 */
export const KUBE_TOOLS_BIN_DIR = path.join(PROJECT_ROOT, ".tools", "kube", "bin");

/** The kwok Stage files (kwok's kustomize/stage folder) setup copies beside kwok. */
export const KWOK_STAGE_DIR = path.join(PROJECT_ROOT, ".tools", "kube", "kwok-stage");

export type KubeTool =
  "etcd" | "kube-apiserver" | "kube-controller-manager" | "kube-scheduler" | "kwok" | "pulumi-resource-kubernetes";

/** A Kubernetes tool from {@link KUBE_TOOLS_BIN_DIR}; throws an error that says to run `npm run setup`. */
export function kubeToolBinary(name: KubeTool): string {
  const file = path.join(KUBE_TOOLS_BIN_DIR, name);
  if (!isExecutable(file)) {
    throw new Error(`${name} was not found at ${file}; run "npm run setup" to build it into .tools/kube/bin.`);
  }
  return file;
}

/**
 * The nats-server executable: `$NATS_SERVER_BIN`, else `<root>/.tools/bin/nats-server`,
 * else `nats-server` on PATH. Throws an error that says to run `npm run setup` if none exists.
 */
export function natsServerBinary(): string {
  return resolveBinary("nats-server", "NATS_SERVER_BIN");
}

/**
 * The nats CLI executable: `$NATS_CLI_BIN`, else `<root>/.tools/bin/nats`, else `nats` on
 * PATH. Throws an error that says to run `npm run setup` if none exists.
 */
export function natsCliBinary(): string {
  return resolveBinary("nats", "NATS_CLI_BIN");
}

function resolveBinary(name: string, envVar: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv !== undefined && fromEnv !== "") {
    if (!isExecutable(fromEnv)) {
      throw new Error(`${envVar} is set to ${fromEnv}, which is not an executable file; fix or unset ${envVar}.`);
    }
    return fromEnv;
  }
  const local = path.join(TOOLS_BIN_DIR, name);
  if (isExecutable(local)) {
    return local;
  }
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir !== "" && isExecutable(candidate)) {
      return candidate;
    }
  }
  throw new Error(
    `${name} was not found in $${envVar}, ${local} or on PATH; run "npm run setup" to install it into .tools/bin.`,
  );
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * A nats-server older than 2.12 (installed by `npm run setup` into .tools/legacy), for tests of
 * what the provider says to an old server; undefined when it is not installed.
 */
export function legacyNatsServerBinary(): string | undefined {
  const candidate = path.join(PROJECT_ROOT, ".tools", "legacy", "nats-server");
  return isExecutable(candidate) ? candidate : undefined;
}

/**
 * The Pulumi CLI: `$PULUMI_BIN`, else `<root>/.tools/bin/pulumi` (setup's pinned build, or the
 * official `pulumi` on PATH that setup found recent enough), else `pulumi` on PATH.
 */
export function pulumiBinary(): string {
  return resolveBinary("pulumi", "PULUMI_BIN");
}

/**
 * The newest nats-server release setup knows of (installed by `npm run setup` into .tools/newest),
 * for tests that must hold on the pinned and on the newest server; undefined when not installed.
 */
export function newestNatsServerBinary(): string | undefined {
  const candidate = path.join(PROJECT_ROOT, ".tools", "newest", "nats-server");
  return isExecutable(candidate) ? candidate : undefined;
}

/**
 * promtool (checks and unit-tests the alert rules): `$PROMTOOL_BIN`, else `<root>/.tools/bin/promtool`
 * (setup's pinned build), else `promtool` on PATH.
 */
export function promtoolBinary(): string {
  return resolveBinary("promtool", "PROMTOOL_BIN");
}

/**
 * The Prometheus NATS exporter the pods run (for the test of the series the rules use):
 * `$NATS_EXPORTER_BIN`, else `<root>/.tools/bin/prometheus-nats-exporter`, else on PATH.
 */
export function natsExporterBinary(): string {
  return resolveBinary("prometheus-nats-exporter", "NATS_EXPORTER_BIN");
}
