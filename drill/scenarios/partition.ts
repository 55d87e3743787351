// Partition: the leafnode between the regions is cut for a while under load, then healed. The
// active region keeps taking writes; the mirror falls behind and must catch up with no loss.
import { peerOf } from "../../infra/config/regions";
import { mark } from "../context";
import { lastSequences, measure, settle, sleep } from "./common";
import type { Scenario } from "./types";

/** How long the mirror may take to hold what the primary held at the heal. */
const CATCH_UP_BOUND_MS = 60_000;

export const partition: Scenario = async (ctx) => {
  const region = ctx.stacks.activeRegion;
  const mirror = peerOf(ctx.local.pair, region);
  const quarter = (ctx.options.durationS * 1000) / 4;
  const start = ctx.clock();
  ctx.publisher.start();
  await sleep(quarter);
  mark(ctx, `leafnode cut (${ctx.options.cutMode}) for ${ctx.options.partitionS} s`);
  ctx.local.link.cut(ctx.options.cutMode);
  await sleep(ctx.options.partitionS * 1000);
  ctx.local.link.heal();
  const healAt = ctx.clock();
  mark(ctx, "leafnode healed");
  // Caught up = the mirror holds every sequence the primary held at the heal.
  const target = await lastSequences(ctx, region);
  let catchUpMs: number | null = null;
  while (ctx.clock() - healAt < CATCH_UP_BOUND_MS) {
    const now = await lastSequences(ctx, mirror).catch(() => undefined);
    if (now && ctx.streams.every((stream) => (now.get(stream) ?? -1) >= (target.get(stream) ?? 0))) {
      catchUpMs = ctx.clock() - healAt;
      break;
    }
    await sleep(50);
  }
  mark(ctx, catchUpMs === null ? "mirror did NOT catch up" : `mirror caught up in ${catchUpMs} ms`);
  await sleep(quarter);
  const end = ctx.clock();
  await settle(ctx);
  const measured = await measure(ctx, start, end);
  return {
    title: `partition of the leafnode (${ctx.options.partitionS} s, ${ctx.options.cutMode})`,
    figures: {
      ...measured.figures,
      from: region,
      to: region,
      rtoMs: null,
      lostAtFailover: null,
      catchUpMs,
      stackRuns: [],
    },
    notes: [],
    comparisons: measured.comparisons,
  };
};
