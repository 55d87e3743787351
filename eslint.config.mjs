// One linter: typescript-eslint with type information. Chosen over Biome because nearly every
// failover step is async, and its type-checked no-floating-promises, no-misused-promises and
// await-thenable catch the promise nobody awaits: the bug class that loses a fence or an ack.
// Layout is Prettier's job, so no stylistic rules are turned on here.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  {
    ignores: ["node_modules/", ".tools/", ".pulumi/", "coverage/", "bench/results/", "drill-output/", "dist/"],
  },
  js.configs.recommended,
  {
    files: ["**/*.ts"],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `return promise` inside try/catch/finally skips the catch and runs the finally (closing a
      // connection, releasing a fence) before the promise settles.
      "@typescript-eslint/return-await": ["error", "in-try-catch"],
      // Same rule as tsc's noUnusedLocals: a key taken out of an object by rest destructuring is
      // how a copy without it is made.
      "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
      // Off: the async functions without an await implement interfaces that want a Promise
      // (a provider's check and diff, mock providers, eventually's probes). A forgotten await
      // inside an async function is caught at the call by no-floating-promises.
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    // The dynamic provider is serialized by Pulumi as a closure: a module object it captured
    // would be serialized with it, so its packages are require()d inside the functions that use
    // them (typed with `as typeof import(...)`).
    files: ["streams/**/*.ts"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // @pulumi/aws and @pulumi/kubernetes load only when a stack declares their resources.
    files: ["infra/packages.ts"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { process: "readonly", __dirname: "readonly", console: "readonly" },
    },
  },
);
