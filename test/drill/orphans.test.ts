// npm run orphans: options (every bad one with a clear error), the message mapping, the text.
import { headers } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { parseOrphansArgs, type OrphansOptions } from "../../drill/orphans/args";
import { unfinishedIntents } from "../../drill/orphans/intents";
import { applicationHeaders, derivedMessageId, orphanMessage } from "../../drill/orphans/message";
import { orphanHeaders } from "../../streams/orphans";

const regions = ["--region", "us-east-1=nats://10.0.0.1:4222", "--region", "eu-central-1=nats://10.1.0.1:4222"];
const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseOrphansArgs(argv, env) as OrphansOptions;

describe("orphans options", () => {
  it("republish takes --from, and --to defaults to the other region", () => {
    const options = parse(["republish", ...regions, "--from", "us-east-1", "--dry-run", "--stream", "orders"], {
      NATS_USER: "app",
      NATS_PASSWORD: "pw",
    });
    expect(options).toMatchObject({
      action: "republish",
      from: { region: "us-east-1", domain: "us-east-1" },
      to: { region: "eu-central-1", servers: ["nats://10.1.0.1:4222"] },
      dryRun: true,
      streams: ["orders"],
      credentials: { user: "app", password: "pw" },
      timeoutMs: 3000,
    });
    expect(parse(["list", ...regions])).toMatchObject({ action: "list", streams: [] });
  });

  it.each([
    [[...regions], /give the action first, "list" or "republish" .*; got none\./],
    [["purge", ...regions], /give the action first, "list" or "republish" .*; got "purge"\./],
    [["list"], /give at least one --region NAME=nats:\/\/host:4222/],
    [["list", ...regions, "extra"], /unexpected argument "extra" after list/],
    [["list", ...regions, "--from", "us-east-1"], /--from belongs to republish, not list\./],
    [["list", ...regions, "--dry-run"], /--dry-run belongs to republish/],
    [["republish", ...regions], /republish needs --from NAME, the region holding the orphan streams/],
    [
      ["republish", ...regions, "--from", "ap-south-1"],
      /--from ap-south-1: no --region ap-south-1=nats:\/\/\.\.\. gives its servers\./,
    ],
    [
      ["republish", "--region", "us-east-1=nats://a:4222", "--from", "us-east-1"],
      /republish needs --to NAME, the active region; give its --region too\./,
    ],
    [["republish", ...regions, "--from", "us-east-1", "--to", "us-east-1"], /--from and --to are both us-east-1/],
    [["republish", ...regions, "--from", "us-east-1", "--evidence", ""], /--evidence needs a file name\./],
    [["list", ...regions, "--stream", "orders.*"], /--stream "orders\.\*" is not a stream name/],
    [["list", "--region", "us-east-1=http://a:8222"], /is not a server URL such as nats:\/\/host:4222/],
    [["list", ...regions, "--timeout", "5"], /--timeout must be whole ms from 100 to 60000; got "5"\./],
    [["list", ...regions, "--user", "u", "--token", "t"], /set only one of --user/],
    [["list", ...regions, "--bogus"], /Unknown option '--bogus'/],
  ])("%j is refused with a clear error", (argv, error) => {
    expect(() => parseOrphansArgs(argv, {})).toThrow(error);
  });
});

describe("orphans messages", () => {
  const copy = (original: ReturnType<typeof headers>) =>
    orphanHeaders(original, { subject: "orders.new", seq: 42, time: "2026-12-02T19:00:00.000Z", domain: "us-east-1" });

  it("the original id, subject and application headers; server headers stay out", () => {
    const original = headers();
    original.set("Nats-Msg-Id", "o-42");
    original.set("Nats-Rollup", "sub");
    original.set("Trace-Id", "t");
    const message = orphanMessage("orders", { seq: 3, header: copy(original), data: new Uint8Array([1]) });
    expect(message).toMatchObject({
      orphanSequence: 3,
      subject: "orders.new",
      originalSequence: 42,
      id: "o-42",
      idDerived: false,
    });
    expect(applicationHeaders(copy(original))).toEqual([["Trace-Id", "t"]]);
  });

  it("without an id, one derived from domain, stream, sequence and time, the same every run", () => {
    const message = orphanMessage("orders", { seq: 3, header: copy(headers()), data: new Uint8Array() });
    expect(message).toMatchObject({
      id: "natsdr-orphan:us-east-1:orders:42:2026-12-02T19:00:00.000Z",
      idDerived: true,
    });
    expect(derivedMessageId("us-east-1", "orders", 42, "2026-12-02T19:00:00.000Z")).toBe(
      (message as { id: string }).id,
    );
  });

  it("a message without provenance headers is named, not published", () => {
    const refused = orphanMessage("orders", { seq: 9, header: undefined, data: new Uint8Array() });
    expect("problem" in refused && refused.problem).toMatch(
      /^message 9 has no Nats-Dr-Original-Subject.* it is not a copy a demotion made/,
    );
  });
});

describe("orphans intent records", () => {
  const intent = (firstSequence: number, lastSequence: number) =>
    ({
      kind: "intent",
      at: "2026-12-02T22:00:00Z",
      orphanStream: "orders-orphans-90",
      stream: "orders",
      firstSequence,
      lastSequence,
      targetLastSequence: 500,
      ids: ["a"],
    }) as const;
  const batch = (through: number) =>
    ({ kind: "batch", at: "2026-12-02T22:00:01Z", orphanStream: "orders-orphans-90", through }) as const;
  const done = { kind: "done", at: "2026-12-02T22:00:02Z", orphanStream: "orders-orphans-90", verified: 256 } as const;

  it("an intent no batch record or republished-through covers is unfinished", () => {
    expect(unfinishedIntents([intent(1, 128)], 0)).toEqual([intent(1, 128)]);
    expect(unfinishedIntents([intent(1, 128), batch(128), intent(129, 256)], 0)).toEqual([intent(129, 256)]);
    // The orphan stream's metadata moved on but the batch record was never written: covered.
    expect(unfinishedIntents([intent(1, 128)], 128)).toEqual([]);
    // A read-back failure recorded less than the batch: the rest of it is unfinished.
    expect(unfinishedIntents([intent(1, 128), batch(100)], 0)).toEqual([intent(1, 128)]);
  });

  it("a done record closes the orphan stream of that name; a later one starts afresh", () => {
    expect(unfinishedIntents([intent(1, 128), done], 0)).toEqual([]);
    expect(unfinishedIntents([intent(1, 128), batch(128), done, intent(1, 60)], 0)).toEqual([intent(1, 60)]);
  });
});
