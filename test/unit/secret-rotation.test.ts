// Issue 8, item 6, under Pulumi mocks: what one `pulumi up` after a password change updates. The
// servers read their passwords from the environment at start, so the pod template must change
// with them (checksum/credentials: the rolling update the Kubernetes provider waits for); the
// provider signs in with nats-dr:appPassword itself, so its credentials change in the same run,
// in resources that register only once the StatefulSet's update returned (the last test; the
// real engine returns it after the rollout). test/integration/secret-rotation.test.ts shows
// against a real server why that order matters. Nothing else changes: no config text, no other
// object.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { fullRecordingMocks, type FullRegistration } from "./awsMocks";
import { programConfig, programSecretKeys, runProgram } from "./program";

function differences(before: unknown, after: unknown, path = ""): string[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;
  if (!isObject(before) || !isObject(after)) return [path];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.flatMap((key) => differences(before[key], after[key], path ? `${path}.${key}` : key));
}

/** "<resource>: <input path>" for every input that differs between two runs of the program. */
function changedInputs(before: Map<string, FullRegistration>, after: Map<string, FullRegistration>): string[] {
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  return [...before].flatMap(([key, registration]) =>
    differences(registration.inputs, after.get(key)!.inputs).map((path) => `${registration.name}: ${path}`),
  );
}

const runs: Record<string, Map<string, FullRegistration>> = {};
const run = async (label: string, stack: "us-east-1" | "eu-central-1", overrides: Record<string, string>) => {
  vi.resetModules();
  runs[label] = await runProgram(stack, "us-east-1", () => import("../../infra/index.js"), overrides);
};

beforeAll(async () => {
  await run("east", "us-east-1", {});
  await run("east-app", "us-east-1", { "nats-dr:appPassword": "app-rotated-pa55word" });
  await run("west", "eu-central-1", {});
  await run("west-leaf", "eu-central-1", { "nats-dr:leafnodePassword": "leaf-rotated-pa55word" });
  await run("west-system", "eu-central-1", { "nats-dr:systemPassword": "sys-pa55word" });
}, 120_000);

const streams = ["audit", "events", "metrics", "notifications"];
const consumers = (run: Map<string, FullRegistration>) =>
  [...run.values()].filter((r) => r.type.endsWith("JetStreamConsumer")).map((r) => r.name);

describe("secret rotation", () => {
  it("a new appPassword reaches the Secret, rolls the servers and changes the provider's credentials", () => {
    const before = runs["east"]!;
    const after = runs["east-app"]!;
    expect(changedInputs(before, after).sort()).toEqual(
      [
        "nats-credentials: stringData.value.app-password",
        "nats-credentials: stringData.value.conf-app-password",
        "nats-statefulset: spec.template.metadata.annotations.checksum/credentials",
        // The checkpointer reads the app password at start: it restarts with the servers.
        "checkpointer-deployment: spec.template.metadata.annotations.checksum/credentials",
        "jetstream-checkpoints: credentials.value.password",
        "jetstream-acks: credentials.value.password",
        ...streams.map((name) => `jetstream-stream-${name}: credentials.value.password`),
        ...consumers(before).map((name) => `${name}: credentials.value.password`),
      ].sort(),
    );
    const annotations = (r: Map<string, FullRegistration>) =>
      (
        r.get("kubernetes:apps/v1:StatefulSet::nats-statefulset")!.inputs["spec"] as {
          template: { metadata: { annotations: Record<string, string> } };
        }
      ).template.metadata.annotations;
    // 8 hex digits, not the password; the config text (and its checksum) stays.
    expect(annotations(after)["checksum/credentials"]).toMatch(/^[0-9a-f]{8}$/);
    expect(annotations(after)["checksum/config"]).toBe(annotations(before)["checksum/config"]);
    // Secrets (`value` inside the secret wrapper), except the checksum, which is none.
    const credentials = (r: Map<string, FullRegistration>) =>
      r.get("pulumi-nodejs:dynamic/natsdr:JetStreamStream::jetstream-stream-events")!.inputs["credentials"];
    expect(credentials(after)).toMatchObject({ value: { user: "app", password: "app-rotated-pa55word" } });
  });

  it("a new leafnodePassword or systemPassword rolls the servers and touches no stream", () => {
    expect(changedInputs(runs["west"]!, runs["west-leaf"]!).sort()).toEqual(
      [
        "nats-credentials: stringData.value.conf-leafnode-password",
        "nats-credentials: stringData.value.conf-leafnode-url-1",
        "nats-credentials: stringData.value.leafnode-password",
        "nats-statefulset: spec.template.metadata.annotations.checksum/credentials",
        // One checksum over every password: the checkpointer restarts with the servers.
        "checkpointer-deployment: spec.template.metadata.annotations.checksum/credentials",
      ].sort(),
    );
    const system = changedInputs(runs["west"]!, runs["west-system"]!);
    expect(system).toContain("nats-statefulset: spec.template.metadata.annotations.checksum/credentials");
    expect(system.filter((line) => /jetstream-(stream|consumer)/.test(line))).toEqual([]);
  });

  it("the streams and consumers register (and so sign in) only after the StatefulSet's update returned", async () => {
    // The real engine returns a StatefulSet's update once its rollout is done; here it takes 300 ms.
    const registrations: FullRegistration[] = [];
    const events: string[] = [];
    const base = fullRecordingMocks(registrations, undefined, "us-east-1");
    vi.resetModules();
    await pulumi.runtime.setMocks(
      {
        newResource: async (args) => {
          events.push(`register ${args.name}`);
          if (args.type === "kubernetes:apps/v1:StatefulSet") {
            await new Promise((resolve) => setTimeout(resolve, 300));
            events.push(`rolled out ${args.name}`);
          }
          return base.newResource(args);
        },
        call: (args) => base.call(args),
      },
      "nats-dr",
      "us-east-1",
      true,
    );
    pulumi.runtime.setAllConfig(programConfig("us-east-1", "us-east-1"), programSecretKeys);
    await import("../../infra/index.js");
    const jetstream = () => events.filter((event) => /^register jetstream-(stream|consumer)-/.test(event));
    for (let waited = 0; jetstream().length < streams.length + 3; waited += 20) {
      if (waited > 10_000) throw new Error(`the streams never registered: ${events.join(", ")}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const rolledOut = events.indexOf("rolled out nats-statefulset");
    expect(events.indexOf("register nats-credentials")).toBeLessThan(events.indexOf("register nats-statefulset"));
    expect(rolledOut).toBeGreaterThan(0);
    for (const event of jetstream()) expect(events.indexOf(event), event).toBeGreaterThan(rolledOut);
  });
});
