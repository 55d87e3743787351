// The field schemas every part of the stack config shares (infra/config/fields.ts).
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { pinnedImage, strictObject } from "../../infra/config/fields";
import { cidr } from "../../infra/config/kubernetesValues";

const problem = (schema: z.ZodType, value: unknown) => {
  const parsed = schema.safeParse(value);
  return parsed.success ? undefined : parsed.error.issues.map((issue) => issue.message).join("; ");
};

describe("pinned images", () => {
  const image = pinnedImage("nats:2.14.9-alpine");

  it.each([
    "nats:2.14.9-alpine",
    "natsio/prometheus-nats-exporter:0.20.1",
    "registry.example.com:5000/team/nats:2.14.9",
    "registry.example.com:5000/nats@sha256:" + "a".repeat(64),
    "nats:2.14.9@sha256:" + "b".repeat(64),
  ])("%s is pinned", (reference) => {
    expect(problem(image, reference)).toBeUndefined();
  });

  it.each([
    [
      "nats",
      '"nats" is not pinned; give a version tag such as "nats:2.14.9-alpine" or a digest "@sha256:...", never "latest"',
    ],
    [
      "nats:latest",
      '"nats:latest" is not pinned; give a version tag such as "nats:2.14.9-alpine" or a digest "@sha256:...", never "latest"',
    ],
    [
      "registry.example.com:5000/nats",
      '"registry.example.com:5000/nats" is not pinned; give a version tag such as "nats:2.14.9-alpine" or a digest "@sha256:...", never "latest"',
    ],
    ["Nats 2.14", '"Nats 2.14" is not an image reference; write e.g. "nats:2.14.9-alpine"'],
    ["nats@sha256:short", '"nats@sha256:short" is not an image reference; write e.g. "nats:2.14.9-alpine"'],
    [42, 'must be a string, an image such as "nats:2.14.9-alpine"'],
  ])("%s is refused", (reference, message) => {
    expect(problem(image, reference)).toBe(message);
  });
});

describe("strict objects", () => {
  it("name the unknown field and the known ones, and a missing required object reads its own message", () => {
    const schema = strictObject({ hostname: z.string() }, "is not set; give the client hostname");
    expect(problem(schema, { hostname: "a", hostnme: "b" })).toMatch(/hostnme/);
    expect(problem(schema, undefined)).toBe("is not set; give the client hostname");
  });
});

describe("CIDR ranges (zod's parsers)", () => {
  const range = cidr();
  it.each(["10.20.0.0/16", "0.0.0.0/0", "2600:1f18::/56"])("%s is a range", (value) => {
    expect(problem(range, value)).toBeUndefined();
  });
  it.each(["10.20.0.0/33", "300.1.1.1/8", "10.20.0.0", "2600:1f18::/129", "vpc-peer"])("%s is refused", (value) => {
    expect(problem(range, value)).toBe(
      'is not a CIDR range; write it like "10.20.0.0/16" (the other region\'s VPC) or "2600:1f18::/56"',
    );
  });
});
