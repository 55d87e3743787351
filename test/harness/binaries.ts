// Moved to drill/local/binaries.ts (the drill runs local servers too); re-exported for the tests.
export * from "../../drill/local/binaries";
