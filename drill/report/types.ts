// What a drill reports: per scenario the figures an SRE fills into a gameday table, the checks
// against the targets, and the time series for the chart. Plain data, written as JSON as is.
import type { AlertObservation } from "../alerts/timeline";

export const ScenarioIds = {
  steady: "steady",
  planned: "planned",
  partition: "partition",
  nodeLoss: "node-loss",
  unplanned: "unplanned",
  failback: "failback",
} as const;
export type ScenarioId = (typeof ScenarioIds)[keyof typeof ScenarioIds];

/** Every scenario in the order the drill runs them (each leaves the regions ready for the next). */
export const scenarioOrder: readonly ScenarioId[] = [
  "steady",
  "planned",
  "partition",
  "node-loss",
  "unplanned",
  "failback",
];

export interface LagSummary {
  /** Samples with a value outside a resync (a region that did not answer gives none). */
  readonly samples: number;
  readonly maxMs: number | null;
  readonly p99Ms: number | null;
  readonly p50Ms: number | null;
  readonly maxMsgs: number | null;
  readonly p99Msgs: number | null;
  /** A mirror re-created by a demotion copying the stream again: first to last such sample, ms. */
  readonly resyncMs: number | null;
  readonly resyncMaxMsgs: number | null;
}

/** One `pulumi up` of a stack, as the engine reported it. */
export interface StackRunSummary {
  /** The Pulumi stack, e.g. "drill-eu-central-1". */
  readonly stack: string;
  readonly activeRegion: string;
  /** ms since the drill started. */
  readonly at: number;
  /** Setting nats-dr:activeRegion in the stack settings file before the run, ms (0: the stack had it already). */
  readonly configMs: number;
  /** The whole `pulumi up` through the Automation API, ms. */
  readonly ms: number;
  /** When the engine reported the update over, ms after the run started (null: it did not). */
  readonly completedMs: number | null;
  readonly ok: boolean;
  readonly error?: string;
  /** The engine's summary: resources by op, e.g. { update: 2, same: 5 }. */
  readonly resourceChanges: Readonly<Record<string, number | undefined>>;
  /** The engine's steps that changed something, e.g. "update jetstream-stream-events [diff: ~role] 412 ms". */
  readonly changes: readonly string[];
}

export interface OrphanFigures {
  /** Messages the demoted region held beyond the promotion point (lastDemotion.orphanCount). */
  readonly found: number;
  /** Orphans re-published to the active region by message id. */
  readonly republished: number;
  /** Of those, the active region already had (de-duplicated): stored in both during the split-brain window. */
  readonly alreadyPresent: number;
  /** Acknowledged messages missing after the unplanned failover that are not among the orphans. */
  readonly missingFromOrphans: number;
}

/**
 * The split-brain window of a failback (issue 15 item 5): from the restart of the region that was
 * killed until the active region's stack fenced its returned primaries, those streams are
 * primaries again and store what is published across the leafnode, as the active region does.
 */
export interface SplitBrainFigures {
  /** Restart of the recovered region -> the active region's stack run (the fence) finished, ms. */
  readonly windowMs: number;
  /**
   * Of it, from the moment the recovered region's streams and consumers answered again (they take
   * writes from about then) to the fence, ms: the active stack's run, what an operator controls.
   */
  readonly afterStreamsAnsweredMs: number;
  /** Messages both regions stored in that window: the orphans beyond the unreplicated ones. */
  readonly writes: number;
  /** Deliveries of a message a second time in that window (the recovered region's consumers ran again). */
  readonly duplicateDeliveries: number;
  /**
   * Messages the recovered region stored after the fence, until its own stack ran (0: the fence
   * closed the window); null when a load stream was not fenced.
   */
  readonly storedAfterFence: number | null;
  /** Deliveries of a message a second time from the fence to the demotion. */
  readonly duplicatesAfterFence: number;
}

/** The interest-retention check (drill/scenarios/interest.ts): a stream nobody consumes, counted after restarts. */
export interface InterestHeldFigures {
  readonly stream: string;
  /** Messages the stream held before the restarts (published by the drill, never consumed). */
  readonly held: number;
  /** After each region's restart (the new primary's first): the stream's messages in each region (null: no answer). */
  readonly afterRestart: readonly {
    readonly restarted: string;
    readonly counts: Readonly<Record<string, number | null>>;
  }[];
  /** Largest shortfall from `held` in any region after any restart. */
  readonly lost: number;
}

/** Node loss: how long the raft groups the killed server led took to elect new leaders. */
export interface ElectionFigures {
  /** Flip -> the last of them had a leader again (the kill comes with the flip), ms. */
  readonly lastAfterFlipMs: number;
  /** Each such group (meta, a stream, `stream/consumer`): kill -> leader, ms. */
  readonly elected: Readonly<Record<string, number>>;
  /** Groups still without a leader when the failover was done. */
  readonly unelected: readonly string[];
}

export interface ScenarioFigures {
  /** Active region before and after the scenario. */
  readonly from: string;
  readonly to: string;
  /** Flip of activeRegion -> every stream's first acknowledged publish in the new region, ms. */
  readonly rtoMs: number | null;
  /** The same per stream. */
  readonly rtoByStream?: Readonly<Record<string, number | null>>;
  /** How each stream was promoted by the flip (lastPromotion.mode), by stream name. */
  readonly promotion?: Readonly<Record<string, string>>;
  /** Longest time a stream went without an acknowledged publish during the scenario, ms. */
  readonly longestWriteGapMs: number | null;
  /** Publishes acknowledged during the scenario. */
  readonly published: number;
  readonly publishRetries: number;
  /** Of those, held by the primary at the end of the scenario. */
  readonly stored: number;
  /** Messages first acknowledged by the consumers during the scenario. */
  readonly consumed: number;
  readonly duplicatesDelivered: number;
  /** Deliveries of messages a consumer had already acknowledged. */
  readonly redeliveredAcked: number;
  /** Message ids stored at more than one sequence in the primary (whole drill so far). */
  readonly duplicatesStored: number;
  /**
   * Acknowledged messages missing from the new primary right after the failover, not counting
   * those already missing before this scenario.
   */
  readonly lostAtFailover: number | null;
  /** Acknowledged messages (whole drill so far) missing from the primary at the end of the scenario. */
  readonly lost: number;
  /** Of `lost`, those this scenario is charged with (missing since it ran, or left for it to recover). */
  readonly lostHere: number;
  /** Messages the old region's demotion kept aside as orphans (planned flips must keep none). */
  readonly demotionOrphans?: number;
  /** Acknowledged messages a consumer should have received and had not, at the end. */
  readonly undelivered: number;
  /** Unplanned: acknowledged by the killed region beyond what its mirror held at the kill. */
  readonly unreplicatedAtKill?: number;
  /**
   * Unplanned: what the consumers acknowledged in the two checkpoint intervals before the kill (one
   * of traffic, one for the checkpoint in flight): the most acknowledged messages delivered again.
   */
  readonly redeliveryAllowance?: number;
  readonly orphans?: OrphanFigures;
  readonly splitBrain?: SplitBrainFigures;
  /** Partition: heal -> mirror holds everything the primary holds, ms (null: not within the bound). */
  readonly catchUpMs?: number | null;
  /** Node loss: the old region's raft elections after the kill (drill/local/elections.ts). */
  readonly elections?: ElectionFigures;
  /** The interest-retention check after this scenario's failover (planned only). */
  readonly interestHeld?: InterestHeldFigures;
  /** Mirror messages whose id differs from the primary's at the same sequence, or missing. */
  readonly sequenceMismatches: number;
  readonly mirrorLag: LagSummary;
  readonly stackRuns: readonly StackRunSummary[];
}

export interface Check {
  readonly name: string;
  readonly target: string;
  readonly actual: string;
  readonly ok: boolean;
  /** Depends on wall-clock speed (RTO, lag): CI asserts the others only. */
  readonly timing: boolean;
}

export interface ScenarioResult {
  readonly id: ScenarioId;
  /**
   * Our alerts whose condition held during the scenario (drill/alerts), by the rules run over what
   * the drill's exporters reported; absent in reports of drills that did not evaluate them.
   */
  readonly alerts?: readonly AlertObservation[];
  readonly title: string;
  /** ms since the drill started. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly figures: ScenarioFigures;
  readonly checks: readonly Check[];
  readonly passed: boolean;
  readonly notes: readonly string[];
}

export interface SeriesPoint {
  /** Bucket start, ms since the drill started. */
  readonly at: number;
  /** Acknowledged publishes per second in the bucket. */
  readonly publishRate: number;
  /** Largest mirror lag over the streams in the bucket, ms and messages; null: no sample. */
  readonly lagMs: number | null;
  readonly lagMsgs: number | null;
}

export interface TimelineEvent {
  readonly at: number;
  readonly label: string;
}

export interface DrillReport {
  readonly startedAt: string;
  readonly totalMs: number;
  readonly passed: boolean;
  /** Why the drill failed, one line per missed target or error. */
  readonly failures: readonly string[];
  readonly settings: Record<string, unknown>;
  readonly environment: Record<string, string>;
  readonly scenarios: readonly ScenarioResult[];
  readonly series: readonly SeriesPoint[];
  readonly events: readonly TimelineEvent[];
  readonly notes: readonly string[];
}
