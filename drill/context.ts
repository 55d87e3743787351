// Everything a scenario works with: the local regions, the two stacks, the load, the observers.
import { randomBytes } from "node:crypto";
import path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { inRegion, perRegion, type Region } from "../infra/config/regions";
import type { AlertSampler } from "./alerts/sampler";
import type { StackConfig } from "../infra/config/types";
import type { StreamEvidence } from "../infra/streams";
import type { EvidenceWriter } from "./evidence";
import type { Clients } from "./load/connections";
import type { ConsumerWorker } from "./load/consumers";
import type { LagSampler } from "./load/lag";
import type { Publisher } from "./load/publisher";
import type { Router } from "./load/router";
import { makeTempDir } from "./local/cleanup";
import type { LocalRegions } from "./local/regions";
import type { DrillOptions } from "./options";
import type { Progress } from "./progress";
import { layOutProject } from "./pulumi/project";
import { changeLines, runUp, type UpRun } from "./pulumi/update";
import { editStackConfigValue, localStack } from "./pulumi/workspace";
import type { StackRunSummary, TimelineEvent } from "./report/types";
import { drillConfigMap, drillStackConfig, type DrillCredentials, type DrillStackSettings } from "./stacks";

/** A stack run as the evidence keeps it: the summary plus every engine step and what pulumi printed. */
export interface DrillStackRun extends StackRunSummary {
  readonly steps: UpRun["steps"];
  readonly warnings: UpRun["warnings"];
  readonly stdout: string;
}

export interface DrillStacksOptions {
  readonly initial: Region;
  readonly settings: DrillStackSettings;
  readonly credentials: DrillCredentials;
  readonly clock: () => number;
  /** `pulumi up --refresh` on every run. */
  readonly refresh: boolean;
  /** Directory of the stacks' file backend (kept with the drill's output). */
  readonly backendDir: string;
}

/** The Pulumi stack name of a region's drill stack. */
export function drillStackName(region: Region): string {
  return `drill-${region}`;
}

/**
 * The two stacks of this program the drill runs with the real Pulumi CLI, one per region, on a
 * file backend of their own, and the activeRegion both are meant to have.
 */
export class DrillStacks {
  activeRegion: Region;
  readonly runs: DrillStackRun[] = [];
  /** The stack outputs after each stack's last successful run. */
  readonly outputs: Partial<Record<Region, Readonly<Record<string, unknown>>>> = {};
  /** activeRegion as each stack's config has it now. */
  private readonly configured: Record<Region, Region>;

  private constructor(
    private readonly options: DrillStacksOptions,
    private readonly stacks: Readonly<Record<Region, Stack>>,
  ) {
    this.activeRegion = options.initial;
    this.configured = { ...perRegion(options.settings.pair, () => options.initial) };
  }

  /**
   * Creates both stacks in a fresh backend (a throwaway passphrase: the state in the output dir
   * holds the credentials encrypted with a key nobody keeps) and sets their whole config.
   */
  static async create(options: DrillStacksOptions): Promise<DrillStacks> {
    const projectDir = layOutProject(
      path.join(await makeTempDir("drill-project"), "project"),
      undefined,
      options.settings.pair,
    );
    const backend = { dir: options.backendDir, passphrase: randomBytes(16).toString("hex") };
    const entries = await Promise.all(
      options.settings.pair.map(async (region) => {
        const stack = await localStack({ backend, name: drillStackName(region), projectDir });
        await stack.setAllConfig(drillConfigMap(region, options.initial, options.settings, options.credentials));
        return [region, stack] as const;
      }),
    );
    return new DrillStacks(options, Object.fromEntries(entries));
  }

  /** Version of the Pulumi CLI that runs the stacks. */
  get pulumiVersion(): string {
    return inRegion(this.stacks, this.options.settings.pair[0]).workspace.pulumiVersion;
  }

  /** The parsed stack config of a region with the current (or the given) activeRegion. */
  config(region: Region, activeRegion: Region = this.activeRegion): StackConfig {
    return drillStackConfig(region, activeRegion, this.options.settings);
  }

  /** A stream's failover evidence (lastPromotion, lastDemotion, pendingOrphans) from the stack outputs. */
  evidence(region: Region, stream: string): StreamEvidence | undefined {
    const all = this.outputs[region]?.["failoverEvidence"] as Record<string, StreamEvidence> | undefined;
    return all?.[stream];
  }

  /**
   * activeRegion written into the stack's settings file where the stack's differs (the edit a
   * reviewed change makes; editStackConfigValue), then `pulumi up` (with
   * --refresh when the drill asks for it). `onComplete` is called when the engine reports the
   * update done, before the CLI has exited.
   */
  async run(region: Region, onComplete?: () => void): Promise<StackRunSummary> {
    const at = this.options.clock();
    const stack = inRegion(this.stacks, region);
    const activeRegion = this.activeRegion;
    let configMs = 0;
    if (this.configured[region] !== activeRegion) {
      const started = performance.now();
      await editStackConfigValue(stack, "nats-dr:activeRegion", activeRegion);
      this.configured[region] = activeRegion;
      configMs = Math.round(performance.now() - started);
    }
    const result = await runUp(stack, { refresh: this.options.refresh, ...(onComplete ? { onComplete } : {}) });
    if (result.outputs) this.outputs[region] = result.outputs;
    const summary: StackRunSummary = {
      stack: drillStackName(region),
      activeRegion,
      at,
      configMs,
      ms: result.ms,
      completedMs: result.completedMs,
      ok: result.ok,
      ...(result.error === undefined ? {} : { error: result.error }),
      resourceChanges: result.resourceChanges,
      changes: changeLines(result.steps),
    };
    this.runs.push({ ...summary, steps: result.steps, warnings: result.warnings, stdout: result.stdout });
    return summary;
  }

  /**
   * Runs the stack until it succeeds, at most `attempts` times with a pause between: what an
   * operator does when `pulumi up` fails on a transient error (a raft leader election after a
   * node died takes nats-server 4-9 s). Throws with every error.
   */
  async runUntilOk(region: Region, attempts = 4, onComplete?: () => void): Promise<StackRunSummary[]> {
    const runs: StackRunSummary[] = [];
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const run = await this.run(region, onComplete);
      runs.push(run);
      if (run.ok) return runs;
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    throw new Error(
      `the ${region} stack failed ${attempts} times (activeRegion ${this.activeRegion}):\n${runs.map((run) => `  ${run.error}`).join("\n")}`,
    );
  }
}

export interface DrillContext {
  readonly options: DrillOptions;
  /** ms since the drill started. */
  readonly clock: () => number;
  readonly local: LocalRegions;
  readonly clients: Clients;
  readonly router: Router;
  readonly publisher: Publisher;
  readonly consumers: readonly ConsumerWorker[];
  readonly sampler: LagSampler;
  /** The exporters beside the servers, scraped every second for the alert timeline. */
  readonly alerts: AlertSampler;
  readonly stacks: DrillStacks;
  readonly progress: Progress;
  readonly evidence: EvidenceWriter;
  /** Replicated streams the load publishes into. */
  readonly streams: readonly string[];
  readonly events: TimelineEvent[];
  /** Regions whose servers are down (killed by a scenario). */
  readonly down: Set<Region>;
  /** The scenario running now, for the progress line. */
  readonly status: { scenario: string };
  /**
   * Acknowledged ids missing from the primary at the end of the previous scenario: a later
   * scenario is not charged again for them (the report still shows them in "RPO at end").
   */
  knownMissing: ReadonlySet<string>;
  /** Carried from the unplanned scenario to the failback. */
  unplanned?: { readonly region: Region; readonly missing: readonly string[] };
}

export function mark(ctx: DrillContext, label: string): void {
  ctx.events.push({ at: ctx.clock(), label });
  ctx.progress.log(label);
}
