// Where a promotion can move a consumer in place (nats-server's consumer reset) rather than
// delete and re-create it, and the server versions that can.
import { describe, expect, it } from "vitest";
import { serverAtLeast } from "../../streams/client";
import { movableInPlace, type PlannedReposition } from "../../streams/reposition";

function plan(start: PlannedReposition["start"], current: PlannedReposition["current"]): PlannedReposition {
  return { name: "worker", start, current, config: { durable_name: "worker" } };
}

describe("reposition", () => {
  it("reads server versions, pre-releases included", () => {
    expect(serverAtLeast("2.14.9", 2, 14)).toBe(true);
    expect(serverAtLeast("2.14.0-beta.2", 2, 14)).toBe(true);
    expect(serverAtLeast("2.13.5", 2, 14)).toBe(false);
    expect(serverAtLeast("3.0.0", 2, 14)).toBe(true);
    expect(serverAtLeast(undefined, 2, 12)).toBe(false);
  });

  it("moves in place from 2.14 on, by sequence, from deliver all or an earlier start sequence", () => {
    expect(movableInPlace("2.14.9", plan({ seq: 61 }, { deliver_policy: "all" }))).toBe(true);
    expect(movableInPlace("2.12.3", plan({ seq: 61 }, { deliver_policy: "all" }))).toBe(false);
    expect(
      movableInPlace("2.14.9", plan({ seq: 61 }, { deliver_policy: "by_start_sequence", opt_start_seq: 61 })),
    ).toBe(true);
    // The server refuses to reset below the configured start ("below start seq").
    expect(
      movableInPlace("2.14.9", plan({ seq: 60 }, { deliver_policy: "by_start_sequence", opt_start_seq: 61 })),
    ).toBe(false);
    // ... and from new, last and last_per_subject ("not allowed"); by_start_time is not tried.
    for (const policy of ["new", "last", "last_per_subject", "by_start_time"] as const)
      expect(movableInPlace("2.14.9", plan({ seq: 61 }, { deliver_policy: policy }))).toBe(false);
    // A start by time is re-created with by_start_time.
    expect(movableInPlace("2.14.9", plan({ time: "2026-12-08T00:00:00Z" }, { deliver_policy: "all" }))).toBe(false);
  });
});
