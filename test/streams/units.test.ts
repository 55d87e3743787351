import { describe, expect, test } from "vitest";
import { canonicalDuration, canonicalSize, formatDuration, parseDuration, parseSize } from "../../streams/units";

describe("units", () => {
  test("durations parse to nanoseconds", () => {
    expect(parseDuration("7d")).toEqual({ nanos: 7 * 86400e9 });
    expect(parseDuration("1h30m")).toEqual({ nanos: 5400e9 });
    expect(parseDuration("250ms")).toEqual({ nanos: 250e6 });
    expect(parseDuration("0")).toEqual({ nanos: 0 });
    expect(parseDuration("90d")).toEqual({ nanos: 90 * 86400e9 });
  });

  test("equal durations have one canonical spelling", () => {
    expect(canonicalDuration("168h")).toBe("7d");
    expect(canonicalDuration("1w")).toBe("7d");
    expect(canonicalDuration("14d")).toBe("14d");
    expect(canonicalDuration("120s")).toBe("2m");
    expect(canonicalDuration("90d")).toBe("90d");
    expect(canonicalDuration("30s")).toBe("30s");
    expect(formatDuration(1500e6)).toBe("1500ms");
  });

  test("bad durations name the fix", () => {
    for (const bad of ["7x", "", "d7", "7 d", "-1s", "1.5.3h"]) {
      const result = parseDuration(bad);
      expect(result, bad).toHaveProperty("error");
      expect((result as { error: string }).error).toContain('"30s"');
    }
  });

  test("sizes parse to bytes and format canonically", () => {
    expect(parseSize("10Gi")).toEqual({ bytes: 10 * 1024 ** 3 });
    expect(parseSize("5GB")).toEqual({ bytes: 5e9 });
    expect(parseSize(1024)).toEqual({ bytes: 1024 });
    expect(parseSize("unlimited")).toEqual({ bytes: -1 });
    expect(canonicalSize("10240Mi")).toBe("10Gi");
    expect(canonicalSize("1000")).toBe("1000");
    expect(canonicalSize(-1)).toBe("unlimited");
  });

  test("bad sizes name the fix", () => {
    for (const bad of ["10Gb", "ten", "1.5B", "-5", 1.5, -2]) {
      const result = parseSize(bad);
      expect(result, String(bad)).toHaveProperty("error");
    }
  });
});
