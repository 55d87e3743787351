import { describe, expect, it } from "vitest";
import { defaultCatalog, deepMerge, resolveCatalog, subjectCovers } from "../../infra/catalog";
import type { Catalog } from "../../infra/catalog";
import { canonicalDuration, canonicalSize } from "../../streams";
import { parsed, rawConfig } from "./support";

function catalogOf(catalog?: unknown): Catalog {
  return parsed(rawConfig("us-east-1", catalog === undefined ? {} : { catalog })).catalog;
}

const streamNamed = (catalog: Catalog, name: string) => catalog.streams.find((stream) => stream.spec.name === name)!;
const consumerNamed = (catalog: Catalog, name: string) =>
  catalog.consumers.find((consumer) => consumer.spec.name === name)!;

describe("catalog", () => {
  it("default streams carry canonical limits, file storage, 3 replicas, discard old", () => {
    const catalog = catalogOf();
    const limits = Object.fromEntries(catalog.streams.map(({ spec }) => [spec.name, [spec.maxAge, spec.maxBytes]]));
    expect(limits).toEqual({
      events: [canonicalDuration("7d"), "10Gi"],
      audit: ["90d", "50Gi"],
      metrics: ["30d", "20Gi"],
      notifications: [canonicalDuration("14d"), "5Gi"],
      "events-eu-gdpr": [canonicalDuration("7d"), "10Gi"],
      "audit-eu-gdpr": ["90d", "20Gi"],
    });
    expect(canonicalDuration("168h")).toBe("7d");
    for (const { spec } of catalog.streams) {
      expect(spec).toMatchObject({
        storage: "file",
        replicas: 3,
        discard: "old",
        duplicateWindow: "2m",
        retention: "limits",
      });
    }
    expect(streamNamed(catalog, "events").spec.subjects).toEqual([
      "events.*",
      "buddy.*",
      "kintell.*",
      "upskilling.*",
      "journey.*",
    ]);
  });

  it("the GDPR streams live only in eu-central-1, the others replicate", () => {
    const replication = Object.fromEntries(
      catalogOf().streams.map(({ spec, replication }) => [spec.name, replication]),
    );
    expect(replication).toEqual({
      audit: { kind: "cross-region" },
      "audit-eu-gdpr": { kind: "home", homeRegion: "eu-central-1" },
      events: { kind: "cross-region" },
      "events-eu-gdpr": { kind: "home", homeRegion: "eu-central-1" },
      metrics: { kind: "cross-region" },
      notifications: { kind: "cross-region" },
    });
  });

  it("default consumers ack explicitly, wait 30s, deliver at most 5 times", () => {
    const catalog = catalogOf();
    expect(catalog.consumers.map((consumer) => [consumer.spec.name, consumer.stream])).toEqual([
      ["analytics-consumer", "events"],
      ["audit-consumer", "audit"],
      ["gdpr-audit-consumer", "audit-eu-gdpr"],
      ["reporting-consumer", "audit"],
    ]);
    for (const { spec } of catalog.consumers)
      expect(spec).toMatchObject({ ackPolicy: "explicit", ackWait: "30s", maxDeliver: 5 });
    expect(consumerNamed(catalog, "analytics-consumer").spec).toMatchObject({
      deliver: "pull",
      filterSubjects: ["events.analytics", "journey.*"],
    });
    expect(consumerNamed(catalog, "reporting-consumer").spec).toMatchObject({
      deliver: "pull",
      filterSubjects: ["compliance.*"],
    });
    expect(consumerNamed(catalog, "audit-consumer").spec).toMatchObject({
      deliver: "push",
      deliverSubject: "deliver.audit-consumer",
      deliverGroup: "audit-workers",
    });
  });

  it("extend overrides only the fields given and adds new streams", () => {
    const catalog = catalogOf({
      streams: { events: { maxAge: "168h", replicas: 5 }, orders: { subjects: ["orders.*"], maxBytes: "1Gi" } },
      consumers: { "audit-consumer": { ackWait: "1m" } },
    });
    expect(streamNamed(catalog, "events").spec).toMatchObject({
      maxAge: "7d",
      replicas: 5,
      maxBytes: "10Gi",
      storage: "file",
    });
    expect(streamNamed(catalog, "events").spec.subjects).toHaveLength(5);
    expect(streamNamed(catalog, "orders")).toEqual({
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types its asymmetric matchers as any
      spec: expect.objectContaining({
        name: "orders",
        subjects: ["orders.*"],
        maxBytes: "1Gi",
        maxAge: "0",
        replicas: 3,
      }),
      replication: { kind: "cross-region" },
    });
    expect(catalog.streams).toHaveLength(7);
    expect(consumerNamed(catalog, "audit-consumer").spec).toMatchObject({
      ackWait: "1m",
      deliverSubject: "deliver.audit-consumer",
    });
  });

  it("extend replaces lists instead of appending to them", () => {
    const catalog = catalogOf({ streams: { metrics: { subjects: ["metrics.>"] } } });
    expect(streamNamed(catalog, "metrics").spec.subjects).toEqual(["metrics.>"]);
  });

  it("replace keeps only the streams and consumers given", () => {
    const catalog = catalogOf({
      mode: "replace",
      streams: {
        orders: { subjects: ["orders.>"], maxAge: "3d" },
        "orders-eu": { subjects: ["eu.orders.>"], replication: { homeRegion: "eu-central-1" } },
      },
      consumers: { shipping: { stream: "orders", filterSubjects: ["orders.shipped"] } },
    });
    expect(catalog.streams.map(({ spec }) => spec.name)).toEqual(["orders", "orders-eu"]);
    expect(catalog.consumers.map(({ spec }) => spec.name)).toEqual(["shipping"]);
    expect(streamNamed(catalog, "orders").spec.maxAge).toBe("3d");
  });

  it("replace with a consumer of a dropped default stream is a problem", () => {
    const result = resolveCatalog({
      mode: "replace",
      streams: { orders: { subjects: ["orders.>"] } },
      consumers: { a: { stream: "events" } },
    });
    expect(result).toEqual({
      issues: [
        { path: ["consumers", "a", "stream"], message: 'stream "events" is not in the catalog; use one of "orders"' },
      ],
    });
  });

  it("resolving the defaults alone is deterministic", () => {
    expect(resolveCatalog(undefined)).toEqual(resolveCatalog({ mode: "replace", ...defaultCatalog }));
    expect(JSON.stringify(resolveCatalog(undefined))).toBe(JSON.stringify(resolveCatalog(undefined)));
  });

  it("sizes canonicalise so equal intent is equal input", () => {
    expect(streamNamed(catalogOf({ streams: { audit: { maxBytes: 53687091200 } } }), "audit").spec.maxBytes).toBe(
      canonicalSize("50Gi"),
    );
  });
});

describe("catalog helpers", () => {
  it("subjects - a pattern covers only filters it fully contains", () => {
    expect(subjectCovers("events.*", "events.analytics")).toBe(true);
    expect(subjectCovers("events.*", "events.*")).toBe(true);
    expect(subjectCovers("events.>", "events.a.b")).toBe(true);
    expect(subjectCovers("events.>", "events.*.b")).toBe(true);
    expect(subjectCovers("events.*", "events.>")).toBe(false);
    expect(subjectCovers("events.*", "events.a.b")).toBe(false);
    expect(subjectCovers("events.a", "events.*")).toBe(false);
    expect(subjectCovers("events.>", "events")).toBe(false);
    expect(subjectCovers("journey.*", "events.analytics")).toBe(false);
  });

  it("merge - deep-merges objects and replaces arrays and scalars", () => {
    expect(deepMerge({ a: 1, b: { c: 2, d: [1, 2] } }, { b: { d: [3] }, e: "x" })).toEqual({
      a: 1,
      b: { c: 2, d: [3] },
      e: "x",
    });
    expect(deepMerge({ replication: "cross-region" }, { replication: { homeRegion: "eu-central-1" } })).toEqual({
      replication: { homeRegion: "eu-central-1" },
    });
  });
});
