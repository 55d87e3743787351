// nats-dr:regionPair (issue 12): any two AWS regions, named by the project; every region-valued
// key is checked against the pair before a resource is registered.
import { describe, expect, it } from "vitest";
import { parsed, problemsOf, requiredAwsConfig } from "./support";

const WEST = ["us-west-2", "eu-west-1"] as const;

/** A valid raw config of `region`'s stack in a project of the pair `us-west-2` / `eu-west-1`. */
function westConfig(region: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    regionPair: [...WEST],
    region,
    activeRegion: "us-west-2",
    regions: { [region]: { servers: [`nats://nats.${region}.internal:4222`] } },
    ...requiredAwsConfig,
    ...overrides,
  };
}

describe("a project in us-west-2 and eu-west-1", () => {
  it.each(WEST)("the %s stack names itself, its peer and both domains after the pair", (region) => {
    const config = parsed(westConfig(region));
    const peer = region === "us-west-2" ? "eu-west-1" : "us-west-2";
    expect(config.regionPair).toEqual(WEST);
    expect([config.region, config.peerRegion]).toEqual([region, peer]);
    expect([config.self.domain, config.peer.domain]).toEqual([region, peer]);
    expect(config.connection.servers).toEqual([`nats://nats.${region}.internal:4222`]);
  });

  it("the default catalog keeps its EU-only streams in the pair's EU region, and says so in their descriptions", () => {
    const config = parsed(westConfig("eu-west-1"));
    const gdpr = config.catalog.streams.filter((stream) => stream.spec.name.endsWith("-eu-gdpr"));
    expect(gdpr.map((stream) => [stream.spec.name, stream.replication])).toEqual([
      ["audit-eu-gdpr", { kind: "home", homeRegion: "eu-west-1" }],
      ["events-eu-gdpr", { kind: "home", homeRegion: "eu-west-1" }],
    ]);
    expect(gdpr.map((stream) => stream.spec.description).join(" ")).not.toContain("eu-central-1");
  });

  it("activeRegion, homeRegion and the leafnode's listenRegion accept either region of the pair", () => {
    const config = parsed(
      westConfig("us-west-2", {
        activeRegion: "eu-west-1",
        leafnode: { listenRegion: "eu-west-1", listenerHosts: [] },
        catalog: { streams: { events: { replication: { homeRegion: "us-west-2" } } } },
      }),
    );
    expect(config.activeRegion).toBe("eu-west-1");
    expect(config.catalog.streams.find((stream) => stream.spec.name === "events")?.replication).toEqual({
      kind: "home",
      homeRegion: "us-west-2",
    });
  });

  it("the default pair needs no key: stacks written before it existed parse as before", () => {
    const config = parsed({
      region: "eu-central-1",
      activeRegion: "us-east-1",
      regions: { "eu-central-1": { servers: ["nats://nats.eu-central-1.internal:4222"] } },
      ...requiredAwsConfig,
    });
    expect(config.regionPair).toEqual(["us-east-1", "eu-central-1"]);
    expect(config.peerRegion).toBe("us-east-1");
  });
});

describe("bad region pairs and region values", () => {
  const pairFix =
    'nats-dr runs in exactly two, e.g. ["us-west-2", "eu-west-1"] (a third region is not supported: docs/failover.md)';
  const outside = (key: string, value: string) =>
    `nats-dr:${key}: "${value}" is not one of the project regions (nats-dr:regionPair in Pulumi.yaml: us-west-2, eu-west-1); set it to "us-west-2" or "eu-west-1"`;

  it.each([
    ["one region", ["us-west-2"], [`nats-dr:regionPair: lists 1 region (us-west-2); ${pairFix}`]],
    [
      "three regions",
      ["us-west-2", "eu-west-1", "ap-southeast-2"],
      [`nats-dr:regionPair: lists 3 regions (us-west-2, eu-west-1, ap-southeast-2); ${pairFix}`],
    ],
    ["no region", [], [`nats-dr:regionPair: lists 0 regions (none); ${pairFix}`]],
    [
      "a name AWS does not have",
      ["us-west-9", "eu-west-1"],
      [
        'nats-dr:regionPair.0: "us-west-9" is not an AWS region; use a region name as AWS writes it, e.g. "us-west-1", "us-west-2"',
      ],
    ],
    [
      "a name written differently from AWS",
      ["us-west-2", "EU-WEST-1"],
      [
        'nats-dr:regionPair.1: "EU-WEST-1" is not an AWS region; use a region name as AWS writes it such as "us-west-2"',
      ],
    ],
    [
      "the same region twice",
      ["us-west-2", "us-west-2"],
      ['nats-dr:regionPair.1: "us-west-2" is listed twice; the two regions must differ'],
    ],
    [
      "not a list",
      "us-west-2,eu-west-1",
      ['nats-dr:regionPair: is a list of two AWS region names, e.g. ["us-west-2", "eu-west-1"]'],
    ],
    ["a list of other things", ["us-west-2", 7], ['nats-dr:regionPair.1: each region is a string such as "us-west-2"']],
  ])("%s", (_case, regionPair, problems) => {
    expect(problemsOf(westConfig("us-west-2", { regionPair }))).toEqual(problems);
  });

  it.each([
    ["region", { region: "us-east-1" }],
    ["activeRegion", { activeRegion: "eu-central-1" }],
    ["leafnode.listenRegion", { leafnode: { listenRegion: "us-east-1" } }],
  ])("%s outside the pair", (key, overrides) => {
    const value = String(Object.values(overrides)[0] instanceof Object ? "us-east-1" : Object.values(overrides)[0]);
    expect(problemsOf(westConfig("us-west-2", overrides))).toContain(outside(key, value));
  });

  it("a catalog homeRegion outside the pair", () => {
    expect(
      problemsOf(
        westConfig("us-west-2", { catalog: { streams: { events: { replication: { homeRegion: "eu-central-1" } } } } }),
      ),
    ).toEqual([
      `nats-dr:catalog.streams.events.replication.homeRegion: homeRegion "eu-central-1" is not one of the project regions (nats-dr:regionPair in Pulumi.yaml: us-west-2, eu-west-1); set it to "us-west-2" or "eu-west-1"`,
    ]);
  });

  it("a nats-dr:regions entry for a region outside the pair", () => {
    expect(
      problemsOf(
        westConfig("us-west-2", {
          regions: { "us-west-2": { servers: ["nats://a:4222"] }, "eu-central-1": { domain: "eu" } },
        }),
      ),
    ).toEqual([
      'nats-dr:regions: unknown region "eu-central-1"; use "us-west-2" or "eu-west-1" (the regions of nats-dr:regionPair)',
    ]);
  });

  it("two regions with the same JetStream domain", () => {
    expect(
      problemsOf(
        westConfig("us-west-2", {
          regions: { "us-west-2": { servers: ["nats://a:4222"], domain: "west" }, "eu-west-1": { domain: "west" } },
        }),
      ),
    ).toEqual([
      'nats-dr:regions.eu-west-1.domain: "west" is also the domain of us-west-2; each region is its own JetStream domain, so give them different names',
    ]);
  });

  it("a pair without an EU region leaves the EU-only default streams to the user, by stream and key", () => {
    const problems = problemsOf({
      ...westConfig("us-west-2"),
      regionPair: ["us-west-2", "ap-southeast-2"],
      activeRegion: "us-west-2",
    });
    expect(problems).toEqual(
      ["audit-eu-gdpr", "events-eu-gdpr"].map(
        (stream) =>
          `nats-dr:catalog.streams.${stream}.replication.homeRegion: homeRegion "eu-central-1" is not one of the project regions (nats-dr:regionPair in Pulumi.yaml: us-west-2, ap-southeast-2); set it to "us-west-2" or "ap-southeast-2"`,
      ),
    );
  });
});
