// Builds the validated catalog from `nats-dr:catalog` and the default catalog.
import { consumerSpecSchema, nameProblem } from "../../streams";
import { unknownFieldsMessage } from "../config/problems";
import type { Issue } from "../config/problems";
import {
  caseCollisions,
  consumerProblems,
  replicatedInterestWithoutConsumers,
  replicatedWorkQueues,
  subjectOverlaps,
} from "./checks";
import { DEFAULT_REGION_PAIR } from "../config/regions";
import type { RegionPair } from "../config/regions";
import { defaultCatalogFor } from "./defaults";
import { consumerEntryFields, streamEntrySchema } from "./entries";
import type { Catalog, CatalogConsumer, CatalogInput, CatalogStream } from "./entries";
import { isPlainObject, mergeEntries } from "./merge";

/**
 * Merges `input` into `defaults` ("extend", the default mode) or takes `input` alone ("replace"),
 * then validates every entry and the entries against each other. Pure. Issue paths are relative to
 * the `nats-dr:catalog` value, e.g. ["streams", "events", "maxAge"].
 */
export function resolveCatalog(
  input: CatalogInput | undefined,
  pair: RegionPair = DEFAULT_REGION_PAIR,
  defaults: CatalogInput = defaultCatalogFor(pair),
): { catalog: Catalog } | { issues: Issue[] } {
  const mode = input?.mode ?? "extend";
  const issues: Issue[] = [];
  const streams: CatalogStream[] = [];
  const consumers: CatalogConsumer[] = [];
  const invalidStreams: string[] = [];

  for (const [name, entry] of mergeEntries(mode, defaults.streams ?? {}, input?.streams ?? {})) {
    const stream = resolveStream(name, entry, pair);
    if ("issues" in stream) {
      issues.push(...stream.issues);
      invalidStreams.push(name);
    } else {
      streams.push(stream.value);
    }
  }
  for (const [name, entry] of mergeEntries(mode, defaults.consumers ?? {}, input?.consumers ?? {})) {
    const consumer = resolveConsumer(name, entry);
    if ("issues" in consumer) issues.push(...consumer.issues);
    else consumers.push(consumer.value);
  }
  if (mode === "replace" && streams.length === 0 && issues.length === 0) {
    issues.push({
      path: ["streams"],
      message:
        'mode "replace" with no streams would delete every stream; list the streams to keep, or use mode "extend"',
    });
  }
  issues.push(
    ...caseCollisions(streams),
    ...replicatedWorkQueues(streams),
    ...replicatedInterestWithoutConsumers(streams, consumers),
    ...subjectOverlaps(streams),
    ...consumerProblems(streams, consumers, invalidStreams),
  );
  return issues.length > 0 ? { issues } : { catalog: { streams, consumers } };
}

type Resolved<T> = { value: T } | { issues: Issue[] };

function resolveStream(name: string, entry: unknown, pair: RegionPair): Resolved<CatalogStream> {
  const base = ["streams", name];
  const issues: Issue[] = [];
  const badName = nameProblem(name, "stream");
  if (badName) issues.push({ path: base, message: `${badName}; rename the catalog key` });
  const parsed = streamEntrySchema(pair).safeParse(entry);
  if (!parsed.success)
    issues.push(...parsed.error.issues.map((issue) => ({ ...issue, path: [...base, ...issue.path] })));
  if (issues.length > 0 || !parsed.success) return { issues };
  const { replication, ...fields } = parsed.data;
  return { value: { spec: { name, ...fields }, replication } };
}

function resolveConsumer(name: string, entry: unknown): Resolved<CatalogConsumer> {
  const base = ["consumers", name];
  if (!isPlainObject(entry))
    return { issues: [{ path: base, message: 'a consumer entry is an object such as { stream: "events" }' }] };
  const { stream, ...fields } = entry;
  const issues: Issue[] = [];
  const known = consumerEntryFields();
  const unknown = Object.keys(entry).filter((key) => !known.includes(key));
  if (unknown.length > 0) issues.push({ path: base, message: unknownFieldsMessage(unknown, known) });
  if (typeof stream !== "string" || stream.length === 0) {
    issues.push({
      path: [...base, "stream"],
      message: 'name the catalog stream this consumer reads, e.g. stream: "events"',
    });
  }
  const parsed = consumerSpecSchema().safeParse({ ...fields, name });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      // The name comes from the catalog key, so a bad name is reported on the entry itself.
      const ofName = issue.path[0] === "name";
      issues.push({
        ...issue,
        path: ofName ? base : [...base, ...issue.path],
        message: ofName ? `${issue.message}; rename the catalog key` : issue.message,
      });
    }
  }
  if (issues.length > 0 || !parsed.success || typeof stream !== "string") return { issues };
  return { value: { stream, spec: parsed.data } };
}
