// Moved to drill/local/relay.ts (the drill runs local servers too); re-exported for the tests.
export * from "../../drill/local/relay";
