import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parsed, problemsOf, rawConfig, requiredAwsConfig } from "./support";

const withCatalog = (catalog: unknown) => rawConfig("us-east-1", { catalog });

describe("stack config problems", () => {
  it("a bad duration names the key path and the accepted units", () => {
    expect(problemsOf(withCatalog({ streams: { events: { maxAge: "7x" } } }))).toEqual([
      expect.stringMatching(
        /^nats-dr:catalog\.streams\.events\.maxAge: "7x" is not a duration; write a number with a unit such as "30s"/,
      ),
    ]);
  });

  it("a bad size names the key path and the accepted units", () => {
    expect(problemsOf(withCatalog({ streams: { audit: { maxBytes: "10 gigs" } } }))).toEqual([
      expect.stringMatching(
        /^nats-dr:catalog\.streams\.audit\.maxBytes: "10 gigs" is not a size; write a number with a unit such as "512Mi"/,
      ),
    ]);
  });

  it("overlapping subjects name both streams and both subjects", () => {
    const problems = problemsOf(withCatalog({ streams: { orders: { subjects: ["events.>"] } } }));
    expect(problems).toEqual([
      'nats-dr:catalog.streams.orders.subjects: subject "events.>" of stream "orders" overlaps subject "events.*" of stream ' +
        '"events" (nats-dr:catalog.streams.events.subjects); a message subject can belong to one stream only, so narrow or remove one of them',
    ]);
  });

  it("subjects of the EU-only streams count for overlaps too", () => {
    const problems = problemsOf(withCatalog({ streams: { privacy: { subjects: ["gdpr.>"] } } }));
    expect(problems.join("\n")).toMatch(
      /"gdpr\.>" of stream "privacy" overlaps subject "gdpr\.\*" of stream "events-eu-gdpr"/,
    );
    expect(problems.join("\n")).toMatch(
      /"gdpr\.>" of stream "privacy" overlaps subject "gdpr\.access-log\.\*" of stream "audit-eu-gdpr"/,
    );
  });

  it("overlapping subjects inside one stream", () => {
    expect(problemsOf(withCatalog({ streams: { metrics: { subjects: ["metrics.*", "metrics.>"] } } }))).toEqual([
      'nats-dr:catalog.streams.metrics.subjects: "metrics.*" and "metrics.>" overlap within stream "metrics"; keep only the wider one',
    ]);
  });

  it("an activeRegion outside our regions lists the two valid values", () => {
    expect(problemsOf(rawConfig("us-east-1", { activeRegion: "us-west-2" }))).toEqual([
      'nats-dr:activeRegion: "us-west-2" is not one of the project regions (nats-dr:regionPair in Pulumi.yaml: us-east-1, eu-central-1); set it to "us-east-1" or "eu-central-1"',
    ]);
  });

  it("a missing activeRegion points at the Pulumi.yaml default", () => {
    expect(problemsOf(rawConfig("us-east-1", { activeRegion: undefined }))).toEqual([
      expect.stringMatching(
        /^nats-dr:activeRegion: is not set; Pulumi\.yaml gives it the project default \(config: nats-dr:activeRegion: default: us-east-1\)/,
      ),
    ]);
  });

  it("a missing or unknown region", () => {
    expect(problemsOf({ activeRegion: "us-east-1", ...requiredAwsConfig })).toEqual([
      expect.stringMatching(/^nats-dr:region: is not set; the stack settings file sets it/),
    ]);
    expect(problemsOf(rawConfig("us-east-1", { region: "eu-west-1" }))).toEqual([
      'nats-dr:region: "eu-west-1" is not one of the project regions (nats-dr:regionPair in Pulumi.yaml: us-east-1, eu-central-1); set it to "us-east-1" or "eu-central-1"',
    ]);
  });

  it("the stack's region needs servers", () => {
    expect(problemsOf(rawConfig("eu-central-1", { regions: { "us-east-1": { servers: ["nats://x:4222"] } } }))).toEqual(
      [
        expect.stringMatching(
          /^nats-dr:regions\.eu-central-1\.servers: is not set; list the NATS client URLs of eu-central-1/,
        ),
      ],
    );
    expect(problemsOf(rawConfig("us-east-1", { regions: { "us-east-1": { servers: ["http://x"] } } }))).toEqual([
      'nats-dr:regions.us-east-1.servers.0: "http://x" is not a NATS server URL; write it as nats://host:4222',
    ]);
  });

  it("both regions on one JetStream domain", () => {
    const regions = { "us-east-1": { servers: ["nats://x:4222"], domain: "eu-central-1" } };
    expect(problemsOf(rawConfig("us-east-1", { regions }))).toEqual([
      'nats-dr:regions.us-east-1.domain: "eu-central-1" is also the domain of eu-central-1; each region is its own JetStream domain, so give them different names',
    ]);
  });

  it("an invalid stream name asks to rename the key", () => {
    expect(problemsOf(withCatalog({ streams: { "orders.v2": { subjects: ["orders.*"] } } }))).toEqual([
      expect.stringMatching(
        /^nats-dr:catalog\.streams\["orders\.v2"\]: "orders\.v2" is not a valid stream name; .*rename the catalog key$/,
      ),
    ]);
  });

  it("a consumer on an unknown stream lists the streams", () => {
    expect(problemsOf(withCatalog({ consumers: { billing: { stream: "orders" } } }))).toEqual([
      'nats-dr:catalog.consumers.billing.stream: stream "orders" is not in the catalog; use one of "audit", "audit-eu-gdpr", "events", "events-eu-gdpr", "metrics", "notifications"',
    ]);
  });

  it("a consumer filter outside its stream's subjects", () => {
    expect(problemsOf(withCatalog({ consumers: { "reporting-consumer": { filterSubjects: ["events.*"] } } }))).toEqual([
      'nats-dr:catalog.consumers.reporting-consumer.filterSubjects: "events.*" is not within the subjects of stream "audit" ' +
        '(audit.*, compliance.*, access-log.*); use a filter one of them covers, e.g. "audit.*"',
    ]);
    // "audit.>" overlaps "audit.*" but also matches audit.a.b, which the stream never holds.
    expect(
      problemsOf(withCatalog({ consumers: { "reporting-consumer": { filterSubjects: ["audit.>"] } } })),
    ).toHaveLength(1);
  });

  it("a homeRegion that is not one of the pair", () => {
    expect(
      problemsOf(withCatalog({ streams: { "events-eu-gdpr": { replication: { homeRegion: "eu-west-1" } } } })),
    ).toEqual([
      'nats-dr:catalog.streams.events-eu-gdpr.replication.homeRegion: homeRegion "eu-west-1" is not one of the project regions (nats-dr:regionPair in Pulumi.yaml: us-east-1, eu-central-1); set it to "us-east-1" or "eu-central-1"',
    ]);
    expect(problemsOf(withCatalog({ streams: { "events-eu-gdpr": { replication: "none" } } }))).toEqual([
      expect.stringMatching(
        /^nats-dr:catalog\.streams\.events-eu-gdpr\.replication: "none" is not a replication mode; write "cross-region"/,
      ),
    ]);
  });

  it("unknown fields and keys suggest the right spelling", () => {
    expect(problemsOf(withCatalog({ streams: { events: { max_age: "7d" } } }))).toEqual([
      expect.stringMatching(/^nats-dr:catalog\.streams\.events: unknown field "max_age"; check the spelling .*maxAge/),
    ]);
    expect(problemsOf(rawConfig("us-east-1", { unknownKeys: ["activeregion"] }))).toEqual([
      expect.stringMatching(
        /^nats-dr:activeregion: is not a setting of nats-dr; did you mean "nats-dr:activeRegion"\?/,
      ),
    ]);
  });

  it("credentials given in two ways, or half of user/password", () => {
    const both = { natsToken: pulumi.secret("t"), natsCreds: pulumi.secret("c") };
    expect(problemsOf(rawConfig("us-east-1", both))).toEqual([
      "nats-dr:natsCreds: set only one way to authenticate, found natsToken and natsCreds; remove all but one with pulumi config rm",
    ]);
    expect(problemsOf(rawConfig("us-east-1", { natsUser: pulumi.secret("u") }))).toEqual([
      "nats-dr:natsPassword: is not set but nats-dr:natsUser is; run pulumi config set --secret nats-dr:natsPassword <password>",
    ]);
  });

  it("allowRecreateOverMirror names replicated catalog streams", () => {
    expect(
      problemsOf(rawConfig("us-east-1", { allowRecreateOverMirror: ["events", "evnets", "audit-eu-gdpr"] })),
    ).toEqual([
      'nats-dr:allowRecreateOverMirror.1: "evnets" is not a replicated stream of the catalog (audit, events, metrics, notifications); name the stream to create anew, or remove the entry',
      'nats-dr:allowRecreateOverMirror.2: "audit-eu-gdpr" is not a replicated stream of the catalog (audit, events, metrics, notifications); name the stream to create anew, or remove the entry',
    ]);
    expect(problemsOf(rawConfig("us-east-1", { allowRecreateOverMirror: "events" }))).toEqual([
      'nats-dr:allowRecreateOverMirror: must be a list of stream names, e.g. ["orders"]',
    ]);
  });

  it("adoptStreams names catalog streams of the stack's region", () => {
    expect(problemsOf(rawConfig("us-east-1", { adoptStreams: ["events", "evnets", "audit-eu-gdpr"] }))).toEqual([
      'nats-dr:adoptStreams.1: "evnets" is not a catalog stream of us-east-1 (audit, events, metrics, notifications); name a stream of nats-dr:catalog.streams that lives here, or remove the entry',
      'nats-dr:adoptStreams.2: "audit-eu-gdpr" is not a catalog stream of us-east-1 (audit, events, metrics, notifications); name a stream of nats-dr:catalog.streams that lives here, or remove the entry',
    ]);
    expect(parsed(rawConfig("eu-central-1", { adoptStreams: ["audit-eu-gdpr", "events"] })).adoptStreams).toEqual([
      "audit-eu-gdpr",
      "events",
    ]);
    expect(problemsOf(rawConfig("us-east-1", { adoptStreams: "events" }))).toEqual([
      'nats-dr:adoptStreams: must be a list of stream names, e.g. ["orders"]',
    ]);
  });

  it("lists every problem at once, across keys", () => {
    const problems = problemsOf({
      region: "us-east-1",
      activeRegion: "mars-1",
      regions: {},
      allowDeleteWithMessages: "yes",
      catalog: { streams: { events: { maxAge: "soon" } }, consumers: { x: { stream: "nope" } } },
      ...requiredAwsConfig,
    });
    expect(problems.map((line) => line.split(":").slice(0, 2).join(":"))).toEqual([
      "nats-dr:activeRegion",
      "nats-dr:allowDeleteWithMessages",
      "nats-dr:catalog.streams.events.maxAge",
      "nats-dr:catalog.consumers.x.stream",
      "nats-dr:regions.us-east-1.servers",
    ]);
  });
});
