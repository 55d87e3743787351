import { describe, expect, test } from "vitest";
import type { AckRecord } from "../../drill/load/consumers";
import { floorLag } from "../../drill/scenarios/floorLag";

const delivery = (seq: number, confirmedAt?: number, gaveUpAt?: number): AckRecord => ({
  region: "us-east-1",
  seq,
  id: `m${seq}`,
  deliveredAt: seq * 10,
  ...(confirmedAt !== undefined ? { confirmedAt } : {}),
  ...(gaveUpAt !== undefined ? { gaveUpAt } : {}),
});

const base = {
  consumer: "audit-consumer",
  stream: "audit",
  killAt: 1000,
  killWallMs: Date.parse("2026-12-02T22:00:10.000Z"),
  allowance: 3,
  intervalMs: 1000,
};

describe("floor lag", () => {
  test("one ack given up unconfirmed holds the floor, and names that delivery", () => {
    const deliveries = [
      delivery(1, 20),
      delivery(2, undefined, 700),
      ...[3, 4, 5, 6, 7].map((seq) => delivery(seq, seq * 10 + 5)),
    ];
    const lag = floorLag({
      ...base,
      deliveries,
      server: { ackFloor: 1, ackPending: 1, redelivered: 0 },
      positioned: { checkpointFloor: 1, checkpointAt: "2026-12-02T22:00:09.600Z", startSequence: 2 },
    });
    expect(lag).toMatchObject({
      confirmedFloorAtKill: 1,
      confirmedAboveCheckpoint: 5,
      lagged: true,
      checkpointAgeMs: 400,
      firstUnconfirmed: { seq: 2, id: "m2", state: "gave up unconfirmed" },
    });
    expect(lag.why).toContain("the server's own floor was held at 1 (1 acks pending) by sequence 2");
  });

  test("a checkpoint behind a server floor that was itself held is reported as the held floor", () => {
    // Checkpoint at 1, the server's floor at 3 held by 4 (never received); 5-9 confirmed.
    const deliveries = [1, 2, 3, 5, 6, 7, 8, 9].map((seq) => delivery(seq, seq * 10 + 5));
    const lagWith = (ackPending: number) =>
      floorLag({
        ...base,
        deliveries,
        server: { ackFloor: 3, ackPending, redelivered: 0 },
        positioned: { checkpointFloor: 1, checkpointAt: "2026-12-02T22:00:09.900Z", startSequence: 2 },
      });
    expect(lagWith(2)).toMatchObject({ lagged: true, confirmedAboveCheckpoint: 7 });
    expect(lagWith(2).why).toBe(
      "the server's own floor was held at 3 (2 acks pending) with 5 deliveries above it confirmed by the kill; the checkpoint's 1 was 2 behind it",
    );
    // Not held: the same gap with nothing pending is the checkpoint not caught up.
    expect(lagWith(0).why).toBe(
      "the server's floor was 3 at the kill, the checkpoint's 1: the checkpoint had not caught up",
    );
  });

  test("messages the server counted as delivered but the worker never received hold the floor, and are named", () => {
    // The drill's worker never got 2-4 (the server's batch was lost on the way); it confirmed 5-9.
    const deliveries = [delivery(1, 15), ...[5, 6, 7, 8, 9].map((seq) => delivery(seq, seq * 10 + 5))];
    const lag = floorLag({
      ...base,
      deliveries,
      server: { ackFloor: 1, ackPending: 3, redelivered: 0 },
      positioned: { checkpointFloor: 1, checkpointAt: "2026-12-02T22:00:09.500Z", startSequence: 2 },
    });
    expect(lag).toMatchObject({ lagged: true, confirmedAboveCheckpoint: 5 });
    expect(lag.firstUnconfirmed).toBeUndefined();
    expect(lag.why).toBe(
      "the server's own floor was held at 1 (3 acks pending) by sequence 2, which the server counted as delivered but the worker never received (redelivered only after the consumer's ackWait)",
    );
    // The same redeliveries with nothing in the evidence to explain them are not called "within".
    const unexplained = floorLag({
      ...base,
      deliveries,
      server: { ackFloor: 1, ackPending: 0, redelivered: 0 },
      positioned: { checkpointFloor: 1, checkpointAt: "2026-12-02T22:00:09.500Z", startSequence: 2 },
    });
    expect(unexplained.why).toBe("no cause found in the evidence");
  });

  test("an old checkpoint is named as the reason, and a current one is within the allowance", () => {
    const deliveries = [1, 2, 3, 4].map((seq) => delivery(seq, seq * 10 + 5));
    const old = floorLag({
      ...base,
      deliveries,
      server: { ackFloor: 4, ackPending: 0, redelivered: 0 },
      positioned: { checkpointFloor: 0, checkpointAt: "2026-12-02T22:00:05.000Z", startSequence: 1 },
    });
    expect(old.lagged).toBe(true);
    expect(old.why).toContain("its last checkpoint was 5000 ms old");
    expect(old.why).toContain("the checkpoint had not caught up");
    const current = floorLag({
      ...base,
      deliveries,
      server: { ackFloor: 4, ackPending: 0, redelivered: 0 },
      positioned: { checkpointFloor: 3, checkpointAt: "2026-12-02T22:00:09.800Z", startSequence: 4 },
    });
    expect(current).toMatchObject({ lagged: false, confirmedAboveCheckpoint: 1, confirmedFloorAtKill: 4 });
  });

  test("no checkpoint and no answer from the killed region are said", () => {
    const lag = floorLag({ ...base, deliveries: [delivery(1, 5)] });
    expect(lag.why).toBe(
      "no checkpoint was used for it; the killed region's consumer info did not answer just before the kill",
    );
  });

  test("what the promotion started past or acknowledged again from the captured acknowledgements is not counted as delivered again", () => {
    // The held floor of the first test: 5 confirmed above the checkpoint, allowance 3.
    const deliveries = [
      delivery(1, 20),
      delivery(2, undefined, 700),
      ...[3, 4, 5, 6, 7].map((seq) => delivery(seq, seq * 10 + 5)),
    ];
    const withCatchUp = (acknowledged: number, complete: boolean, startedPast = 0) =>
      floorLag({
        ...base,
        deliveries,
        server: { ackFloor: 1, ackPending: 1, redelivered: 0 },
        positioned: {
          checkpointFloor: 1,
          checkpointAt: "2026-12-02T22:00:09.600Z",
          startSequence: 2,
          acknowledgedAgain: { captured: 5, startedPast, acknowledged, released: 1, complete },
        },
      });
    expect(withCatchUp(5, true)).toMatchObject({ confirmedAboveCheckpoint: 5, deliveredAgain: 0, lagged: false });
    const short = withCatchUp(1, false);
    expect(short).toMatchObject({ deliveredAgain: 4, lagged: true });
    expect(short.why).toContain(
      "of the 5 acknowledgements captured above the floor, the promotion started past 0 and acknowledged 1 again before its time was up",
    );
    // A checkpoint that was merely old: the run above it started past, the rest acknowledged again.
    expect(withCatchUp(2, true, 3)).toMatchObject({ deliveredAgain: 0, lagged: false });
    expect(withCatchUp(0, true, 3)).toMatchObject({ deliveredAgain: 2, lagged: false });
  });
});
