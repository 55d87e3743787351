import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../../infra/config";
import { parsed, promiseOf, rawConfig, servers } from "./support";

describe("stack config", () => {
  it("fills in the documented defaults", () => {
    const config = parsed(rawConfig("us-east-1"));
    expect(config.region).toBe("us-east-1");
    expect(config.activeRegion).toBe("us-east-1");
    expect(config.regions).toEqual({
      "us-east-1": { domain: "us-east-1", servers: servers["us-east-1"] },
      "eu-central-1": { domain: "eu-central-1", servers: [] },
    });
    expect(config.connection).toEqual({
      servers: servers["us-east-1"],
      connectTimeoutMs: 5000,
      requestTimeoutMs: 5000,
    });
    expect(config.failover).toEqual({
      peerTimeoutMs: 3000,
      peerSettleMs: 15000,
      catchupTimeoutMs: 30000,
      consumerDrainTimeoutMs: 5000,
      unplannedConsumerRewind: "unlimited",
    });
    expect(config.allowDeleteWithMessages).toBe(false);
    expect(config.allowRecreateOverMirror).toEqual([]);
    expect(config.adoptStreams).toEqual([]);
    expect(config.credentials).toBeUndefined();
    expect(config.credentialsMethod).toBe("none");
    expect(config.catalog.streams.map((stream) => stream.spec.name)).toEqual([
      "audit",
      "audit-eu-gdpr",
      "events",
      "events-eu-gdpr",
      "metrics",
      "notifications",
    ]);
  });

  it("uses the stack's own region servers for the connection", () => {
    const config = parsed(
      rawConfig("eu-central-1", {
        regions: {
          "eu-central-1": { servers: ["nats://a:4222", "tls://b:4222"], domain: "eu" },
          "us-east-1": { domain: "us" },
        },
        connection: { connectTimeoutMs: 1000 },
      }),
    );
    expect(config.connection).toEqual({
      servers: ["nats://a:4222", "tls://b:4222"],
      connectTimeoutMs: 1000,
      requestTimeoutMs: 5000,
    });
    expect(config.regions["eu-central-1"]?.domain).toBe("eu");
    expect(config.regions["us-east-1"]).toEqual({ domain: "us", servers: [] });
  });

  it("takes failover timeouts and allowDeleteWithMessages", () => {
    const config = parsed(rawConfig("us-east-1", { failover: { peerTimeoutMs: 1500 }, allowDeleteWithMessages: true }));
    expect(config.failover).toEqual({
      peerTimeoutMs: 1500,
      peerSettleMs: 15000,
      catchupTimeoutMs: 30000,
      consumerDrainTimeoutMs: 5000,
      unplannedConsumerRewind: "unlimited",
    });
    expect(config.allowDeleteWithMessages).toBe(true);
  });

  it("takes the streams allowed to be re-created over a mirror", () => {
    const config = parsed(rawConfig("us-east-1", { allowRecreateOverMirror: ["events"] }));
    expect(config.allowRecreateOverMirror).toEqual(["events"]);
  });

  it("takes the streams to adopt", () => {
    expect(parsed(rawConfig("us-east-1", { adoptStreams: ["events"] })).adoptStreams).toEqual(["events"]);
  });

  it("combines natsUser and natsPassword into one secret", async () => {
    const config = parsed(
      rawConfig("us-east-1", { natsUser: pulumi.secret("dr-operator"), natsPassword: pulumi.secret("s3cret") }),
    );
    expect(config.credentialsMethod).toBe("userPassword");
    expect(await pulumi.isSecret(config.credentials!)).toBe(true);
    expect(await promiseOf(config.credentials!)).toEqual({ user: "dr-operator", password: "s3cret" });
  });

  it("keeps a token or a creds file secret", async () => {
    const token = parsed(rawConfig("us-east-1", { natsToken: pulumi.secret("t0ken") }));
    expect(token.credentialsMethod).toBe("token");
    expect(await pulumi.isSecret(token.credentials!)).toBe(true);
    expect(await promiseOf(token.credentials!)).toEqual({ token: "t0ken" });

    const creds = parsed(rawConfig("us-east-1", { natsCreds: pulumi.secret("-----BEGIN NATS USER JWT-----") }));
    expect(creds.credentialsMethod).toBe("creds");
    expect(await pulumi.isSecret(creds.credentials!)).toBe(true);
  });

  it("marks credentials secret even when handed a plain Output", async () => {
    const config = parsed(rawConfig("us-east-1", { natsToken: pulumi.output("t0ken") }));
    expect(await pulumi.isSecret(config.credentials!)).toBe(true);
  });

  it("never puts a secret value into a problem message", () => {
    const result = parseStackConfig(
      rawConfig("us-east-1", {
        natsPassword: pulumi.secret("hunter2-password"),
        natsToken: pulumi.secret("hunter2-token"),
      }),
    );
    expect("problems" in result).toBe(true);
    const text = JSON.stringify(result);
    expect(text).not.toContain("hunter2");
  });

  it("rejects a credential passed as plain text instead of an Output", () => {
    const result = parseStackConfig(rawConfig("us-east-1", { natsToken: "plain-token" }));
    expect(result).toEqual({ problems: [expect.stringMatching(/^nats-dr:natsToken: read it with config.getSecret/)] });
    expect(JSON.stringify(result)).not.toContain("plain-token");
  });
});
