// Checks across catalog entries, after each entry validated on its own. Every problem names the
// config key path and says how to fix it.
import { subjectsOverlap } from "../../streams";
import { configPath } from "../config/problems";
import type { Issue } from "../config/problems";
import type { CatalogConsumer, CatalogStream } from "./entries";
import { subjectCovers } from "./subjects";

// Issue paths are relative to the `nats-dr:catalog` value.
const streamPath = (name: string, field?: string) => ["streams", name, ...(field ? [field] : [])];
const consumerPath = (name: string, field: string) => ["consumers", name, field];

/** Stream names that differ only in case collide in the server's on-disk store on some file systems. */
export function caseCollisions(streams: readonly CatalogStream[]): Issue[] {
  const problems: Issue[] = [];
  const seen = new Map<string, string>();
  for (const { spec } of streams) {
    const earlier = seen.get(spec.name.toLowerCase());
    if (earlier !== undefined) {
      problems.push({
        path: streamPath(spec.name),
        message:
          `stream names "${earlier}" and "${spec.name}" differ only in case; ` +
          "JetStream stores streams in directories named after them, so rename one of the two",
      });
    } else {
      seen.set(spec.name.toLowerCase(), spec.name);
    }
  }
  return problems;
}

/**
 * A work queue allows one consumer per subject and deletes what is acknowledged: consumer
 * positions cannot be carried to the other region, so a failover would redo or lose work.
 */
export function replicatedWorkQueues(streams: readonly CatalogStream[]): Issue[] {
  return streams
    .filter(({ spec, replication }) => spec.retention === "workqueue" && replication.kind === "cross-region")
    .map(({ spec }) => ({
      path: streamPath(spec.name, "retention"),
      message: `stream "${spec.name}" is a work queue and cannot be replicated between regions; use retention "limits" or "interest", or set replication: { homeRegion: <region> } so it lives in one region only`,
    }));
}

/**
 * A replicated interest stream keeps, in the other region, the interest of the catalog's durable
 * consumers only: they exist in both regions. Consumers that applications create at runtime do
 * not, so a promoted stream with no catalog consumer has no interest and drops every message.
 * Streams whose own entry failed validation are skipped (consumers may name them).
 */
export function replicatedInterestWithoutConsumers(
  streams: readonly CatalogStream[],
  consumers: readonly CatalogConsumer[],
): Issue[] {
  return streams
    .filter(({ spec, replication }) => spec.retention === "interest" && replication.kind === "cross-region")
    .filter(({ spec }) => !consumers.some((consumer) => consumer.stream === spec.name))
    .map(({ spec }) => ({
      path: streamPath(spec.name, "retention"),
      message: `stream "${spec.name}" has interest retention and is replicated between regions, but no catalog consumer reads it: consumers that applications create at runtime do not exist in the other region, so after a failover the stream would drop every message (issue 13). Declare its durable consumers under consumers (stream: "${spec.name}"), use retention "limits", or set replication: { homeRegion: <region> }`,
    }));
}

/**
 * Subjects captured by two streams (or twice by one stream). All streams share one account,
 * including the EU-only ones, so any overlap makes the server refuse the second stream.
 */
export function subjectOverlaps(streams: readonly CatalogStream[]): Issue[] {
  const problems: Issue[] = [];
  streams.forEach(({ spec: first }, index) => {
    first.subjects.forEach((subject, position) => {
      for (const other of first.subjects.slice(position + 1)) {
        if (subjectsOverlap(subject, other)) {
          problems.push({
            path: streamPath(first.name, "subjects"),
            message: `"${subject}" and "${other}" overlap within stream "${first.name}"; keep only the wider one`,
          });
        }
      }
    });
    for (const { spec: second } of streams.slice(index + 1)) {
      for (const subject of first.subjects) {
        for (const other of second.subjects) {
          if (!subjectsOverlap(subject, other)) continue;
          problems.push({
            path: streamPath(second.name, "subjects"),
            message:
              `subject "${other}" of stream "${second.name}" overlaps subject "${subject}" of stream "${first.name}" ` +
              `(${configPath(["catalog", ...streamPath(first.name, "subjects")])}); a message subject can belong to ` +
              "one stream only, so narrow or remove one of them",
          });
        }
      }
    }
  });
  return problems;
}

/**
 * Consumers must read a catalog stream, filter within its subjects, and push outside all streams.
 * Consumers of `invalidStreams` (entries that failed their own validation) are skipped.
 */
export function consumerProblems(
  streams: readonly CatalogStream[],
  consumers: readonly CatalogConsumer[],
  invalidStreams: readonly string[] = [],
): Issue[] {
  const problems: Issue[] = [];
  const byName = new Map(streams.map((stream) => [stream.spec.name, stream.spec]));
  for (const { stream, spec } of consumers) {
    const target = byName.get(stream);
    if (!target && invalidStreams.includes(stream)) continue; // that stream's own problems are reported
    if (!target) {
      const known = [...byName.keys()].map((name) => `"${name}"`).join(", ");
      problems.push({
        path: consumerPath(spec.name, "stream"),
        message: `stream "${stream}" is not in the catalog; use one of ${known}`,
      });
      continue;
    }
    for (const filter of spec.filterSubjects) {
      if (target.subjects.some((subject) => subjectCovers(subject, filter))) continue;
      problems.push({
        path: consumerPath(spec.name, "filterSubjects"),
        message:
          `"${filter}" is not within the subjects of stream "${stream}" (${target.subjects.join(", ")}); ` +
          `use a filter one of them covers, e.g. "${target.subjects[0]}"`,
      });
    }
    if (spec.deliverSubject === undefined) continue;
    for (const { spec: other } of streams) {
      const captured = other.subjects.find((subject) => subjectsOverlap(subject, spec.deliverSubject!));
      if (captured === undefined) continue;
      problems.push({
        path: consumerPath(spec.name, "deliverSubject"),
        message:
          `"${spec.deliverSubject}" is captured by stream "${other.name}" ("${captured}"), which would store every ` +
          `delivery again; pick a subject no stream captures, e.g. "deliver.${spec.name}"`,
      });
    }
  }
  return problems;
}
