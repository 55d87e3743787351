// Moved to drill/local/wait.ts (the drill runs local servers too); re-exported for the tests.
export * from "../../drill/local/wait";
