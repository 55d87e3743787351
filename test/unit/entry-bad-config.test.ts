// The stack entry with invalid config: it must stop before registering any resource.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { recordingMocks } from "./support";
import type { Registration } from "./support";

const registrations: Registration[] = [];
let printed = "";
let failure: unknown;

beforeAll(async () => {
  await pulumi.runtime.setMocks(recordingMocks(registrations), "nats-dr", "eu-central-1", false);
  pulumi.runtime.setAllConfig(
    {
      "nats-dr:region": "eu-central-1",
      "nats-dr:activeRegion": "eu-west-1",
      "nats-dr:regions": JSON.stringify({ "eu-central-1": { servers: ["nats://nats.eu-central-1.internal:4222"] } }),
      "nats-dr:dns": JSON.stringify({ hostedZoneId: "Z0123456789EXAMPLE", hostname: "nats.example.com" }),
      "nats-dr:catalog": JSON.stringify({
        streams: { events: { maxAge: "7x" } },
        consumers: { billing: { stream: "orders" } },
      }),
      "nats-dr:natsUser": "operator",
      "nats-dr:natsPassword": "bad-config-pa55word",
    },
    ["nats-dr:natsPassword"],
  );
  const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
  try {
    await import("../../infra/index.js");
  } catch (error) {
    failure = error;
  }
  printed = errors.mock.calls.map((call) => call.join(" ")).join("\n");
  errors.mockRestore();
  // Give any (wrongly) started registration a turn of the event loop to reach the mock.
  await new Promise((resolve) => setImmediate(resolve));
});

describe("stack entry with bad config", () => {
  it("throws one error that counts the problems", () => {
    expect(failure).toBeInstanceOf(pulumi.RunError);
    expect((failure as Error).message).toBe("nats-dr: 3 configuration problems; see above");
  });

  it("prints every problem in one block, each with its key path", () => {
    expect(printed.split("\n")).toEqual([
      "nats-dr: 3 configuration problems; nothing was changed:",
      '  - nats-dr:activeRegion: "eu-west-1" is not one of the project regions (nats-dr:regionPair in Pulumi.yaml: us-east-1, eu-central-1); set it to "us-east-1" or "eu-central-1"',
      expect.stringMatching(/^ {2}- nats-dr:catalog\.streams\.events\.maxAge: "7x" is not a duration;/),
      expect.stringMatching(
        /^ {2}- nats-dr:catalog\.consumers\.billing\.stream: stream "orders" is not in the catalog;/,
      ),
    ]);
    expect(printed).not.toContain("bad-config-pa55word");
  });

  it("registers no resource at all", () => {
    expect(registrations).toEqual([]);
  });
});
