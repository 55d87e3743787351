// Unplanned failover: every server of the active region is SIGKILLed under load. The health check
// moves clients to the other region after --health-check ms (Route53 failover), and the operator
// flips activeRegion and runs that region's stack alone: it promotes at once. What the killed
// region acknowledged beyond the promoted streams' last mirrored sequence is the RPO; it stays
// in the killed region's store until the failback finds it.
import { jetstreamManager } from "@nats-io/jetstream";
import { inRegion, peerOf, type Region } from "../../infra/config/regions";
import { checkpointsSchema } from "../../infra/config/checkpoints";
import { durationToNanos } from "../../streams/units";
import { mark } from "../context";
import { failover, measure, settle, sleep, rto } from "./common";
import { floorLag } from "./floorLag";
import type { Scenario } from "./types";

export const unplanned: Scenario = async (ctx) => {
  const from = ctx.stacks.activeRegion;
  const to = peerOf(ctx.local.pair, from);
  const half = (ctx.options.durationS * 1000) / 2;
  const start = ctx.clock();
  ctx.publisher.start();
  await sleep(half);
  // Each consumer's floor as the dying region's server has it, to compare with the checkpoint used.
  const serverAtKill = await consumerFloors(ctx, from);
  mark(ctx, `SIGKILL all ${inRegion(ctx.local.regions, from).servers.length} servers of ${from}`);
  const killAt = ctx.clock();
  const killWallMs = Date.now();
  await inRegion(ctx.local.regions, from).kill();
  ctx.down.add(from);
  await sleep(ctx.options.healthCheckMs);
  ctx.router.moveTo(to, `health check of ${from} failed`);
  mark(ctx, `health check failed: clients -> ${to}`);
  const outcome = await failover(ctx, to);
  await sleep(half);
  const end = ctx.clock();
  await settle(ctx);
  const measured = await measure(ctx, start, end);

  // The RPO boundary the provider recorded, per stream, and what the killed region acknowledged past it.
  const notes: string[] = [];
  let unreplicated = 0;
  for (const stream of ctx.streams) {
    const record = ctx.stacks.evidence(to, stream)?.lastPromotion;
    if (record === undefined) {
      notes.push(`${stream}: no lastPromotion record in the ${to} stack`);
      continue;
    }
    const beyond = [...ctx.publisher.acks.values()].filter(
      (ack) => ack.domain === from && ack.stream === stream && ack.seq > record.lastMirroredSequence,
    ).length;
    unreplicated += beyond;
    notes.push(
      `${stream}: promoted ${record.mode} (${record.reason}); last mirrored sequence ${record.lastMirroredSequence} at ${record.lastMirroredAt || "-"}; ${beyond} acknowledged by ${from} after it`,
    );
  }
  ctx.unplanned = { region: from, missing: outcome.missing };
  // The redelivery target: what the consumers acknowledged in the checkpoint interval before the
  // kill, plus one more interval for the checkpoint on its way (in flight) when the region died.
  const intervalMs = durationToNanos(checkpointsSchema().parse(undefined).interval) / 1e6;
  const redeliveryAllowance = ctx.consumers.reduce(
    (sum, worker) => sum + worker.ackedBetween(killAt - 2 * intervalMs, killAt),
    0,
  );
  const floors = ctx.consumers.map((worker) => {
    const positioned = ctx.stacks.evidence(to, worker.load.stream)?.lastPromotion?.consumersPositioned[
      worker.load.name
    ];
    return floorLag({
      consumer: worker.load.name,
      stream: worker.load.stream,
      deliveries: [...worker.acks.values()].filter((record) => record.region === from),
      killAt,
      killWallMs,
      ...(serverAtKill.has(worker.load.name) ? { server: serverAtKill.get(worker.load.name)! } : {}),
      ...(positioned && "checkpointFloor" in positioned ? { positioned } : {}),
      allowance: worker.ackedBetween(killAt - 2 * intervalMs, killAt),
      intervalMs,
    });
  });
  ctx.evidence.write("evidence/unplanned-checkpoint-floors.json", floors);
  for (const lag of floors.filter((candidate) => candidate.lagged))
    notes.push(
      `${lag.consumer} (${lag.stream}) started at ${lag.startSequence}: ${lag.confirmedAboveCheckpoint} acknowledgements confirmed above its checkpoint floor ${lag.checkpointFloor} before the kill, ${lag.deliveredAgain} of them not acknowledged again, against ${lag.allowance} in the window; ${lag.why} (evidence/unplanned-checkpoint-floors.json)`,
    );
  const outageMs = rto(ctx, to, killAt).rtoMs;
  notes.push(
    `writes resumed ${outageMs === null ? "never" : `${outageMs} ms`} after the kill (health check ${ctx.options.healthCheckMs} ms, then the ${to} stack)`,
  );
  notes.push(
    `after the unplanned promotion consumers continue right after the killed region's last checkpoint held in ${to}: ${measured.figures.redeliveredAcked} acknowledged messages delivered again, ${redeliveryAllowance} acknowledged in the last ${2 * intervalMs} ms before the kill (docs/failover.md)`,
  );
  return {
    title: `unplanned failover: ${from} killed, ${to} promoted`,
    figures: {
      ...measured.figures,
      from,
      to,
      ...rto(ctx, to, outcome.flipAt),
      lostAtFailover: outcome.lostAtFailover,
      unreplicatedAtKill: unreplicated,
      redeliveryAllowance,
      stackRuns: outcome.runs,
      promotion: outcome.promotion,
    },
    notes,
    comparisons: measured.comparisons,
  };
};

/** Each consumer's ack floor in `region` now, by consumer name (those that answer within 1 s). */
async function consumerFloors(
  ctx: Parameters<Scenario>[0],
  region: Region,
): Promise<Map<string, { ackFloor: number; ackPending: number; redelivered: number }>> {
  const jsm = await jetstreamManager(await ctx.clients.get("observe", region), {
    domain: region,
    timeout: 1000,
    checkAPI: false,
  });
  const entries = await Promise.all(
    ctx.consumers.map((worker) =>
      jsm.consumers.info(worker.load.stream, worker.load.name).then(
        (info) =>
          [
            worker.load.name,
            {
              ackFloor: info.ack_floor.stream_seq,
              ackPending: info.num_ack_pending,
              redelivered: info.num_redelivered,
            },
          ] as const,
        () => undefined,
      ),
    ),
  );
  return new Map(entries.filter((entry) => entry !== undefined));
}
