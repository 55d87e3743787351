// Comparing what regions stored with what publishers were told.
import { describe, expect, it } from "vitest";
import { compareSequences, duplicateIds, missingIds, type StoredIds } from "../../drill/verify";

const ids = (entries: [number, string][]): StoredIds => new Map(entries);

describe("drill verification", () => {
  it("a caught-up mirror matches its primary at every sequence", () => {
    const primary = ids([
      [1, "a"],
      [2, "b"],
      [4, "d"],
    ]);
    const comparison = compareSequences(
      "events",
      "us-east-1",
      primary,
      "eu-central-1",
      ids([
        [1, "a"],
        [2, "b"],
        [4, "d"],
      ]),
    );
    expect(comparison).toMatchObject({
      mismatches: 0,
      missingInMirror: [],
      extraInMirror: [],
      differentIds: [],
      primary: { count: 3, first: 1, last: 4 },
    });
  });

  it("missing ranges, extra sequences and diverged ids are all reported", () => {
    const primary = ids([
      [1, "a"],
      [2, "b"],
      [3, "c"],
      [4, "d"],
      [5, "e"],
      [7, "g"],
    ]);
    const mirror = ids([
      [1, "a"],
      [2, "x"],
      [6, "f"],
    ]);
    const comparison = compareSequences("events", "us-east-1", primary, "eu-central-1", mirror);
    expect(comparison.missingInMirror).toEqual(["3-5", "7"]);
    expect(comparison.extraInMirror).toEqual(["6"]);
    expect(comparison.differentIds).toEqual([{ seq: 2, primary: "b", mirror: "x" }]);
    expect(comparison.mismatches).toBe(5);
  });

  it("duplicate ids and missing acknowledgements", () => {
    expect(
      duplicateIds(
        ids([
          [1, "a"],
          [2, "a"],
          [3, "b"],
          [4, "a"],
        ]),
      ),
    ).toBe(2);
    expect(missingIds(["a", "b", "c", "d"], [ids([[1, "a"]]), ids([[9, "c"]])])).toEqual(["b", "d"]);
  });
});
