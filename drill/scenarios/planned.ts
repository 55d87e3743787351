// Planned failover: load runs in the active region, activeRegion flips to the other region, its
// stack promotes (fence, marker, catch-up, consumer positions), clients follow, and the old
// region's stack replaces its primaries with mirrors. Also the steady scenario: load, no event.
import { peerOf } from "../../infra/config/regions";
import { failover, measure, settle, sleep, rto } from "./common";
import { publishHeld, restartAndCount } from "./interest";
import type { Scenario } from "./types";

export const planned: Scenario = async (ctx) => {
  const from = ctx.stacks.activeRegion;
  const to = peerOf(ctx.local.pair, from);
  const half = (ctx.options.durationS * 1000) / 2;
  const held = await publishHeld(ctx);
  const start = ctx.clock();
  ctx.publisher.start();
  await sleep(half);
  const outcome = await failover(ctx, to);
  await sleep(half);
  const end = ctx.clock();
  await settle(ctx);
  const measured = await measure(ctx, start, end);
  // After the figures of the failover itself: the restarts would otherwise show in its write gaps.
  const interestHeld = await restartAndCount(ctx, held);
  return {
    title: `planned failover ${from} -> ${to}`,
    figures: {
      ...measured.figures,
      from,
      to,
      ...rto(ctx, to, outcome.flipAt),
      lostAtFailover: outcome.lostAtFailover,
      stackRuns: outcome.runs,
      promotion: outcome.promotion,
      ...(outcome.demotionOrphans === undefined ? {} : { demotionOrphans: outcome.demotionOrphans }),
      interestHeld,
    },
    notes: [
      ...outcome.notes,
      `${interestHeld.stream} (interest retention, consumer never read) held ${interestHeld.held}; after restarting ${interestHeld.afterRestart
        .map(
          (entry) =>
            `${entry.restarted}: ${Object.entries(entry.counts)
              .map(([region, count]) => `${region} ${count ?? "no answer"}`)
              .join(", ")}`,
        )
        .join("; ")}`,
    ],
    comparisons: measured.comparisons,
  };
};

export const steady: Scenario = async (ctx) => {
  const region = ctx.stacks.activeRegion;
  const start = ctx.clock();
  ctx.publisher.start();
  await sleep(ctx.options.durationS * 1000);
  const end = ctx.clock();
  await settle(ctx);
  const measured = await measure(ctx, start, end);
  return {
    title: `steady load in ${region}`,
    figures: { ...measured.figures, from: region, to: region, rtoMs: null, lostAtFailover: null, stackRuns: [] },
    notes: [],
    comparisons: measured.comparisons,
  };
};
