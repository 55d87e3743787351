// The checkpoint plans of two test regions, as their stacks would plan them with the first region
// active: each of the given streams replicated, with one durable consumer "worker".
import { planCheckpoints, type CheckpointPlan } from "../../infra/checkpoints";
import type { StreamSpec } from "../../streams/spec";

/**
 * The active region's plan (its checkpointer) and the standby's (its checkpoint stream and the
 * capture of the active region's acknowledgements). Pure.
 */
export function activeAndStandbyPlans(options: {
  readonly streams: readonly string[];
  readonly activeDomain: string;
  readonly standbyDomain: string;
  readonly interval: string;
}): { active: CheckpointPlan; standby: CheckpointPlan } {
  const planned = (domain: string, peerDomain: string, role: "primary" | "mirror") =>
    planCheckpoints({
      domain,
      enabled: true,
      interval: options.interval,
      streams: options.streams.map((name) => ({
        name,
        role,
        peerDomain,
        replicated: true,
        spec: { replicas: 1 } as StreamSpec,
        consumers: [{ name: "worker", spec: {} as never }],
      })),
    })!;
  return {
    active: planned(options.activeDomain, options.standbyDomain, "primary"),
    standby: planned(options.standbyDomain, options.activeDomain, "mirror"),
  };
}
