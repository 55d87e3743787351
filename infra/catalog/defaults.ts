// The stream catalog our users run today. `nats-dr:catalog` extends or replaces it.
import { DEFAULT_REGION_PAIR } from "../config/regions";
import type { Region, RegionPair } from "../config/regions";
import type { CatalogInput, ConsumerEntryInput, StreamEntryInput } from "./entries";

/** Limits shared by every default stream. */
const durable = {
  storage: "file",
  replicas: 3,
  discard: "old",
  duplicateWindow: "2m",
} as const satisfies StreamEntryInput;

/** Acknowledgement settings shared by every default consumer. */
const acknowledged = { ackPolicy: "explicit", ackWait: "30s", maxDeliver: 5 } as const satisfies ConsumerEntryInput;

/** The home of the default catalog's EU personal-data streams in the default pair. */
const EU_HOME: Region = "eu-central-1";

const euOnly = { replication: { homeRegion: EU_HOME } } as const satisfies StreamEntryInput;

export const defaultStreams: Readonly<Record<string, StreamEntryInput>> = {
  events: {
    ...durable,
    description: "Product events: buddy, kintell, upskilling and journey activity",
    subjects: ["events.*", "buddy.*", "kintell.*", "upskilling.*", "journey.*"],
    maxAge: "7d",
    maxBytes: "10Gi",
  },
  audit: {
    ...durable,
    description: "Audit trail, compliance records and access logs",
    subjects: ["audit.*", "compliance.*", "access-log.*"],
    maxAge: "90d",
    maxBytes: "50Gi",
  },
  metrics: {
    ...durable,
    description: "Metrics, telemetry and health reports",
    subjects: ["metrics.*", "telemetry.*", "health.*"],
    maxAge: "30d",
    maxBytes: "20Gi",
  },
  notifications: {
    ...durable,
    description: "Outgoing notifications: email, SMS and push",
    subjects: ["notifications.*", "email.*", "sms.*", "push.*"],
    maxAge: "14d",
    maxBytes: "5Gi",
  },
  "events-eu-gdpr": {
    ...durable,
    ...euOnly,
    description: "EU personal-data events; GDPR keeps them in eu-central-1, never replicated",
    subjects: ["eu.events.*", "eu.pii.*", "gdpr.*"],
    maxAge: "7d",
    maxBytes: "10Gi",
  },
  "audit-eu-gdpr": {
    ...durable,
    ...euOnly,
    description: "EU audit and GDPR access logs; kept in eu-central-1, never replicated",
    subjects: ["eu.audit.*", "eu.compliance.*", "gdpr.access-log.*"],
    maxAge: "90d",
    maxBytes: "20Gi",
  },
};

export const defaultConsumers: Readonly<Record<string, ConsumerEntryInput>> = {
  "analytics-consumer": {
    ...acknowledged,
    stream: "events",
    deliver: "pull",
    description: "Analytics pipeline: analytics events and learner journeys",
    filterSubjects: ["events.analytics", "journey.*"],
  },
  "reporting-consumer": {
    ...acknowledged,
    stream: "audit",
    deliver: "pull",
    description: "Compliance reporting",
    filterSubjects: ["compliance.*"],
  },
  "audit-consumer": {
    ...acknowledged,
    stream: "audit",
    deliver: "push",
    deliverSubject: "deliver.audit-consumer",
    deliverGroup: "audit-workers",
    description: "Audit workers (queue group audit-workers)",
  },
  "gdpr-audit-consumer": {
    ...acknowledged,
    stream: "audit-eu-gdpr",
    deliver: "pull",
    description: "GDPR audit processing in eu-central-1",
  },
};

/** The default catalog of the default pair, as if written in `nats-dr:catalog`. */
export const defaultCatalog: CatalogInput = { streams: defaultStreams, consumers: defaultConsumers };

/**
 * The default catalog for a project's pair: the EU-only streams live in eu-central-1 when the pair
 * has it, else in the pair's other EU region (the first "eu-" name). A pair without an EU region
 * keeps eu-central-1, which the catalog check then refuses by stream and key, so the user decides
 * where personal data lives (a homeRegion of the pair, or catalog mode "replace") instead of
 * nats-dr moving it outside the EU on its own.
 */
export function defaultCatalogFor(pair: RegionPair): CatalogInput {
  if (pair.includes(EU_HOME)) return defaultCatalog;
  const euRegion = pair.find((region) => region.startsWith("eu-"));
  if (euRegion === undefined || pair === DEFAULT_REGION_PAIR) return defaultCatalog;
  const streams = Object.fromEntries(
    Object.entries(defaultStreams).map(([name, entry]) => [
      name,
      typeof entry.replication === "object" && entry.replication.homeRegion === EU_HOME
        ? {
            ...entry,
            replication: { homeRegion: euRegion },
            ...(entry.description === undefined ? {} : { description: entry.description.replace(EU_HOME, euRegion) }),
          }
        : entry,
    ]),
  );
  const consumers = Object.fromEntries(
    Object.entries(defaultConsumers).map(([name, entry]) => [
      name,
      entry.description === undefined ? entry : { ...entry, description: entry.description.replace(EU_HOME, euRegion) },
    ]),
  );
  return { streams, consumers };
}
