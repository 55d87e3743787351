// Where a lab keeps its files. The lab of a checkout lives in `<checkout>/.pulumi-lab` (git-ignored)
// and uses the checkout as its Pulumi project, so `pulumi` typed in the checkout sees its stacks
// (their settings files, `Pulumi.lab-*.yaml`, are git-ignored too). NATS_DR_LAB_DIR puts a lab
// elsewhere, with a project directory of its own, so that a second lab (the integration test's)
// never touches the first one's stacks.
import path from "node:path";
import type { Region } from "../../infra/config/regions";
import { PROJECT_ROOT } from "../local/binaries";

export const LAB_DIR_ENV = "NATS_DR_LAB_DIR";

export interface LabPaths {
  /** The lab's folder. */
  readonly dir: string;
  /** Pids, ports, credentials and the passphrase of the running lab (mode 0600). */
  readonly stateFile: string;
  /** Held by one lab command at a time. */
  readonly lockFile: string;
  /** The Pulumi file backend (`PULUMI_BACKEND_URL=file://...`). */
  readonly backendDir: string;
  /** Each server's config and store. */
  readonly serversDir: string;
  /** The daemon's and every server's log; kept by `down`. */
  readonly logsDir: string;
  readonly daemonLog: string;
  /** The Pulumi project the lab's stacks belong to: where a user runs `pulumi`. */
  readonly projectDir: string;
  /** True when the project directory is the checkout itself (else laid out by the lab in `dir`). */
  readonly projectIsCheckout: boolean;
}

/** The lab's paths: `<checkout>/.pulumi-lab`, or `$NATS_DR_LAB_DIR` with its own project dir. */
export function labPaths(env: NodeJS.ProcessEnv = process.env): LabPaths {
  const custom = env[LAB_DIR_ENV];
  const dir = custom === undefined || custom === "" ? path.join(PROJECT_ROOT, ".pulumi-lab") : path.resolve(custom);
  const projectIsCheckout = custom === undefined || custom === "";
  const logsDir = path.join(dir, "logs");
  return {
    dir,
    stateFile: path.join(dir, "lab.json"),
    lockFile: path.join(dir, "lock"),
    backendDir: path.join(dir, "backend"),
    serversDir: path.join(dir, "servers"),
    logsDir,
    daemonLog: path.join(logsDir, "daemon.log"),
    projectDir: projectIsCheckout ? PROJECT_ROOT : path.join(dir, "project"),
    projectIsCheckout,
  };
}

/** The lab's stack of a region: `lab-us-east-1`, `lab-eu-central-1`. */
export function labStackName(region: Region): string {
  return `lab-${region}`;
}
