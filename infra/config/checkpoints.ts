// `nats-dr:checkpoints`: how often this region's consumer positions are sent to the other region
// (docs/failover.md, "Consumer checkpoints").
import { z } from "zod";
import { canonicalDuration, parseDuration } from "../../streams";
import { strictObject } from "./fields";

export interface CheckpointsConfig {
  /** Run the checkpointer and keep the peer's checkpoints. @default true */
  readonly enabled: boolean;
  /** Canonical duration between two checkpoints of a consumer. @default "1s" */
  readonly interval: string;
}

/** Shortest and longest interval: below 100 ms the API requests cost more than they save. */
const MIN_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 3_600_000;

export function checkpointsSchema() {
  const shape = {
    enabled: z.boolean({ error: () => "must be true or false" }).default(true),
    interval: z
      .string({ error: () => 'must be a duration such as "1s" or "500ms"' })
      .default("1s")
      .transform((text, context) => {
        const canonical = canonicalDuration(text);
        const parsed = typeof canonical === "string" ? parseDuration(canonical) : undefined;
        const ms = parsed !== undefined && "nanos" in parsed ? parsed.nanos / 1e6 : Number.NaN;
        if (typeof canonical === "string" && ms >= MIN_INTERVAL_MS && ms <= MAX_INTERVAL_MS) return canonical;
        context.addIssue({
          code: "custom",
          message: `"${text}" is not a checkpoint interval; write a duration from 100ms to 1h, e.g. "1s" (the redeliveries after an unplanned failover are about one interval of traffic)`,
        });
        return z.NEVER;
      }),
  };
  return strictObject(shape).prefault({});
}
