// Moved to drill/local/server.ts (the drill runs local servers too); re-exported for the tests.
export * from "../../drill/local/server";
