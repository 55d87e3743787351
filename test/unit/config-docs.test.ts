// docs/configuration.md: every key is documented, and every catalog example is valid config.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configKeys } from "../../infra/config";
import { parsed, rawConfig } from "./support";
import { load } from "js-yaml";

const text = readFileSync(join(__dirname, "..", "..", "docs", "configuration.md"), "utf8");
const yamlExamples = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]!);

describe("configuration docs", () => {
  it("list every key the program reads", () => {
    for (const key of configKeys) expect(text).toContain(`\`nats-dr:${key}\``);
  });

  it("every catalog example parses into a valid config", () => {
    const examples = yamlExamples.filter((example) => !example.includes("<stream name>"));
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const example of examples) {
      const { "nats-dr:catalog": catalog } = load(example) as { "nats-dr:catalog": unknown };
      const config = parsed(rawConfig("eu-central-1", { catalog }));
      expect(config.catalog.streams.length).toBeGreaterThan(0);
    }
  });
});
