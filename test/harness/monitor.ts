// Moved to drill/local/monitor.ts (the drill runs local servers too); re-exported for the tests.
export * from "../../drill/local/monitor";
