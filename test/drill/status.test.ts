// npm run status: options and the human table.
import { RetentionPolicy } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { parseStatusArgs, type StatusOptions } from "../../drill/status/args";
import { isHealthy, type RegionStatus } from "../../drill/status/collect";
import type { StreamReport } from "../../drill/evidence";
import { mirrorFindings } from "../../drill/status/mirrors";
import { readableAge, readableBytes, renderStatus } from "../../drill/status/render";

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseStatusArgs(argv, env) as StatusOptions;

describe("status options", () => {
  it("regions, monitors, domains and credentials from flags and env", () => {
    const options = parse(
      [
        "--region",
        "us-east-1=nats://10.0.0.1:4222,nats://10.0.0.2:4222",
        "--region",
        "eu-central-1=nats://10.1.0.1:4222",
        "--monitor",
        "us-east-1=http://10.0.0.1:8222",
        "--domain",
        "eu-central-1=eu",
        "--json",
      ],
      { NATS_USER: "app", NATS_PASSWORD: "pw" },
    );
    expect(options.targets).toEqual([
      {
        region: "us-east-1",
        domain: "us-east-1",
        servers: ["nats://10.0.0.1:4222", "nats://10.0.0.2:4222"],
        monitors: ["http://10.0.0.1:8222"],
      },
      { region: "eu-central-1", domain: "eu", servers: ["nats://10.1.0.1:4222"], monitors: [] },
    ]);
    expect(options.credentials).toEqual({ user: "app", password: "pw" });
    expect(options.json).toBe(true);
    expect(parse(["--region", "a=nats://h:1"], { NATS_TOKEN: "t" }).credentials).toEqual({ token: "t" });
    expect(parse(["--region", "a=nats://h:1", "--creds", "/x.creds"]).credsFile).toBe("/x.creds");
  });

  it("mistakes are named with the fix", () => {
    expect(() => parse([])).toThrow(/give at least one --region NAME=nats:\/\/host:4222/);
    expect(() => parse(["--region", "us-east-1"])).toThrow(/--region takes NAME=VALUE/);
    expect(() => parse(["--region", "a=nats://user:pw@h:4222"])).toThrow(/not a server URL .*credentials go in --user/);
    expect(() => parse(["--region", "a=nats://h:1", "--monitor", "b=http://h:2"])).toThrow(
      /"b", which no --region gives/,
    );
    expect(() => parse(["--region", "a=nats://h:1", "--user", "u", "--token", "t"])).toThrow(/set only one of/);
    expect(() => parse(["--region", "a=nats://h:1", "--timeout", "5"])).toThrow(/--timeout must be whole ms/);
  });
});

const status: RegionStatus[] = [
  {
    region: "us-east-1",
    domain: "us-east-1",
    servers: [
      { url: "nats://127.0.0.1:4222", ok: true, name: "us-east-1-1", version: "2.14.9", rttMs: 0.4, jetstream: true },
      { url: "nats://127.0.0.1:4223", ok: false, error: "connection refused" },
    ],
    monitors: [
      {
        url: "http://127.0.0.1:8222",
        ok: true,
        httpStatus: 200,
        detail: "ok",
        store: { usedBytes: 3 * 1024 ** 3, reservedBytes: 90 * 1024 ** 3, limitBytes: 100 * 1024 ** 3 },
      },
    ],
    streams: [
      {
        name: "events",
        role: "mirror",
        subjects: [],
        mirror: { name: "events", api: "$JS.eu-central-1.API", lag: 12, activeMs: 250 },
        metadata: {},
        replicas: 3,
        state: { messages: 1200, bytes: 1536, firstSeq: 1, lastSeq: 1201, lastTime: null, deleted: 1 },
        retention: {
          policy: RetentionPolicy.Limits,
          maxAgeMs: 86_400_000,
          maxBytes: 1024 ** 3,
          maxMsgs: null,
          firstTime: "2026-12-01T00:00:00Z",
          oldestAgeMs: 5_400_000,
        },
        created: "2026-11-30T00:00:00Z",
        cluster: { leader: "us-east-1-1", replicas: [] },
        consumers: [
          {
            name: "analytics-consumer",
            paused: true,
            pending: 1200,
            ackPending: 0,
            redelivered: 0,
            ackFloor: 0,
            delivered: 0,
          },
        ],
      },
    ],
  },
  {
    region: "eu-central-1",
    domain: "eu-central-1",
    servers: [{ url: "nats://127.0.0.1:5222", ok: true }],
    monitors: [],
    streams: [],
    error: "no responders",
  },
];

describe("status table", () => {
  it("servers, streams with their role and lag, consumers, and what is down", () => {
    const text = renderStatus(status);
    expect(text).toContain("us-east-1 (JetStream domain us-east-1): 1/2 servers answer");
    expect(text).toMatch(/nats:\/\/127\.0\.0\.1:4222 +ok +us-east-1-1 +2\.14\.9 +0\.4 ms +200 ok/);
    expect(text).toMatch(/nats:\/\/127\.0\.0\.1:4223 +DOWN/);
    expect(text).toContain("nats://127.0.0.1:4223: connection refused");
    expect(text).toMatch(/events +mirror +1,200 +1,201 +12 +250 ms ago +us-east-1-1/);
    expect(text).toMatch(/analytics-consumer +events +1,200 +0 +0 +0 +yes/);
    expect(text).toContain("streams: unavailable: no responders");
  });

  it("retention against the limits, and the file store's reservation marked over 80%", () => {
    const text = renderStatus(status);
    expect(text).toMatch(/events +limits +1\.5 KiB +1\.0 GiB +0% +1\.5 h +1\.0 d +6%/);
    expect(text).toMatch(/200 ok +3\.0 GiB +90\.0 GiB \(90% !\) +100\.0 GiB/);
  });

  it("readable sizes and ages", () => {
    expect([0, 1023, 1024, 1536, 5 * 1024 ** 3].map(readableBytes)).toEqual([
      "0 B",
      "1023 B",
      "1.0 KiB",
      "1.5 KiB",
      "5.0 GiB",
    ]);
    expect([12, 1500, 90_000, 5_400_000, 172_800_000].map(readableAge)).toEqual([
      "12 ms",
      "1.5 s",
      "1.5 min",
      "1.5 h",
      "2.0 d",
    ]);
  });

  it("healthy only when every server, monitor and region answers", () => {
    expect(isHealthy(status)).toBe(false);
    expect(isHealthy([{ ...status[0]!, servers: [status[0]!.servers[0]!] }])).toBe(true);
  });
});

function stream(name: string, fields: Partial<StreamReport> & { lastSeq?: number; lastTime?: string | null }) {
  const base = status[0]!.streams[0]!;
  const { lastSeq, lastTime, ...rest } = fields;
  return {
    ...base,
    name,
    role: "primary",
    mirror: null,
    metadata: {},
    consumers: [],
    state: { ...base.state, lastSeq: lastSeq ?? 10, lastTime: lastTime ?? "2026-12-02T10:00:00Z" },
    ...rest,
  } satisfies StreamReport;
}

const mirrorOf = (name: string, recorded?: string) => ({
  mirror: { name, api: "$JS.us-east-1.API", lag: 0, activeMs: 100 },
  role: "mirror" as const,
  metadata: (recorded === undefined ? {} : { "natsdr.origin-created": recorded }) as Record<string, string>,
});

describe("status mirror findings", () => {
  const region = (name: string, domain: string, streams: StreamReport[], error?: string) => ({
    region: name,
    domain,
    streams,
    ...(error === undefined ? {} : { error }),
  });
  const east = (streams: StreamReport[], error?: string) => region("us-east-1", "us-east-1", streams, error);
  const west = (streams: StreamReport[]) => region("eu-central-1", "eu-central-1", streams);
  const origin = stream("orders", { created: "2026-12-02T09:00:00Z", lastSeq: 10 });

  it("a healthy mirror, and one ahead only because it answered later, give none", () => {
    const healthy = stream("orders", { ...mirrorOf("orders", origin.created), lastSeq: 10 });
    const later = stream("orders", {
      ...mirrorOf("orders", origin.created),
      lastSeq: 12,
      lastTime: "2026-12-02T10:00:01Z",
    });
    expect(mirrorFindings([east([origin]), west([healthy])])).toEqual([]);
    expect(mirrorFindings([east([origin]), west([later])])).toEqual([]);
  });

  it("re-created origin, missing origin, origin a mirror, diverged history", () => {
    const recreated = stream("orders", mirrorOf("orders", "2026-11-01T00:00:00Z"));
    expect(mirrorFindings([east([origin]), west([recreated])])).toEqual([
      {
        region: "eu-central-1",
        stream: "orders",
        problem:
          "its origin orders in us-east-1 was re-created (created 2026-12-02T09:00:00Z; the mirror copied the one created 2026-11-01T00:00:00Z), so it holds the old stream's messages and none of the new one's",
      },
    ]);
    expect(mirrorFindings([east([]), west([recreated])])[0]?.problem).toBe(
      "its origin orders does not exist in us-east-1",
    );
    const bothMirrors = stream("orders", mirrorOf("orders"));
    expect(mirrorFindings([east([bothMirrors]), west([stream("orders", mirrorOf("orders"))])])[0]?.problem).toBe(
      "its origin orders in us-east-1 is a mirror too, so no region takes writes for it",
    );
    // A mirror without a recorded identity, ahead of an origin whose messages are newer than its own.
    const ahead = stream("orders", { ...mirrorOf("orders"), lastSeq: 500, lastTime: "2026-12-02T08:00:00Z" });
    expect(mirrorFindings([east([origin]), west([ahead])])[0]?.problem).toBe(
      "it holds sequences up to 500, beyond its origin's last 10 in us-east-1: the histories diverged",
    );
  });

  it("an origin region that did not answer tells nothing", () => {
    const recreated = stream("orders", mirrorOf("orders", "2026-11-01T00:00:00Z"));
    expect(mirrorFindings([east([], "no responders"), west([recreated])])).toEqual([]);
  });
});
