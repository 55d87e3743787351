// Moved to drill/alerts/promtool.ts (the drill evaluates the rules too); re-exported for the tests.
export * from "../../drill/alerts/promtool";
