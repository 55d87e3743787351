// npm run status: options and the human table.
import { describe, expect, it } from "vitest";
import { parseStatusArgs, type StatusOptions } from "../../drill/status/args";
import { isHealthy, type RegionStatus } from "../../drill/status/collect";
import { renderStatus } from "../../drill/status/render";

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseStatusArgs(argv, env) as StatusOptions;

describe("status options", () => {
  it("status options - regions, monitors, domains and credentials from flags and env", () => {
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

  it("status options - mistakes are named with the fix", () => {
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
    monitors: [{ url: "http://127.0.0.1:8222", ok: true, httpStatus: 200, detail: "ok" }],
    streams: [
      {
        name: "events",
        role: "mirror",
        subjects: [],
        mirror: { name: "events", api: "$JS.eu-central-1.API", lag: 12, activeMs: 250 },
        metadata: {},
        replicas: 3,
        state: { messages: 1200, bytes: 1, firstSeq: 1, lastSeq: 1201, lastTime: null, deleted: 1 },
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
  it("status table - servers, streams with their role and lag, consumers, and what is down", () => {
    const text = renderStatus(status);
    expect(text).toContain("us-east-1 (JetStream domain us-east-1): 1/2 servers answer");
    expect(text).toMatch(/nats:\/\/127\.0\.0\.1:4222 +ok +us-east-1-1 +2\.14\.9 +0\.4 ms +200 ok/);
    expect(text).toMatch(/nats:\/\/127\.0\.0\.1:4223 +DOWN/);
    expect(text).toContain("nats://127.0.0.1:4223: connection refused");
    expect(text).toMatch(/events +mirror +1,200 +1,201 +12 +250 ms ago +us-east-1-1/);
    expect(text).toMatch(/analytics-consumer +events +1,200 +0 +0 +0 +yes/);
    expect(text).toContain("streams: unavailable: no responders");
  });

  it("status table - healthy only when every server, monitor and region answers", () => {
    expect(isHealthy(status)).toBe(false);
    expect(isHealthy([{ ...status[0]!, servers: [status[0]!.servers[0]!] }])).toBe(true);
  });
});
