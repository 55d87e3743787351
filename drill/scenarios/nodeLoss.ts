// A node of the active cluster is SIGKILLed as a planned failover starts: the server leading the
// first stream's raft group in the region being failed over from, so the fence, the consumer
// pause and the marker meet a leader election. The survivors' view of those elections is read
// meanwhile (drill/local/elections.ts): the RTO is judged against them. The operator re-runs a
// stack that fails (at most four runs, see DrillStacks.runUntilOk). The node is restarted from
// its store once the failover is done.
import { jetstreamManager } from "@nats-io/jetstream";
import { type Region, inRegion, peerOf } from "../../infra/config/regions";
import { mark } from "../context";
import { type ElectionWatch, watchElections } from "../local/elections";
import { waitForMetaCluster } from "../local/meta";
import { failover, measure, settle, sleep, rto, waitForStreams } from "./common";
import type { Scenario } from "./types";

function reasonOf(ctx: Parameters<Scenario>[0], region: Region, stream: string): string {
  return ctx.stacks.evidence(region, stream)?.lastPromotion?.reason ?? "no record";
}

export const nodeLoss: Scenario = async (ctx) => {
  const from = ctx.stacks.activeRegion;
  const to = peerOf(ctx.local.pair, from);
  const cluster = inRegion(ctx.local.regions, from);
  const half = (ctx.options.durationS * 1000) / 2;
  const start = ctx.clock();
  ctx.publisher.start();
  await sleep(half);
  const jsm = await jetstreamManager(await ctx.clients.get("observe", from), {
    domain: from,
    timeout: 2000,
    checkAPI: false,
  });
  const leader = (await jsm.streams.info(ctx.streams[0]!)).cluster?.leader;
  const victim = cluster.servers.find((server) => server.name === leader) ?? cluster.servers[0]!;
  let elections: ElectionWatch | undefined;
  let killAt = 0;
  const outcome = await failover(ctx, to, async () => {
    mark(ctx, `SIGKILL ${victim.name} (leader of ${ctx.streams[0]})`);
    await victim.kill();
    killAt = ctx.clock();
    const survivors = cluster.servers.filter((server) => server !== victim);
    elections = watchElections(survivors, ctx.streams, ctx.clock, killAt);
  });
  const elected = await elections?.stop();
  mark(ctx, `restart ${victim.name}`);
  await victim.start();
  await waitForMetaCluster(cluster.servers);
  // The next scenario starts from a healthy cluster, as the operator would make sure of.
  await waitForStreams(ctx, from);
  await sleep(half);
  const end = ctx.clock();
  await settle(ctx);
  const measured = await measure(ctx, start, end);
  const failedRuns = outcome.runs.filter((run) => !run.ok);
  return {
    title: `failover ${from} -> ${to} with ${victim.name} killed`,
    figures: {
      ...measured.figures,
      from,
      to,
      ...rto(ctx, to, outcome.flipAt),
      ...(elected === undefined
        ? {}
        : {
            elections: {
              lastAfterFlipMs: Math.round(killAt - outcome.flipAt) + elected.lastMs,
              elected: elected.elected,
              unelected: elected.unelected,
            },
          }),
      lostAtFailover: outcome.lostAtFailover,
      stackRuns: outcome.runs,
      promotion: outcome.promotion,
      ...(outcome.demotionOrphans === undefined ? {} : { demotionOrphans: outcome.demotionOrphans }),
    },
    notes: [
      ...outcome.notes,
      ...Object.entries(outcome.promotion)
        .filter(([, mode]) => mode !== "planned")
        .map(([stream, mode]) => `${stream} was promoted ${mode}: ${reasonOf(ctx, to, stream)}`),
      ...(failedRuns.length === 0
        ? []
        : [
            `${failedRuns.length} stack run(s) failed and were re-run, as an operator would: ${failedRuns.map((run) => run.error).join(" | ")}`,
          ]),
    ],
    comparisons: measured.comparisons,
  };
};
