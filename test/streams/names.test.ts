import { describe, expect, test } from "vitest";
import { nameProblem, subjectProblem, subjectsOverlap } from "../../streams/names";

describe("names", () => {
  test("valid stream names pass, invalid ones say what is allowed", () => {
    expect(nameProblem("events-eu-gdpr", "stream")).toBeUndefined();
    for (const bad of ["a.b", "a b", "a*", "a>", "a/b", "", "x".repeat(256)]) {
      expect(nameProblem(bad, "stream"), bad).toMatch(/letters, digits/);
    }
  });

  test("subjects follow token rules", () => {
    for (const good of ["events.*", "audit.>", "a", "a.*.c", ">"]) expect(subjectProblem(good), good).toBeUndefined();
    expect(subjectProblem("a..b")).toMatch(/empty token/);
    expect(subjectProblem("a.>.b")).toMatch(/">"/);
    expect(subjectProblem("a.b*")).toMatch(/"\*"/);
    expect(subjectProblem("a b")).toMatch(/whitespace/);
    expect(subjectProblem("")).toMatch(/empty subject/);
  });

  test("overlapping subjects are found", () => {
    expect(subjectsOverlap("events.*", "events.created")).toBe(true);
    expect(subjectsOverlap("events.>", "events.a.b")).toBe(true);
    expect(subjectsOverlap("*.pii", "eu.*")).toBe(true);
    expect(subjectsOverlap("gdpr.*", "gdpr.access-log.*")).toBe(false);
    expect(subjectsOverlap("events.*", "eu.events.*")).toBe(false);
    expect(subjectsOverlap("a.>", "a")).toBe(false);
    expect(subjectsOverlap("a.*", "a.*.b")).toBe(false);
  });
});
