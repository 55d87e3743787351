// What every scenario does around its event: flip activeRegion and run the stacks in the order
// docs/failover.md gives, let the load settle, and measure against what publishers were told.
import { jetstreamManager } from "@nats-io/jetstream";
import { subjectCovers } from "../../infra/catalog/subjects";
import { type Region, peerOf } from "../../infra/config/regions";
import { drillStackName, mark, type DrillContext } from "../context";
import { regionReport } from "../evidence";
import { longestGap, maxOf, summarizeLag } from "../report/stats";
import type { ScenarioFigures, StackRunSummary } from "../report/types";
import {
  compareSequences,
  duplicateIds,
  missingIds,
  readIds,
  type SequenceComparison,
  type StoredIds,
} from "../verify";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface FailoverOutcome {
  readonly from: Region;
  readonly to: Region;
  readonly flipAt: number;
  readonly runs: readonly StackRunSummary[];
  /** Acknowledged before the new region's stack finished, missing from the new primary then. */
  readonly lostAtFailover: number;
  /** The ids behind lostAtFailover. */
  readonly missing: readonly string[];
  /** lastPromotion.mode of each load stream in the promoted region. */
  readonly promotion: Readonly<Record<string, string>>;
  /** Orphans the old region's demotion kept aside (undefined when that region is down). */
  readonly demotionOrphans?: number;
  readonly notes: readonly string[];
}

/**
 * Sets activeRegion to `to` and runs `pulumi up` of the stack of `to` (it promotes), moves the
 * clients there (the DNS record follows once the streams are writable: the moment the engine
 * reports that update done), then runs the other stack (it demotes) unless that region is down.
 * `during` runs concurrently with the first stack run.
 */
export async function failover(ctx: DrillContext, to: Region, during?: () => Promise<void>): Promise<FailoverOutcome> {
  const from = ctx.stacks.activeRegion;
  const orphansBefore = ctx.down.has(from) ? new Map<string, number>() : await orphanStreams(ctx, from);
  ctx.stacks.activeRegion = to;
  mark(ctx, `activeRegion ${from} -> ${to}: pulumi up ${drillStackName(to)}`);
  const flipAt = ctx.clock();
  const concurrent = during?.();
  const moveClients = () => {
    if (ctx.router.current() === to) return;
    ctx.router.moveTo(to, `pulumi up of the ${to} stack made its streams writable`);
    mark(ctx, `pulumi up ${drillStackName(to)} done: clients -> ${to}`);
  };
  const runs = [...(await ctx.stacks.runUntilOk(to, 4, moveClients))];
  // Also when no summary event arrived: the update succeeded, so the streams are writable.
  moveClients();
  const promotedAt = ctx.clock();
  const promotion = Object.fromEntries(
    ctx.streams.map((stream) => [stream, ctx.stacks.evidence(to, stream)?.lastPromotion?.mode ?? "none"]),
  );
  mark(ctx, `${to} promoted (${Object.values(promotion).join(", ")})`);
  await concurrent;
  const acknowledged = [...ctx.publisher.acks.values()].filter((ack) => ack.at < promotedAt).map((ack) => ack.id);
  const demote = async () => {
    if (ctx.down.has(from)) return [];
    mark(ctx, `pulumi up ${drillStackName(from)}`);
    return ctx.stacks.runUntilOk(from);
  };
  const demoting = !ctx.down.has(from);
  const [stored, demotions] = await Promise.all([readPrimary(ctx, to), demote()]);
  const missing = missingIds(acknowledged, [...stored.values()]).filter((id) => !ctx.knownMissing.has(id));
  const notes: string[] = [];
  let demotionOrphans: number | undefined;
  if (demoting) {
    // Counted on the server: a demotion interrupted after the copy leaves orphans no lastDemotion records.
    demotionOrphans = 0;
    for (const [name, messages] of await orphanStreams(ctx, from)) {
      const added = messages - (orphansBefore.get(name) ?? 0);
      if (added <= 0) continue;
      demotionOrphans += added;
      const recorded = ctx.streams.some(
        (stream) => ctx.stacks.evidence(from, stream)?.lastDemotion?.orphanStream === name,
      );
      notes.push(
        `${from} kept ${added} orphans in ${name} (acknowledged there, not in ${to}; re-publish them: npm run orphans -- republish --from ${from}, docs/failover.md)${recorded ? "" : "; no lastDemotion output records them: the demotion was interrupted and a re-run adopted the mirror"}`,
      );
    }
  }
  return {
    from,
    to,
    flipAt,
    runs: [...runs, ...demotions],
    lostAtFailover: missing.length,
    missing,
    promotion,
    ...(demotionOrphans === undefined ? {} : { demotionOrphans }),
    notes,
  };
}

async function readPrimary(ctx: DrillContext, region: Region): Promise<Map<string, StoredIds>> {
  const nc = await ctx.clients.get("observe", region);
  const entries = await Promise.all(
    ctx.streams.map(async (stream) => [stream, await readIds(nc, region, stream)] as const),
  );
  return new Map(entries);
}

/** Per load stream: ms from `from` to its first publish acknowledged by `domain` (null: none yet). */
export function firstWrites(ctx: DrillContext, domain: Region, from: number): Record<string, number | null> {
  const first = new Map<string, number>();
  for (const ack of ctx.publisher.acks.values()) {
    if (ack.domain !== domain || ack.at < from) continue;
    const known = first.get(ack.stream);
    if (known === undefined || ack.at < known) first.set(ack.stream, ack.at);
  }
  return Object.fromEntries(
    ctx.streams.map((stream) => [stream, first.has(stream) ? first.get(stream)! - from : null]),
  );
}

/**
 * RTO: flip -> every stream takes writes in the new region, i.e. the slowest stream's first
 * acknowledged publish there (null when one never took any). Per stream in `rtoByStream`.
 */
export function rto(
  ctx: DrillContext,
  domain: Region,
  from: number,
): { rtoMs: number | null; rtoByStream: Record<string, number | null> } {
  const rtoByStream = firstWrites(ctx, domain, from);
  const values = Object.values(rtoByStream);
  return {
    rtoMs: values.length === 0 || values.some((value) => value === null) ? null : maxOf(values as number[]),
    rtoByStream,
  };
}

/** Acknowledged messages a consumer should have been given (by its filter) and was not. */
export function undelivered(ctx: DrillContext): number {
  return undeliveredIds(ctx).reduce((sum, entry) => sum + entry.ids.length, 0);
}

export function undeliveredIds(ctx: DrillContext): { consumer: string; ids: string[] }[] {
  return ctx.consumers.map((worker) => {
    const filters = worker.load.filterSubjects;
    const ids: string[] = [];
    for (const ack of ctx.publisher.acks.values()) {
      if (ack.stream !== worker.load.stream) continue;
      if (filters.length > 0 && !filters.some((filter) => subjectCovers(filter, ack.subject))) continue;
      if (!worker.delivered.has(ack.id)) ids.push(ack.id);
    }
    return { consumer: worker.load.name, ids };
  });
}

/** Per consumer, what it was given in [start, end) and what it still lacks: the delivery evidence. */
export function deliveryEvidence(ctx: DrillContext, start: number, end: number): unknown {
  const missing = new Map(undeliveredIds(ctx).map((entry) => [entry.consumer, entry.ids]));
  return ctx.consumers.map((worker) => {
    const events = worker.events.filter((event) => event.at >= start && event.at < end);
    const ids = (kind: string) =>
      events.filter((event) => event.kind === kind).map((event) => `${event.id}@${event.region}`);
    const undeliveredNow = missing.get(worker.load.name) ?? [];
    return {
      consumer: worker.load.name,
      stream: worker.load.stream,
      firstAcknowledged: worker.ackedBetween(start, end),
      duplicates: ids("duplicate").slice(0, 50),
      redeliveredAfterAck: ids("redelivered-acked").slice(0, 50),
      undelivered: {
        count: undeliveredNow.length,
        first: undeliveredNow.slice(0, 50).map((id) => ctx.publisher.acks.get(id) ?? id),
      },
      errors: worker.errors,
      lastError: worker.lastError,
    };
  });
}

/**
 * Waits until every load stream of `region` and each of its catalog consumers answers info
 * (their raft groups have leaders again): what an operator checks with `npm run status` before
 * running the recovered region's stack.
 */
export async function waitForStreams(ctx: DrillContext, region: Region, timeoutMs = 30_000): Promise<number> {
  const started = ctx.clock();
  const jsm = await jetstreamManager(await ctx.clients.get("observe", region), {
    domain: region,
    timeout: 2000,
    checkAPI: false,
  });
  const ready = async () => {
    await Promise.all(ctx.streams.map((stream) => jsm.streams.info(stream)));
    await Promise.all(ctx.consumers.map((worker) => jsm.consumers.info(worker.load.stream, worker.load.name)));
    return true;
  };
  while (ctx.clock() - started < timeoutMs) {
    if (await ready().catch(() => false)) return ctx.clock() - started;
    await sleep(200);
  }
  throw new Error(
    `the streams and consumers of ${region} did not answer within ${timeoutMs} ms after its servers were healthy`,
  );
}

/**
 * Stops new publishes and waits (bounded) for in-flight ones, for the mirror to catch up and for
 * the consumers to receive what they should: the state the checks compare.
 */
export async function settle(ctx: DrillContext, boundMs = 20_000): Promise<{ caughtUpMs: number | null }> {
  await ctx.publisher.pause();
  const started = ctx.clock();
  let caughtUpMs: number | null = null;
  const mirrorUp =
    !ctx.down.has(peerOf(ctx.local.pair, ctx.stacks.activeRegion)) && !ctx.down.has(ctx.stacks.activeRegion);
  while (mirrorUp && ctx.clock() - started < boundMs) {
    const samples = await ctx.sampler.sampleNow().catch(() => []);
    if (samples.length > 0 && samples.every((sample) => sample.lagMsgs === 0)) {
      caughtUpMs = ctx.clock() - started;
      break;
    }
    await sleep(100);
  }
  let previous = -1;
  for (let waited = 0; waited < 10_000; waited += 500) {
    const left = undelivered(ctx);
    if (left === 0 || left === previous) break;
    previous = left;
    await sleep(500);
  }
  return { caughtUpMs };
}

export interface Measured {
  readonly figures: Omit<ScenarioFigures, "from" | "to" | "rtoMs" | "lostAtFailover" | "stackRuns" | "demotionOrphans">;
  readonly comparisons: readonly SequenceComparison[];
}

/**
 * Figures of the window [start, end) after settle(): the primary is read, the mirror compared.
 * `recover` are ids missing before that this scenario must bring back (the failback's).
 */
export async function measure(
  ctx: DrillContext,
  start: number,
  end: number,
  recover: readonly string[] = [],
): Promise<Measured> {
  const primaryRegion = ctx.stacks.activeRegion;
  const mirrorRegion = peerOf(ctx.local.pair, primaryRegion);
  const primary = await readPrimary(ctx, primaryRegion);
  const comparisons: SequenceComparison[] = [];
  if (!ctx.down.has(mirrorRegion)) {
    const nc = await ctx.clients.get("observe", mirrorRegion);
    const mirrors = await Promise.all(ctx.streams.map((stream) => readIds(nc, mirrorRegion, stream)));
    ctx.streams.forEach((stream, index) =>
      comparisons.push(compareSequences(stream, primaryRegion, primary.get(stream)!, mirrorRegion, mirrors[index]!)),
    );
  }
  const storedIds = new Set<string>();
  for (const ids of primary.values()) for (const id of ids.values()) storedIds.add(id);
  const acks = [...ctx.publisher.acks.values()];
  const inWindow = acks.filter((ack) => ack.at >= start && ack.at < end);
  const missing = acks.filter((ack) => !storedIds.has(ack.id)).map((ack) => ack.id);
  const charged = new Set(recover);
  const lostHere = missing.filter((id) => !ctx.knownMissing.has(id) || charged.has(id)).length;
  ctx.knownMissing = new Set(missing);
  const count = (kind: "duplicate" | "redelivered-acked") =>
    ctx.consumers.reduce((sum, worker) => sum + worker.count(kind, start, end), 0);
  return {
    comparisons,
    figures: {
      // Per stream: one stream still taking writes does not hide another one's outage.
      longestWriteGapMs: maxOf(
        ctx.streams.map(
          (stream) =>
            longestGap(
              inWindow.filter((ack) => ack.stream === stream).map((ack) => ack.at),
              start,
              end,
            ) ?? 0,
        ),
      ),
      published: inWindow.length,
      publishRetries: inWindow.reduce((sum, ack) => sum + ack.attempts - 1, 0),
      stored: inWindow.filter((ack) => storedIds.has(ack.id)).length,
      consumed: ctx.consumers.reduce((sum, worker) => sum + worker.ackedBetween(start, end), 0),
      duplicatesDelivered: count("duplicate"),
      redeliveredAcked: count("redelivered-acked"),
      duplicatesStored: [...primary.values()].reduce((sum, ids) => sum + duplicateIds(ids), 0),
      lost: missing.length,
      lostHere,
      undelivered: undelivered(ctx),
      sequenceMismatches: comparisons.reduce((sum, comparison) => sum + comparison.mismatches, 0),
      mirrorLag: summarizeLag(ctx.sampler.between(start, end)),
    },
  };
}

/** Messages in each orphan stream (`<stream>-orphans-<seq>`) of the load streams in `region`. */
export async function orphanStreams(ctx: DrillContext, region: Region): Promise<Map<string, number>> {
  const jsm = await jetstreamManager(await ctx.clients.get("observe", region), {
    domain: region,
    timeout: 3000,
    checkAPI: false,
  });
  const found = new Map<string, number>();
  for await (const info of jsm.streams.list()) {
    if (ctx.streams.some((stream) => new RegExp(`^${stream}-orphans-\\d+$`).test(info.config.name)))
      found.set(info.config.name, info.state.messages);
  }
  return found;
}

/** Last sequence of each load stream in `region` (undefined for a stream that did not answer). */
export async function lastSequences(ctx: DrillContext, region: Region): Promise<Map<string, number | undefined>> {
  const jsm = await jetstreamManager(await ctx.clients.get("observe", region), {
    domain: region,
    timeout: 2000,
    checkAPI: false,
  });
  const entries = await Promise.all(
    ctx.streams.map(
      async (stream) =>
        [
          stream,
          await jsm.streams.info(stream).then(
            (info) => info.state.last_seq,
            () => undefined,
          ),
        ] as const,
    ),
  );
  return new Map(entries);
}

/**
 * Stream reports of both regions (a region that is down is recorded as such) and each stack's
 * outputs after its last successful `pulumi up` (roles, failover evidence).
 */
export async function snapshot(ctx: DrillContext, name: string): Promise<void> {
  const regions: Record<string, unknown> = {};
  for (const region of [ctx.stacks.activeRegion, peerOf(ctx.local.pair, ctx.stacks.activeRegion)]) {
    if (ctx.down.has(region)) {
      regions[region] = { down: true };
      continue;
    }
    regions[region] = await regionReport(await ctx.clients.get("observe", region), region).catch((error: unknown) => ({
      error: String((error as Error)?.message ?? error),
    }));
  }
  const stacks = Object.fromEntries(
    ctx.local.pair.map((region) => [drillStackName(region), ctx.stacks.outputs[region] ?? null]),
  );
  ctx.evidence.write(`evidence/${name}.json`, {
    at: ctx.clock(),
    activeRegion: ctx.stacks.activeRegion,
    regions,
    stackOutputs: stacks,
  });
}
