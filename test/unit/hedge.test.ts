import { describe, expect, test } from "vitest";
import { hedged } from "../../streams/hedge";
import { mirrorStalled } from "../../streams/mirrorNudge";
import { JetStreamApiError, type StreamInfo } from "@nats-io/jetstream";

const timeout = () => new Error("peer stream info took longer than 20 ms");
/** The answer of a region whose stream has no leader yet, as nats.js raises it. */
const electing = () =>
  new JetStreamApiError({ code: 503, err_code: 10008, description: "JetStream system temporarily unavailable" });

describe("hedged requests", () => {
  test("a request dropped while unanswered is superseded by a later one", async () => {
    let calls = 0;
    const answer = await hedged(
      () => {
        calls++;
        // The first request is never answered (sent while no leader); the second is.
        return calls === 1 ? new Promise<string>(() => undefined) : Promise.resolve(`answer ${calls}`);
      },
      1000,
      10,
    );
    expect(answer).toBe("answer 2");
  });

  test("an answer that an election is running is asked again until the leader answers", async () => {
    let calls = 0;
    const answer = await hedged(
      () => {
        calls++;
        return calls < 3 ? Promise.reject(electing()) : Promise.resolve(`answer ${calls}`);
      },
      1000,
      10,
    );
    expect(answer).toBe("answer 3");
  });

  test("an election still running at the end of the window rejects with its answer", async () => {
    let calls = 0;
    const error = await hedged(
      () => {
        calls++;
        return Promise.reject(electing());
      },
      100,
      10,
    ).catch((caught: unknown) => caught);
    expect((error as JetStreamApiError).apiError().err_code).toBe(10008);
    expect(calls).toBeGreaterThan(1);
  });

  test("an error that is not silence ends it at once", async () => {
    let calls = 0;
    await expect(
      hedged(
        () => {
          calls++;
          return Promise.reject(new Error("stream not found"));
        },
        1000,
        10,
      ),
    ).rejects.toThrow("stream not found");
    expect(calls).toBe(1);
  });

  test("the window's end ends it while calls are still pending, so the caller asks anew", async () => {
    let calls = 0;
    const started = Date.now();
    // Each call would time out only after 2 s, long after the 200 ms window.
    const error = await hedged(
      () => {
        calls++;
        return new Promise<never>((_, reject) => setTimeout(() => reject(timeout()), 2000));
      },
      200,
      20,
    ).catch((caught: unknown) => caught);
    expect(String(error)).toMatch(/took longer than 200 ms/);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(calls).toBeGreaterThan(5);
  });

  test("every request timing out rejects with the timeout after the window", async () => {
    let calls = 0;
    await expect(
      hedged(
        () => {
          calls++;
          return new Promise<never>((_, reject) => setTimeout(() => reject(timeout()), 20));
        },
        50,
        10,
      ),
    ).rejects.toThrow("took longer");
    expect(calls).toBeGreaterThan(1);
  });
});

function mirrorInfo(active: number, replicas: number, mirror = true): StreamInfo {
  return {
    config: { name: "audit", num_replicas: replicas, ...(mirror ? { mirror: { name: "audit" } } : {}) },
    ...(mirror ? { mirror: { name: "audit", lag: 0, active } } : {}),
  } as unknown as StreamInfo;
}

describe("mirror nudge", () => {
  test("a replicated mirror silent for three heartbeats is stalled", () => {
    expect(mirrorStalled(mirrorInfo(8.5e9, 3))).toBe(true);
    expect(mirrorStalled(mirrorInfo(-1, 3))).toBe(true);
    expect(mirrorStalled(mirrorInfo(0.9e9, 3))).toBe(false);
  });

  test("a mirror with one replica or a primary is never stepped down", () => {
    expect(mirrorStalled(mirrorInfo(8.5e9, 1))).toBe(false);
    expect(mirrorStalled(mirrorInfo(8.5e9, 3, false))).toBe(false);
  });
});
