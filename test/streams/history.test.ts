import { describe, expect, test } from "vitest";
import { judgeHistory, sameMessage, type HistoryFacts, type MessageFingerprint } from "../../streams/history";

const CREATED = "2025-01-02T03:04:05.123456789Z";

function message(seq: number, overrides: Partial<MessageFingerprint> = {}): MessageFingerprint {
  return {
    seq,
    subject: "orders.created",
    time: `2025-01-02T04:00:00.0000000${seq}Z`,
    msgId: `m-${seq}`,
    dataSha256: `sha-${seq}`,
    ...overrides,
  };
}

function facts(overrides: Partial<HistoryFacts> = {}): HistoryFacts {
  return {
    stream: "orders",
    source: { domain: "us-east-1", created: CREATED },
    copy: { domain: "eu-central-1" },
    recordedSourceCreated: CREATED,
    upTo: 50,
    sourceLowest: 1,
    pairs: [
      { source: message(1), copy: message(1) },
      { source: message(50), copy: message(50) },
    ],
    ...overrides,
  };
}

describe("history", () => {
  test("a message is the same only with equal sequence, subject, time, id and data", () => {
    expect(sameMessage(message(3), message(3))).toBe(true);
    for (const field of ["subject", "time", "msgId", "dataSha256"] as const) {
      expect(sameMessage(message(3), message(3, { [field]: "other" })), field).toBe(false);
    }
    expect(sameMessage(message(3), { ...message(3), seq: 4 })).toBe(false);
  });

  test("a recorded identity and matching messages are the same history", () => {
    const check = judgeHistory(facts());
    expect(check).toMatchObject({
      verdict: "same",
      sourceCreated: CREATED,
      recordedSourceCreated: CREATED,
      upTo: 50,
      compared: [
        { seq: 1, same: true },
        { seq: 50, same: true },
      ],
    });
    expect(check.reason).toMatch(/is the stream "eu-central-1" was made a mirror of; the messages at sequence 1, 50/);
  });

  test("a recorded identity holds even when the copy holds none of the messages", () => {
    expect(judgeHistory(facts({ pairs: [] })).verdict).toBe("same");
    expect(judgeHistory(facts({ pairs: [], sourceLowest: undefined })).verdict).toBe("same");
  });

  test("another created time than the recorded one is a re-created stream, whatever the messages say", () => {
    const check = judgeHistory(facts({ recordedSourceCreated: "2024-12-31T00:00:00Z" }));
    expect(check.verdict).toBe("diverged");
    expect(check.reason).toBe(
      `stream orders in "us-east-1" was created at ${CREATED}, but the stream in "eu-central-1" was made a mirror of one created at 2024-12-31T00:00:00Z: the stream in "us-east-1" was re-created since, and its sequence numbers name other messages in "eu-central-1"`,
    );
    expect(check.recordedSourceCreated).toBe("2024-12-31T00:00:00Z");
  });

  test("a different message at a shared sequence is a divergence, at either end", () => {
    const low = judgeHistory(facts({ pairs: [{ source: message(1), copy: message(1, { msgId: "old-0" }) }] }));
    expect(low.verdict).toBe("diverged");
    expect(low.reason).toMatch(
      /^at sequence 1 stream orders in "us-east-1" holds .*m-1.* but "eu-central-1" holds .*old-0/,
    );
    const high = judgeHistory(
      facts({
        recordedSourceCreated: undefined,
        pairs: [
          { source: message(1), copy: message(1) },
          { source: message(50), copy: message(50, { time: "2020-01-01T00:00:00Z" }) },
        ],
      }),
    );
    expect(high.verdict).toBe("diverged");
    expect(high.compared).toEqual([
      { seq: 1, same: true },
      { seq: 50, same: false },
    ]);
  });

  test("without a recorded identity the copy must hold the source's lowest message", () => {
    const held = judgeHistory(facts({ recordedSourceCreated: undefined }));
    expect(held.verdict).toBe("same");
    expect(held.recordedSourceCreated).toBe("");
    expect(held.reason).toMatch(/holds the lowest message of "us-east-1" at or below sequence 50 \(sequence 1\)/);
    const dropped = judgeHistory(
      facts({ recordedSourceCreated: undefined, sourceLowest: 1, pairs: [{ source: message(5), copy: message(5) }] }),
    );
    expect(dropped.verdict).toBe("unproven");
    expect(dropped.reason).toMatch(/no longer holds sequence 1/);
    const nothing = judgeHistory(facts({ recordedSourceCreated: undefined, sourceLowest: undefined, pairs: [] }));
    expect(nothing.verdict).toBe("unproven");
    expect(nothing.reason).toMatch(/holds no message at or below sequence 50/);
  });
});
