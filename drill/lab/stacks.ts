// The lab's two stacks in the file backend inside the lab folder (drill/lab/config.ts says what they
// hold): configured once, as a user would (`pulumi config set --path`, secrets as secrets), then run
// with the real `pulumi up`.
import { labRegions, type LabRegion } from "./pair";
import fs from "node:fs";
import type { Stack } from "@pulumi/pulumi/automation";
import { pathConfigMap } from "../pulumi/configPaths";
import { layOutProject } from "../pulumi/project";
import { runUp, type UpRun } from "../pulumi/update";
import { localStack } from "../pulumi/workspace";
import { LAB_SECRET_KEYS, labStackValues } from "./config";
import { labStackName, type LabPaths } from "./paths";
import type { LabState } from "./state";

/** `Pulumi.yaml`'s default of `nats-dr:activeRegion`, which the lab's stacks start with. */
const PROJECT_ACTIVE_REGION: LabRegion = "us-east-1";

export interface LabStack {
  readonly region: LabRegion;
  readonly name: string;
  readonly stack: Stack;
  /** False when the stack existed: its config (a flipped activeRegion, say) is the user's and is kept. */
  readonly configured: boolean;
  /** `nats-dr:activeRegion` of the stack (Pulumi.yaml's default when the stack does not set it). */
  readonly activeRegion: string;
}

/** Selects (or creates and configures) both stacks. */
export async function labStacks(paths: LabPaths, state: LabState): Promise<Record<LabRegion, LabStack>> {
  if (!paths.projectIsCheckout && !fs.existsSync(paths.projectDir)) layOutProject(paths.projectDir);
  const backend = { dir: paths.backendDir, passphrase: state.passphrase };
  const stacks = {} as Record<LabRegion, LabStack>;
  for (const region of labRegions) {
    const name = labStackName(region);
    const stack = await localStack({ backend, name, projectDir: paths.projectDir });
    const existing = await stack.getAllConfig();
    const configured = existing["nats-dr:region"] === undefined;
    if (configured) await stack.setAllConfig(pathConfigMap(labStackValues(region, state), LAB_SECRET_KEYS), true);
    const activeRegion = existing["nats-dr:activeRegion"]?.value ?? PROJECT_ACTIVE_REGION;
    stacks[region] = { region, name, stack, configured, activeRegion };
  }
  return stacks;
}

/**
 * The order to run the stacks in: the active region's first (docs/failover.md), when both stacks
 * name the same active region; else the listening region's first, with a warning to print.
 */
export function runOrder(stacks: Record<LabRegion, LabStack>): { order: LabRegion[]; warning?: string } {
  const [east, eu] = [stacks["us-east-1"], stacks["eu-central-1"]];
  if (east.activeRegion !== eu.activeRegion)
    return {
      order: [...labRegions],
      warning: `the stacks name different active regions (${east.name}: ${east.activeRegion}, ${eu.name}: ${eu.activeRegion}); set nats-dr:activeRegion to the same region in both.`,
    };
  const active = labRegions.find((region) => region === east.activeRegion) ?? "us-east-1";
  return { order: [active, ...labRegions.filter((region) => region !== active)] };
}

export interface LabUp {
  readonly region: LabRegion;
  readonly name: string;
  readonly run: UpRun;
}

/**
 * `pulumi up` of each stack in order, the engine's output passed to `onOutput` as it comes; stops
 * at the first failed run (the last entry then has `run.ok` false).
 */
export async function upLabStacks(
  stacks: Record<LabRegion, LabStack>,
  order: readonly LabRegion[],
  onOutput: (text: string) => void,
): Promise<LabUp[]> {
  const runs: LabUp[] = [];
  for (const region of order) {
    const { name, stack } = stacks[region];
    onOutput(`\n--- pulumi up --stack ${name} ---\n`);
    const run = await runUp(stack, { onOutput });
    runs.push({ region, name, run });
    if (!run.ok) break;
  }
  return runs;
}
