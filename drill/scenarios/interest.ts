// The interest-retention check (issue 13): the drill's interest stream holds messages for a
// durable consumer nobody reads, so it must keep every one of them through failovers and
// restarts. Before a failover the check publishes a batch into it; after the failover it restarts
// each region from its store (the new primary's first), one after the other, and counts the
// stream's messages in both regions after each restart.
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type Region, inRegion, peerOf } from "../../infra/config/regions";
import { mark, type DrillContext } from "../context";
import type { InterestHeldFigures } from "../report/types";
import { interestCheck } from "../stacks";
import { sleep } from "./common";

/** Messages the check adds per failover: enough to see a partial loss, few enough to be quick. */
export const HELD_PER_CHECK = 200;

/** Publishes HELD_PER_CHECK messages into the interest stream of the active region; resolves to the stream's total. */
export async function publishHeld(ctx: DrillContext): Promise<number> {
  const region = ctx.stacks.activeRegion;
  const nc = await ctx.clients.get("observe", region);
  const js = jetstream(nc, { domain: region, timeout: 5000 });
  const tag = `${region}-${ctx.clock()}`;
  for (let index = 0; index < HELD_PER_CHECK; index++) {
    await js.publish(interestCheck.subject, new TextEncoder().encode(`held ${index}`), {
      msgID: `drill-interest-${tag}-${index}`,
    });
  }
  mark(ctx, `published ${HELD_PER_CHECK} messages into ${interestCheck.stream} (interest retention, never consumed)`);
  return messagesIn(ctx, region);
}

async function messagesIn(ctx: DrillContext, region: Region): Promise<number> {
  const jsm = await jetstreamManager(await ctx.clients.get("observe", region), {
    domain: region,
    timeout: 2000,
    checkAPI: false,
  });
  return (await jsm.streams.info(interestCheck.stream)).state.messages;
}

/** The stream's messages in `region`, once its stream answers again after a restart (null: it never did). */
async function countAfterRestart(ctx: DrillContext, region: Region, timeoutMs = 30_000): Promise<number | null> {
  const started = ctx.clock();
  while (ctx.clock() - started < timeoutMs) {
    const count = await messagesIn(ctx, region).catch(() => undefined);
    if (count !== undefined) return count;
    await sleep(250);
  }
  return null;
}

/** Waits (bounded) until the mirror holds what the primary holds, so a restart does not race a resync. */
async function mirrorHolds(ctx: DrillContext, mirror: Region, held: number, timeoutMs = 30_000): Promise<void> {
  const started = ctx.clock();
  while (ctx.clock() - started < timeoutMs) {
    if ((await messagesIn(ctx, mirror).catch(() => -1)) >= held) return;
    await sleep(250);
  }
}

/**
 * After a failover: restarts the new primary's region, then the new mirror's, each gracefully and
 * all its servers at once (as a node reboot or rolling upgrade gone wrong would), and counts the
 * interest stream in both regions after each. `held` is what the stream held before.
 */
export async function restartAndCount(ctx: DrillContext, held: number): Promise<InterestHeldFigures> {
  const primary = ctx.stacks.activeRegion;
  const mirror = peerOf(ctx.local.pair, primary);
  await mirrorHolds(ctx, mirror, held);
  const afterRestart: InterestHeldFigures["afterRestart"][number][] = [];
  for (const restarted of [primary, mirror]) {
    const region = inRegion(ctx.local.regions, restarted);
    mark(ctx, `restart all ${region.servers.length} servers of ${restarted} (interest check)`);
    await Promise.all(region.servers.map((server) => server.stop()));
    await region.restart();
    await ctx.local.waitForLink();
    const counts = { [primary]: await countAfterRestart(ctx, primary), [mirror]: await countAfterRestart(ctx, mirror) };
    afterRestart.push({ restarted, counts });
    mark(
      ctx,
      `${interestCheck.stream} after the restart of ${restarted}: ${primary} ${counts[primary]}, ${mirror} ${counts[mirror]}`,
    );
  }
  const lost = Math.max(
    ...afterRestart.flatMap((entry) => Object.values(entry.counts).map((count) => held - (count ?? 0))),
  );
  return { stream: interestCheck.stream, held, afterRestart, lost: Math.max(0, lost) };
}
