// The explicit AWS provider of a region's stack. Every AWS resource gets it; nothing uses the
// ambient default provider (whose region would come from `aws:region` or the environment).
import type * as aws from "@pulumi/aws";
import type { Region } from "../config/regions";

/** Provider inputs for the stack's region; tags every resource with project, stack and region. */
export function awsProviderArgs(input: { project: string; stack: string; region: Region }): aws.ProviderArgs {
  return {
    region: input.region,
    defaultTags: {
      tags: { "nats-dr:project": input.project, "nats-dr:stack": input.stack, "nats-dr:region": input.region },
    },
  };
}
