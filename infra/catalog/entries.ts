// The shape of one catalog entry as users write it (camelCase, human units), and its validation.
//
// A stream entry is a StreamSpec without `name` (the catalog key is the name) plus `replication`.
// A consumer entry is a ConsumerSpec without `name` plus `stream`. Field validation and
// canonicalisation ("168h" -> "7d") come from the schema builders in streams/.
import { z } from "zod";
import { consumerSpecSchema, streamSpecSchema } from "../../streams";
import type { ConsumerSpec, StreamSpec } from "../../streams";
import { strictObject } from "../config/fields";
import { DEFAULT_REGION_PAIR, isRegionOf, notInPair, regionChoices } from "../config/regions";
import type { Region, RegionPair } from "../config/regions";

/** Where a stream lives: in both regions (mirrored to the standby), or only in its home region. */
export type Replication = { readonly kind: "cross-region" } | { readonly kind: "home"; readonly homeRegion: Region };

/** How users write `replication`. @default "cross-region" */
export type ReplicationInput = "cross-region" | { readonly homeRegion: Region };

function replicationSchema(pair: RegionPair) {
  const fix = `write "cross-region" (the default), or { homeRegion: ${regionChoices(pair)} } for a stream that lives in one region only`;
  return z
    .unknown()
    .optional()
    .transform((value, context): Replication => {
      if (value === undefined || value === "cross-region") return { kind: "cross-region" };
      if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        const { homeRegion, ...rest } = value as Record<string, unknown>;
        const extra = Object.keys(rest);
        if (extra.length > 0) {
          context.addIssue({ code: "custom", message: `unknown field "${extra[0]}" in replication; ${fix}` });
          return z.NEVER;
        }
        if (isRegionOf(pair, homeRegion)) return { kind: "home", homeRegion };
        context.addIssue({
          code: "custom",
          path: ["homeRegion"],
          message:
            homeRegion === undefined
              ? `homeRegion is missing; set it to ${regionChoices(pair)}`
              : `homeRegion ${notInPair(pair, homeRegion)}`,
        });
        return z.NEVER;
      }
      context.addIssue({ code: "custom", message: `${JSON.stringify(value)} is not a replication mode; ${fix}` });
      return z.NEVER;
    });
}

/** Validates a stream entry; output is the StreamSpec fields (canonical units) and the replication. */
export function streamEntrySchema(pair: RegionPair = DEFAULT_REGION_PAIR) {
  const { name: _name, ...fields } = streamSpecSchema().shape;
  const shape = { ...fields, replication: replicationSchema(pair) };
  return strictObject(shape);
}

/** A stream entry as written in config or in the default catalog. Every field may be left out. */
export type StreamEntryInput = Partial<Omit<z.input<ReturnType<typeof streamEntrySchema>>, "replication">> & {
  readonly replication?: ReplicationInput;
};

/** A consumer entry as written in config: the stream it reads plus the ConsumerSpec fields. */
export type ConsumerEntryInput = { readonly stream?: string } & Partial<
  Omit<z.input<ReturnType<typeof consumerSpecSchema>>, "name">
>;

/** Field names a consumer entry accepts, for unknown-field messages. */
export function consumerEntryFields(): string[] {
  return ["stream", ...Object.keys(consumerSpecSchema().shape).filter((key) => key !== "name")];
}

export interface CatalogStream {
  readonly spec: StreamSpec;
  readonly replication: Replication;
}

export interface CatalogConsumer {
  /** Name of the catalog stream the consumer reads. */
  readonly stream: string;
  readonly spec: ConsumerSpec;
}

/** The validated catalog: canonical specs, sorted by name. */
export interface Catalog {
  readonly streams: readonly CatalogStream[];
  readonly consumers: readonly CatalogConsumer[];
}

export const CatalogModes = { extend: "extend", replace: "replace" } as const;
export type CatalogMode = (typeof CatalogModes)[keyof typeof CatalogModes];

/** The `nats-dr:catalog` value as written. */
export interface CatalogInput {
  /** "extend" merges `streams`/`consumers` into the default catalog; "replace" uses only them. @default "extend" */
  readonly mode?: CatalogMode;
  /** Stream entries by stream name. */
  readonly streams?: Readonly<Record<string, StreamEntryInput>>;
  /** Durable consumer entries by consumer name. */
  readonly consumers?: Readonly<Record<string, ConsumerEntryInput>>;
}
