// The shipped Pulumi.yaml and stack settings files yield a valid config for each region.
// js-yaml is the YAML parser @pulumi/pulumi itself depends on.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { readStackConfig } from "../../infra/config";
import { planRegionStreams } from "../../infra/streams";
import { recordingMocks } from "./support";
import { load } from "js-yaml";

const root = join(__dirname, "..", "..");

type ProjectFile = { name: string; main?: string; config: Record<string, { default?: unknown }> };
type StackFile = { config: Record<string, unknown> };

const yamlFile = <T>(name: string) => load(readFileSync(join(root, name), "utf8")) as T;

/** The config map Pulumi hands the program: project defaults, then stack values (objects as JSON). */
function configFor(stack: string): Record<string, string> {
  const project = yamlFile<ProjectFile>("Pulumi.yaml");
  const settings = yamlFile<StackFile>(`Pulumi.${stack}.yaml`);
  const values: Record<string, unknown> = {
    ...Object.fromEntries(Object.entries(project.config).map(([key, declared]) => [key, declared.default])),
    ...settings.config,
  };
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
  );
}

beforeAll(async () => {
  await pulumi.runtime.setMocks(recordingMocks([]), "nats-dr", "stack-files", false);
});

/** What `pulumi config set --secret` adds to each stack file (encrypted there). */
const operatorSecrets = {
  "nats-dr:appPassword": "app-pa55word",
  "nats-dr:leafnodePassword": "leaf-pa55word",
};

describe("stack files", () => {
  it("the project is nats-dr with activeRegion defaulting to us-east-1", () => {
    const project = yamlFile<ProjectFile>("Pulumi.yaml");
    expect(project.name).toBe("nats-dr");
    expect(project.main).toBeUndefined();
    expect(project.config["nats-dr:activeRegion"]).toMatchObject({ type: "string", default: "us-east-1" });
  });

  for (const stack of ["us-east-1", "eu-central-1"] as const) {
    it(`Pulumi.${stack}.yaml plus the secrets an operator sets gives a valid ${stack} config`, () => {
      const values = configFor(stack);
      expect(values["aws:region"]).toBe(stack);
      pulumi.runtime.setAllConfig({ ...values, ...operatorSecrets }, Object.keys(operatorSecrets));
      const config = readStackConfig();
      expect(config.kubernetes).toBeDefined();
      expect(config.region).toBe(stack);
      expect(config.activeRegion).toBe("us-east-1");
      expect(config.connection.servers).toEqual([`nats://nats.${stack}.internal:4222`]);
      const roles = Object.fromEntries(planRegionStreams(config).map((stream) => [stream.name, stream.role]));
      expect(roles["events"]).toBe(stack === "us-east-1" ? "primary" : "mirror");
    });
  }

  it("without the secrets, preview stops and says which to set and how", () => {
    pulumi.runtime.setAllConfig(configFor("us-east-1"), []);
    const errors: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args.join(" "));
    try {
      expect(() => readStackConfig()).toThrow(/configuration problems/);
    } finally {
      console.error = original;
    }
    const printed = errors.join("\n");
    expect(printed).toMatch(
      /nats-dr:appPassword: is not set but nats-dr:kubernetes is; .*pulumi config set --secret nats-dr:appPassword/,
    );
    expect(printed).toMatch(/nats-dr:leafnodePassword: is not set/);
  });
});
