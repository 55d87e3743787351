// Moved to drill/local/cleanup.ts (the drill runs local servers too); re-exported for the tests.
export * from "../../drill/local/cleanup";
