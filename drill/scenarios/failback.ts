// Failback after the unplanned failover, in the order docs/failover.md gives:
//   0. the killed region is restarted from its stores: its streams are writable primaries again,
//      and both regions store what is published (the split-brain window). The active region's
//      stack runs at once (as the runbook says): it fences the returned primaries, closing the
//      window; from then on the returned region stores nothing (counted: storedAfterFence);
//   1. the recovered region's stack runs with activeRegion still on the survivor, so its
//      primaries become mirrors and the orphans (acknowledged there after the last replication,
//      and what both regions stored in the window) are copied aside and counted;
//   2. the operator re-publishes the orphans to the active region by message id
//      (npm run orphans -- republish, whose code this calls);
//   3. activeRegion flips back: the recovered region promotes (planned), the other one demotes.
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { inRegion, type Region } from "../../infra/config/regions";
import { drillStackName, mark, type DrillContext } from "../context";
import { republishOrphans as republish } from "../orphans/run";
import type { OrphanFigures, SplitBrainFigures } from "../report/types";
import type { PeerFenceRecord } from "../../streams";
import { failover, lastSequences, measure, orphanStreams, settle, sleep, rto, waitForStreams } from "./common";
import type { Scenario } from "./types";

/**
 * Re-publishes the orphan streams into `active` with the product's command (npm run orphans --
 * republish): original ids, verified by ack and read-back, evidence kept, then removed.
 */
async function republishOrphans(
  ctx: DrillContext,
  recovered: Region,
  active: Region,
  orphanStreams: readonly string[],
): Promise<{ ids: Set<string>; republished: number; alreadyPresent: number }> {
  const activeConnection = await ctx.clients.get("observe", active);
  const evidence = await republish(
    {
      region: recovered,
      domain: recovered,
      jsm: await jetstreamManager(await ctx.clients.get("observe", recovered), { domain: recovered, timeout: 5000 }),
    },
    {
      region: active,
      domain: active,
      jsm: await jetstreamManager(activeConnection, { domain: active, timeout: 5000 }),
      js: jetstream(activeConnection, { timeout: 5000 }),
    },
    {
      orphanStreams,
      dryRun: false,
      publishTimeoutMs: 5000,
      record: (record) => ctx.evidence.write("evidence/orphans-republish.json", record),
    },
  );
  const failures = evidence.streams.flatMap((stream) => stream.failures);
  if (failures.length > 0)
    throw new Error(`re-publishing the orphans kept ${failures.length} of them: ${failures.slice(0, 3).join("; ")}`);
  const messages = evidence.streams.flatMap((stream) => stream.messages);
  return {
    ids: new Set(messages.map((message) => message.id)),
    republished: messages.length,
    alreadyPresent: messages.filter((message) => message.duplicate === true).length,
  };
}

/**
 * Messages the returned region stored after the active stack fenced it (its last sequence before
 * its own stack ran, less the one recorded at the fence), over the load streams; null when a
 * stream was not fenced or did not answer.
 */
export function storedAfterFence(
  streams: readonly string[],
  fences: readonly (PeerFenceRecord | undefined)[],
  lastBeforeDemotion: ReadonlyMap<string, number | undefined>,
): number | null {
  let stored = 0;
  for (const [index, stream] of streams.entries()) {
    const fenced = fences[index]?.fenced === true ? fences[index]?.peerLastSequence : undefined;
    const last = lastBeforeDemotion.get(stream);
    if (fenced === undefined || last === undefined) return null;
    stored += Math.max(0, last - fenced);
  }
  return stored;
}

export const failback: Scenario = async (ctx) => {
  const recovered = ctx.unplanned?.region;
  if (recovered === undefined) throw new Error("the failback scenario needs the unplanned scenario first");
  const active = ctx.stacks.activeRegion;
  const half = (ctx.options.durationS * 1000) / 2;
  const start = ctx.clock();
  ctx.publisher.start();
  mark(ctx, `restart ${recovered} from its stores`);
  const restartedAt = ctx.clock();
  await inRegion(ctx.local.regions, recovered).restart();
  ctx.down.delete(recovered);
  await ctx.local.waitForLink();
  // What an operator waits for before running the stacks: `nats stream info` answers again.
  await waitForStreams(ctx, recovered);
  const answeredAt = ctx.clock();
  mark(ctx, `pulumi up ${drillStackName(active)}: fence the returned primaries of ${recovered}`);
  const fences = await ctx.stacks.runUntilOk(active);
  const fencedAt = ctx.clock();
  const fenceRecords = ctx.streams.map((stream) => ctx.stacks.evidence(active, stream)?.lastPeerFence);
  const baseline = await orphanStreams(ctx, recovered);
  const beforeDemotion = await lastSequences(ctx, recovered);
  mark(ctx, `pulumi up ${drillStackName(recovered)} (activeRegion ${active}): demote, keep orphans`);
  const demotions = await ctx.stacks.runUntilOk(recovered);
  const demotedAt = ctx.clock();
  const records = ctx.streams.map((stream) => ({
    stream,
    record: ctx.stacks.evidence(recovered, stream)?.lastDemotion,
  }));
  // The operator finds the orphan streams on the server (npm run status lists them), whether or
  // not an interrupted run recorded them in lastDemotion.
  const created = [...(await orphanStreams(ctx, recovered))].filter(([name]) => !baseline.has(name));
  const orphanNames = created.map(([name]) => name);
  const found = created.reduce((sum, [, messages]) => sum + messages, 0);
  const recordedCount = records.reduce((sum, { record }) => sum + (record?.orphanCount ?? 0), 0);
  mark(ctx, `${found} orphans found; re-publishing them to ${active}`);
  const { ids, republished, alreadyPresent } = await republishOrphans(ctx, recovered, active, orphanNames);
  const missingFromOrphans = (ctx.unplanned?.missing ?? []).filter((id) => !ids.has(id)).length;
  await sleep(half / 2);
  const outcome = await failover(ctx, recovered);
  await sleep(half);
  const end = ctx.clock();
  await settle(ctx);
  const measured = await measure(ctx, start, end, ctx.unplanned?.missing ?? []);
  const splitBrain = ctx.consumers.reduce(
    (sum, worker) => sum + worker.count("duplicate", restartedAt, outcome.flipAt),
    0,
  );
  const duplicates = (from: number, to: number) =>
    ctx.consumers.reduce((sum, worker) => sum + worker.count("duplicate", from, to), 0);
  const splitBrainFigures: SplitBrainFigures = {
    windowMs: Math.round(fencedAt - restartedAt),
    afterStreamsAnsweredMs: Math.round(fencedAt - answeredAt),
    writes: Math.max(0, found - (ctx.unplanned?.missing.length ?? 0)),
    duplicateDeliveries: duplicates(restartedAt, fencedAt),
    storedAfterFence: storedAfterFence(ctx.streams, fenceRecords, beforeDemotion),
    duplicatesAfterFence: duplicates(fencedAt, demotedAt),
  };
  const orphans: OrphanFigures = { found, republished, alreadyPresent, missingFromOrphans };
  const notes = records.map(({ stream, record }) =>
    record
      ? `${stream}: demoted at ${record.at}, promoted-at sequence ${record.promotedAtSequence}, ${record.orphanCount} orphans${record.orphanCount ? ` in ${record.orphanStream} (sequences ${record.orphanFirstSequence}-${record.orphanLastSequence})` : ""}`
      : `${stream}: no lastDemotion record`,
  );
  if (recordedCount !== found)
    notes.push(
      `lastDemotion records ${recordedCount} orphans, the server holds ${found} in ${orphanNames.join(", ")}: a demotion run was interrupted`,
    );
  ctx.streams.forEach((stream, index) => {
    const record = fenceRecords[index];
    notes.push(
      record?.fenced
        ? `${stream}: the ${active} stack fenced the returned primary in ${recovered} at sequence ${record.peerLastSequence} (consumers paused: ${record.pausedConsumers?.join(", ") || "none"}); it held ${beforeDemotion.get(stream) ?? "?"} when its own stack ran`
        : `${stream}: the ${active} stack did not fence ${recovered} (${record?.reason ?? "no lastPeerFence record"})`,
    );
  });
  notes.push(
    `orphans beyond the ${ctx.unplanned?.missing.length ?? 0} unreplicated messages were stored by both regions while ${recovered} was back before the ${active} stack fenced it (the split-brain window, docs/failover.md); ${alreadyPresent} re-publishes were de-duplicated`,
  );
  notes.push(...outcome.notes);
  if (splitBrain > 0)
    notes.push(
      `${splitBrain} duplicate deliveries between the restart of ${recovered} and the flip: its consumers were active again until the ${active} stack's fence paused them`,
    );
  return {
    title: `failback ${active} -> ${recovered} (orphans re-published)`,
    figures: {
      ...measured.figures,
      from: active,
      to: recovered,
      ...rto(ctx, recovered, outcome.flipAt),
      lostAtFailover: outcome.lostAtFailover,
      promotion: outcome.promotion,
      ...(outcome.demotionOrphans === undefined ? {} : { demotionOrphans: outcome.demotionOrphans }),
      // By the promoted region's consumers: what the failback's position carrying must prevent.
      redeliveredAcked: ctx.consumers.reduce(
        (sum, worker) => sum + worker.count("redelivered-acked", outcome.flipAt, end, recovered),
        0,
      ),
      orphans,
      splitBrain: splitBrainFigures,
      stackRuns: [...fences, ...demotions, ...outcome.runs],
    },
    notes,
    comparisons: measured.comparisons,
  };
};
