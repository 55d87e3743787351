// A server older than 2.12 cannot promote a mirror in place; the provider must say so, and
// must not leave the stream half-changed.
import { execFileSync } from "node:child_process";
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { streamProvider } from "../../streams/streamProvider";
import { connectApp, legacyNatsServerBinary, startStandalone, type Standalone } from "../harness";
import { checked, rawStreamInputs } from "../support/provider";

const legacy = legacyNatsServerBinary();
let server: Standalone;

beforeAll(async () => {
  if (!legacy) return;
  // Each test file runs in its own worker process, so this only affects this file's servers.
  process.env["NATS_SERVER_BIN"] = legacy;
  server = await startStandalone({ domain: "eu-central-1" });
});

afterAll(async () => {
  await server?.stop();
});

describe.skipIf(!legacy)("old server", () => {
  test("old server - promotion on nats-server < 2.12 fails with an upgrade message", async () => {
    const version = execFileSync(legacy!, ["--version"]).toString();
    expect(version).toMatch(/v2\.11\./);
    const here = { domain: "eu-central-1", clientUrls: [server.clientUrl] };
    const peer = { domain: "us-east-1", clientUrls: [] };
    const mirror = await streamProvider.create(await checked(streamProvider, rawStreamInputs(here, peer, "mirror", { name: "orders", subjects: ["orders.*"] })));
    const promote = await checked(streamProvider, rawStreamInputs(here, peer, "primary", { name: "orders", subjects: ["orders.*"] }));
    await expect(streamProvider.update!("id", mirror.outs, promote)).rejects.toThrow(
      /the NATS server in domain "eu-central-1" \(version 2\.11\.\d+\) cannot promote a mirror in place; nats-server 2\.12\.0 or newer is required/,
    );
    const nc = await connectApp([server.clientUrl]);
    const info = await (await jetstreamManager(nc)).streams.info("orders");
    await nc.close();
    expect(info.config.mirror?.external?.api).toBe("$JS.us-east-1.API");
  });
});
