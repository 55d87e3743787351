// Everything a scenario works with: the local regions, the two stacks, the load, the observers.
import type { Region } from "../infra/config/regions";
import type { StackConfig } from "../infra/config/types";
import { Stack, up, type RunResult } from "./engine";
import type { EvidenceWriter } from "./evidence";
import type { Clients } from "./load/connections";
import type { ConsumerWorker } from "./load/consumers";
import type { LagSampler } from "./load/lag";
import type { Publisher } from "./load/publisher";
import type { Router } from "./load/router";
import type { LocalRegions } from "./local/regions";
import type { DrillOptions } from "./options";
import type { Progress } from "./progress";
import type { StackRunSummary, TimelineEvent } from "./report/types";
import { desiredResources, drillStackConfig, type DrillStackSettings } from "./stacks";

/** The two stacks and the activeRegion both read (the project-level config value). */
export class DrillStacks {
  activeRegion: Region;
  readonly stacks: Record<Region, Stack> = {
    "us-east-1": new Stack("us-east-1"),
    "eu-central-1": new Stack("eu-central-1"),
  };
  readonly runs: (StackRunSummary & { readonly steps: RunResult["steps"] })[] = [];

  constructor(
    initial: Region,
    private readonly settings: DrillStackSettings,
    private readonly credentials: { readonly user: string; readonly password: string },
    private readonly clock: () => number,
    private readonly refresh: boolean,
  ) {
    this.activeRegion = initial;
  }

  /** The parsed stack config of a region with the current activeRegion. */
  config(region: Region): StackConfig {
    return drillStackConfig(region, this.activeRegion, this.settings);
  }

  /** One `pulumi up --refresh` of a region's stack with the current activeRegion. */
  async run(region: Region): Promise<StackRunSummary> {
    const at = this.clock();
    const desired = desiredResources(this.config(region), this.credentials);
    const result = await up(this.stacks[region], desired, { refresh: this.refresh });
    const summary = {
      stack: region,
      activeRegion: this.activeRegion,
      at,
      ms: result.ms,
      ok: result.ok,
      ...(result.error === undefined ? {} : { error: result.error }),
      changes: result.steps
        .filter((step) => step.op !== "same" && step.op !== "refresh")
        .map((step) => `${step.op} ${step.name}${step.detail ? ` ${step.detail}` : ""}${step.error ? ` (error)` : ""}`),
    };
    this.runs.push({ ...summary, steps: result.steps });
    return summary;
  }

  /**
   * Runs the stack until it succeeds, at most `attempts` times with a pause between: what an
   * operator does when `pulumi up` fails on a transient error (a raft leader election after a
   * node died takes nats-server 4-9 s). Throws with every error.
   */
  async runUntilOk(region: Region, attempts = 4): Promise<StackRunSummary[]> {
    const runs: StackRunSummary[] = [];
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const run = await this.run(region);
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
