// The failover plan of a stack run: asked of both regions as the program starts (in a preview and
// in `pulumi up`), printed with Pulumi's log, one line per stream whose role changes, and kept as
// the stack output `failoverPlan` next to the evidence of what the provider then did.
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import type { PlannedStream } from "../streams";
import { observe, type Observation, type ObserveRequest } from "./observe";
import { failoverPlan, planLines, type FailoverPlan } from "./plan";

export { failoverPlan, planLines, PlanChanges } from "./plan";
export type { FailoverPlan, PlanChange, PlanEntry } from "./plan";
export { observe } from "./observe";
export type { Observation } from "./observe";

/** Asks the servers and plans; `ask` is replaceable so tests can answer for the servers. */
export async function makeFailoverPlan(
  config: StackConfig,
  planned: readonly PlannedStream[],
  credentials: ObserveRequest["credentials"],
  ask: (request: ObserveRequest) => Promise<Observation> = observe,
): Promise<FailoverPlan> {
  const context = {
    region: config.region,
    peerRegion: config.peerRegion,
    domain: config.self.domain,
    peerDomain: config.peer.domain,
    peerTimeoutMs: config.failover.peerTimeoutMs,
    peerSettleMs: config.failover.peerSettleMs,
  };
  const replicated = planned.filter((stream) => stream.replicated).map((stream) => stream.name);
  const observation = await ask({
    connection: config.connection,
    credentials,
    domain: context.domain,
    peerDomain: context.peerDomain,
    streams: replicated,
    peerTimeoutMs: context.peerTimeoutMs,
  });
  const plan = failoverPlan(planned, observation, context);
  // A run without a flip keeps the same output (no observation time), so a preview shows no change.
  if (plan.streams.length === 0 && plan.unavailable === undefined)
    return { region: plan.region, peerRegion: plan.peerRegion, streams: [] };
  return plan;
}

/**
 * The plan as a stack output, logged as it resolves: unplanned promotions and refusals as
 * warnings, the rest as info. Undefined under Pulumi's mocks (no engine, no servers to ask) and
 * for a stack without replicated streams.
 */
export function declareFailoverPlan(
  config: StackConfig,
  planned: readonly PlannedStream[],
): pulumi.Output<FailoverPlan> | undefined {
  if (pulumi.runtime.getEngine() === undefined) return undefined;
  if (!planned.some((stream) => stream.replicated)) return undefined;
  // The credentials are secret; the plan holds none of them, so its output is not.
  return pulumi.unsecret(
    pulumi.output(config.credentials).apply(async (credentials) => {
      const plan = await makeFailoverPlan(config, planned, credentials);
      const lines = planLines(plan);
      plan.streams.forEach((entry, index) => {
        const line = lines[index]!;
        if (entry.mode === "unplanned" || entry.change === "refuse") void pulumi.log.warn(line);
        else void pulumi.log.info(line);
      });
      if (plan.unavailable !== undefined) void pulumi.log.info(lines[0]!);
      return plan;
    }),
  );
}
