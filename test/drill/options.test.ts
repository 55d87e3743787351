// Options of npm run drill.
import { describe, expect, it } from "vitest";
import { parseDrillArgs, resolveScenarios, type DrillOptions } from "../../drill/options";

const parse = (...argv: string[]) => parseDrillArgs(argv, new Date("2026-01-02T03:04:05.678Z")) as DrillOptions;

describe("drill options", () => {
  it("defaults run every failover scenario within two minutes", () => {
    const options = parse();
    expect(options).toMatchObject({
      scenarios: ["planned", "partition", "node-loss", "unplanned", "failback"],
      durationS: 8,
      rate: 200,
      size: 256,
      streams: ["events", "audit"],
      outDir: "drill-output/2026-01-02T03-04-05",
      latencyMs: 45,
      serverNice: 19,
      partitionS: 4,
      cutMode: "reset",
      refresh: false,
      keepRunning: false,
    });
    expect(options.unplannedRewind).toBeUndefined();
  });

  it("--short is a small, quick pass; explicit values still win", () => {
    expect(parse("--short")).toMatchObject({ short: true, durationS: 3, rate: 50, partitionS: 1.5 });
    expect(parse("--short", "--rate", "80")).toMatchObject({ rate: 80 });
  });

  it("unplanned and failback always run together, in the drill's order", () => {
    expect(resolveScenarios("failback")).toEqual(["unplanned", "failback"]);
    expect(resolveScenarios("unplanned,planned")).toEqual(["planned", "unplanned", "failback"]);
    expect(resolveScenarios("all")).toEqual(["steady", "planned", "partition", "node-loss", "unplanned", "failback"]);
  });

  it("bad values are refused with the option and its range", () => {
    expect(() => parse("--rate", "0")).toThrow('--rate must be a number from 1 to 20000; got "0".');
    expect(() => parse("--duration", "ten")).toThrow(/--duration must be a number from 1 to 600/);
    expect(() => parse("--scenarios", "planed")).toThrow(
      /--scenarios: "planed" is not a scenario; choose from steady, planned/,
    );
    expect(() => parse("--cut-mode", "drop")).toThrow(/--cut-mode is reset or blackhole/);
    expect(() => parse("--streams", ",")).toThrow(/--streams is empty/);
    expect(() => parse("--bogus")).toThrow(/bogus/);
    expect(() => parse("--server-nice", "20")).toThrow('--server-nice must be a number from 0 to 19; got "20".');
    expect(() => parse("--server-nice", "2.5")).toThrow(
      '--server-nice must be a whole number from 0 to 19; got "2.5".',
    );
  });

  it("--regions names the pair, the first starts active; bad pairs are refused by the config's rules", () => {
    expect(parse().pair).toEqual(["us-east-1", "eu-central-1"]);
    expect(parse("--regions", "us-west-2, eu-west-1").pair).toEqual(["us-west-2", "eu-west-1"]);
    expect(() => parse("--regions", "us-west-2")).toThrow(
      '--regions: lists 1 region (us-west-2); nats-dr runs in exactly two, e.g. ["us-west-2", "eu-west-1"] (a third region is not supported: docs/failover.md).',
    );
    expect(() => parse("--regions", "us-west-2,mars-1")).toThrow(
      /--regions: "mars-1" is not an AWS region; use a region name as AWS writes it/,
    );
    expect(() => parse("--regions", "eu-west-1,eu-west-1")).toThrow(
      '--regions: "eu-west-1" is listed twice; the two regions must differ.',
    );
  });

  it("--help returns the usage text", () => {
    const help = parseDrillArgs(["--help"]);
    expect("help" in help && help.help).toMatch(/^npm run drill -- \[options\]/);
  });

  it("other settings", () => {
    expect(
      parse(
        "--streams",
        "all",
        "--refresh",
        "--latency",
        "0",
        "--server-nice",
        "0",
        "--cut-mode",
        "blackhole",
        "--unplanned-rewind",
        "10s",
        "--out",
        "x",
      ),
    ).toMatchObject({
      streams: "all",
      refresh: true,
      latencyMs: 0,
      serverNice: 0,
      cutMode: "blackhole",
      unplannedRewind: "10s",
      outDir: "x",
    });
  });
});
