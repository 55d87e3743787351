// The run above a checkpoint's floor that a promoted consumer starts past, the pure parts: the
// server's RFC 3339 times in nanoseconds, which subjects a consumer delivers, and the walk.
import { describe, expect, it } from "vitest";
import type { DoneMessage } from "../../streams/capturedAcks";
import { delivers, filtersOf, timestampNanos, walkDoneRun, type StoredTrace } from "../../streams/doneRun";

/** A message of the mirror stored at 1765000000.000000<seq> s. */
const stored = (seq: number, subject = "orders.created"): StoredTrace => ({
  seq,
  subject,
  timestamp: `2025-12-06T05:46:40.${String(seq).padStart(9, "0")}Z`,
});
const nanos = (seq: number) => (1_765_000_000_000_000_000n + BigInt(seq)).toString();
const doneWith = (...seqs: number[]) =>
  new Map<number, DoneMessage>(seqs.map((seq) => [seq, { timestamp: nanos(seq), kind: "ack" }]));

describe("done run", () => {
  it("reads the server's times to the nanosecond, with fewer fractional digits and with offsets", () => {
    expect(timestampNanos("2025-12-06T05:46:40.000000007Z")).toBe("1765000000000000007");
    // Go trims trailing zeros of RFC3339Nano.
    expect(timestampNanos("2025-12-06T05:46:40.12Z")).toBe("1765000000120000000");
    expect(timestampNanos("2025-12-06T05:46:40Z")).toBe("1765000000000000000");
    expect(timestampNanos("2025-12-06T06:46:40.5+01:00")).toBe("1765000000500000000");
    expect(timestampNanos("yesterday")).toBeUndefined();
    expect(timestampNanos("2025-12-06T05:46:40.1234567891Z")).toBeUndefined();
  });

  it("matches concrete subjects against a consumer's filters (none: everything)", () => {
    expect(delivers([], "orders.created")).toBe(true);
    expect(delivers(["orders.*"], "orders.created")).toBe(true);
    expect(delivers(["orders.*"], "orders.created.eu")).toBe(false);
    expect(delivers(["refunds.>", "orders.created"], "orders.created")).toBe(true);
    expect(delivers(["refunds.>"], "orders.created")).toBe(false);
    expect(filtersOf({ filter_subject: "orders.*" })).toEqual(["orders.*"]);
    expect(filtersOf({ filter_subjects: ["a", "b"], filter_subject: "" })).toEqual(["a", "b"]);
    expect(filtersOf({})).toEqual([]);
  });

  it("starts past every message done with, up to the first one that was not", () => {
    const messages = [11, 12, 13, 14, 15].map((seq) => stored(seq));
    expect(walkDoneRun(messages, doneWith(11, 12, 13, 15), [], 10)).toEqual({ start: 14, passed: 3, ended: true });
    // All done with: past the last one read.
    expect(walkDoneRun(messages, doneWith(11, 12, 13, 14, 15), [], 10)).toEqual({ start: 16, passed: 5, ended: false });
    // The floor's next message not done with (a delivery lost in flight held the floor): no run.
    expect(walkDoneRun(messages, doneWith(12, 13, 14, 15), [], 10)).toEqual({ start: 11, passed: 0, ended: true });
    // Nothing read (a deleted range): the start stays right after the floor.
    expect(walkDoneRun([], doneWith(11), [], 10)).toEqual({ start: 11, passed: 0, ended: false });
  });

  it("passes over what the consumer's filters do not take, and over deleted sequences", () => {
    const messages = [stored(11), stored(12, "refunds.created"), stored(14), stored(15)];
    // 12 is not the consumer's, 13 is gone: the run goes on to 15, which was not done with.
    expect(walkDoneRun(messages, doneWith(11, 14), ["orders.*"], 10)).toEqual({ start: 15, passed: 2, ended: true });
    // Without the filter the consumer delivers 12, which nobody acknowledged.
    expect(walkDoneRun(messages, doneWith(11, 14), [], 10)).toEqual({ start: 12, passed: 1, ended: true });
  });

  it("never starts past a message whose timestamp differs from the acknowledged one (a reused sequence)", () => {
    const reused = { ...stored(12), timestamp: "2025-12-06T05:46:41.000000012Z" };
    expect(walkDoneRun([stored(11), reused, stored(13)], doneWith(11, 12, 13), [], 10)).toEqual({
      start: 12,
      passed: 1,
      ended: true,
    });
    const unreadable = { ...stored(11), timestamp: "not a time" };
    expect(walkDoneRun([unreadable], doneWith(11), [], 10)).toEqual({ start: 11, passed: 0, ended: true });
  });
});
