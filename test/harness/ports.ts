// Moved to drill/local/ports.ts (the drill runs local servers too); re-exported for the tests.
export * from "../../drill/local/ports";
