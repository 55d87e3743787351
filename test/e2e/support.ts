// The world of the e2e tests: two local regions of real nats-servers (one server each: clustering
// is covered by the integration tests), a throwaway project directory and a file backend, and one
// stack per region configured as a user would (`pulumi config set`), run by the real Pulumi CLI.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { DEFAULT_REGION_PAIR, type DefaultRegion } from "../../infra/config/regions";
import { Clients } from "../../drill/load/connections";
import { startLocalRegions, type LocalRegions } from "../../drill/local/regions";
import { layOutProject } from "../../drill/pulumi/project";
import { pulumiBinary } from "../../drill/local/binaries";
import { localStack, pulumiEnv, stackConfigMap, type LocalBackend } from "../../drill/pulumi/workspace";

/** The catalog of the e2e stacks: two replicated streams, one with a durable pull consumer. */
export const e2eCatalog = {
  mode: "replace",
  streams: {
    orders: { subjects: ["orders.*"], replicas: 1, maxBytes: "64Mi", maxAge: "1d", duplicateWindow: "2m" },
    events: { subjects: ["events.*"], replicas: 1, maxBytes: "64Mi", maxAge: "1d" },
  },
  consumers: {
    settle: { stream: "orders", deliver: "pull", ackPolicy: "explicit", ackWait: "30s", maxDeliver: 5 },
  },
} as const;

export const SECRET_KEYS = ["natsUser", "natsPassword"] as const;

export interface E2eWorld {
  readonly local: LocalRegions<DefaultRegion>;
  readonly dir: string;
  /** The project directory the stacks run in (layOutProject). */
  readonly projectDir: string;
  readonly backend: LocalBackend;
  readonly stacks: Readonly<Record<DefaultRegion, Stack>>;
  /** The raw `nats-dr:*` values of a region's stack with `activeRegion`. */
  config(region: DefaultRegion, activeRegion: DefaultRegion): Record<string, unknown>;
  /** Points both stacks at `activeRegion` (pulumi config set nats-dr:activeRegion ...). */
  setActiveRegion(activeRegion: DefaultRegion): Promise<void>;
  stop(): Promise<void>;
}

export interface E2eWorldOptions {
  /** `nats-dr:catalog` of both stacks. @default e2eCatalog */
  readonly catalog?: unknown;
}

export async function startE2eWorld(name: string, options: E2eWorldOptions = {}): Promise<E2eWorld> {
  const local = await startLocalRegions({ nodes: 1, maxFileBytes: 1024 ** 3 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `nats-dr-e2e-${name}-`));
  try {
    const projectDir = layOutProject(path.join(dir, "project"));
    const backend = { dir: path.join(dir, "backend"), passphrase: randomBytes(8).toString("hex") };
    const servers = Object.fromEntries(
      DEFAULT_REGION_PAIR.map((region) => [region, { servers: [...local.regions[region].clientUrls] }]),
    );
    const config = (region: DefaultRegion, activeRegion: DefaultRegion): Record<string, unknown> => ({
      region,
      activeRegion,
      regions: servers,
      // The suite must hold beside CPU hogs: there a preview's program was starved long enough
      // that its 5 s connect to a live local server timed out (the failover plan then said the
      // region did not answer). Connections to a dead or refusing server still fail at once.
      connection: { connectTimeoutMs: 20_000 },
      backup: { enabled: false },
      catalog: options.catalog ?? e2eCatalog,
      natsUser: local.users.app.user,
      natsPassword: local.users.app.password,
    });
    const stacks = {} as Record<DefaultRegion, Stack>;
    for (const region of DEFAULT_REGION_PAIR) {
      const stack = await localStack({ backend, name: `e2e-${region}`, projectDir });
      await stack.setAllConfig(stackConfigMap(config(region, "us-east-1"), SECRET_KEYS));
      stacks[region] = stack;
    }
    return {
      local,
      dir,
      projectDir,
      backend,
      stacks,
      config,
      async setActiveRegion(activeRegion) {
        for (const region of DEFAULT_REGION_PAIR)
          await stacks[region].setConfig("nats-dr:activeRegion", { value: activeRegion });
      },
      async stop() {
        await local.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await local.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Connections to both regions as the application user (one per purpose and region). */
export function appClients(world: E2eWorld): Clients {
  return new Clients(
    {
      "us-east-1": world.local.regions["us-east-1"].clientUrls,
      "eu-central-1": world.local.regions["eu-central-1"].clientUrls,
    },
    world.local.users.app,
  );
}

/** Runs the pulumi CLI itself in the world's project directory; resolves with its stdout. */
export function runPulumi(world: E2eWorld, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      pulumiBinary(),
      [...args, "--non-interactive"],
      { cwd: world.projectDir, env: { ...process.env, ...pulumiEnv(world.backend) }, maxBuffer: 64 * 1024 ** 2 },
      (error, stdout, stderr) => (error ? reject(new Error(`pulumi ${args.join(" ")}: ${stderr}`)) : resolve(stdout)),
    );
  });
}

/**
 * A world whose stacks are both deployed (`pulumi up`, the active us-east-1 first, as on a first
 * deployment), with app clients to both regions.
 */
export async function startDeployedWorld(
  name: string,
  options: E2eWorldOptions = {},
): Promise<{ world: E2eWorld; clients: Clients }> {
  const world = await startE2eWorld(name, options);
  const clients = appClients(world);
  try {
    await world.stacks["us-east-1"].up();
    await world.stacks["eu-central-1"].up();
  } catch (error) {
    await stopWorld(world, clients);
    throw error;
  }
  return { world, clients };
}

/** Closes the clients and stops the world; either may be missing when its start failed. */
export async function stopWorld(world: E2eWorld | undefined, clients: Clients | undefined): Promise<void> {
  await clients?.close();
  await world?.stop();
}
