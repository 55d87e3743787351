// Reading `nats-dr:*` from Pulumi's config store (the only impure part of infra/config).
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { gatherStackConfig, readStackConfig } from "../../infra/config";
import { promiseOf, recordingMocks } from "./support";

beforeAll(async () => {
  await pulumi.runtime.setMocks(recordingMocks([]), "nats-dr", "us-east-1", false);
});

const base = {
  "aws:region": "us-east-1",
  "nats-dr:region": "us-east-1",
  "nats-dr:activeRegion": "us-east-1",
  "nats-dr:regions": JSON.stringify({ "us-east-1": { servers: ["nats://nats.us-east-1.internal:4222"] } }),
  "nats-dr:dns": JSON.stringify({ hostedZoneId: "Z0123456789EXAMPLE", hostname: "nats.example.com" }),
};

describe("config read", () => {
  it("parses structured values and keeps credentials as secret Outputs", async () => {
    pulumi.runtime.setAllConfig(
      {
        ...base,
        "nats-dr:allowDeleteWithMessages": "true",
        "nats-dr:natsUser": "op",
        "nats-dr:natsPassword": "pw-value",
      },
      ["nats-dr:natsPassword"],
    );
    const raw = gatherStackConfig();
    expect(raw.region).toBe("us-east-1");
    expect(raw.regions).toEqual({ "us-east-1": { servers: ["nats://nats.us-east-1.internal:4222"] } });
    expect(raw.allowDeleteWithMessages).toBe(true);
    expect(raw.unknownKeys).toEqual([]);
    expect(pulumi.Output.isInstance(raw.natsPassword)).toBe(true);
    expect(await pulumi.isSecret(raw.natsPassword!)).toBe(true);
    expect(await pulumi.isSecret(raw.natsUser!)).toBe(true);
    expect(await promiseOf(raw.natsPassword!)).toBe("pw-value");
    expect(raw.natsToken).toBeUndefined();
    const config = readStackConfig();
    expect(config.credentialsMethod).toBe("userPassword");
    expect(config.allowDeleteWithMessages).toBe(true);
  });

  it("passes a value that is not JSON on as text, for the schema to reject", () => {
    pulumi.runtime.setAllConfig({ ...base, "nats-dr:connection": "fast" }, []);
    expect(gatherStackConfig().connection).toBe("fast");
  });

  it("reports keys of the nats-dr namespace it does not read", () => {
    pulumi.runtime.setAllConfig({ ...base, "nats-dr:activeregion": "eu-central-1", "nats-dr:zone": "a" }, []);
    expect(gatherStackConfig().unknownKeys).toEqual(["activeregion", "zone"]);
  });

  it("prints the problems once and throws a summary", () => {
    pulumi.runtime.setAllConfig({ ...base, "nats-dr:activeRegion": "moon" }, []);
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    expect(() => readStackConfig()).toThrow("nats-dr: 1 configuration problem; see above");
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors.mock.calls[0]![0]).toBe(
      'nats-dr: 1 configuration problem; nothing was changed:\n  - nats-dr:activeRegion: "moon" is not one of the project regions (nats-dr:regionPair in Pulumi.yaml: us-east-1, eu-central-1); set it to "us-east-1" or "eu-central-1"',
    );
    errors.mockRestore();
  });
});
