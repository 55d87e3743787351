// A server older than 2.12 cannot promote a mirror in place; the provider must say so before
// it touches anything: the peer stays unfenced and the mirror stays a mirror.
import { execFileSync } from "node:child_process";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { streamProvider } from "../../streams/streamProvider";
import { legacyNatsServerBinary, type TwoDomains } from "../harness";
import { checked, eventually, rawStreamInputs } from "../support/provider";
import { closeRegions, openRegions } from "../support/regions";

const legacy = legacyNatsServerBinary();
let regions: TwoDomains;
let east: NatsConnection;
let west: NatsConnection;

beforeAll(async () => {
  if (!legacy) return;
  // Each test file runs in its own worker process, so this only affects this file's servers.
  process.env["NATS_SERVER_BIN"] = legacy;
  process.env["NATS_DR_HARNESS_OLD_SERVER"] = "1";
  ({ regions, east, west } = await openRegions({ clustered: false }));
});

afterAll(() => closeRegions({ regions, east, west }));

describe.skipIf(!legacy)("old server", () => {
  test("promotion on nats-server < 2.12 fails with an upgrade message and changes nothing", async () => {
    expect(execFileSync(legacy!, ["--version"]).toString()).toMatch(/v2\.11\./);
    const spec = { name: "orders", subjects: ["orders.*"] };
    await streamProvider.create(
      await checked(streamProvider, rawStreamInputs(regions.east, regions.west, "primary", spec)),
    );
    const mirror = await streamProvider.create(
      await checked(streamProvider, rawStreamInputs(regions.west, regions.east, "mirror", spec)),
    );
    await (await jetstreamManager(east)).jetstream().publish("orders.created", new TextEncoder().encode("1"));
    await eventually(
      "mirrored",
      async () => (await (await jetstreamManager(west)).streams.info("orders")).state.messages === 1,
    );

    const promote = await checked(streamProvider, rawStreamInputs(regions.west, regions.east, "primary", spec));
    await expect(streamProvider.update("id", mirror.outs, promote)).rejects.toThrow(
      /the NATS server in domain "eu-central-1" \(version 2\.11\.\d+\) cannot promote a mirror in place; nats-server 2\.12\.0 or newer is required.*Nothing was changed/,
    );
    expect((await (await jetstreamManager(west)).streams.info("orders")).config.mirror?.external?.api).toBe(
      "$JS.us-east-1.API",
    );
    const peer = await (await jetstreamManager(east)).streams.info("orders");
    expect(peer.config.subjects).toEqual(["orders.*"]);
    expect(peer.config.metadata?.["natsdr.fenced-by"]).toBeUndefined();
  });

  test("an interest stream's mirror on nats-server < 2.14 is refused before anything changes", async () => {
    const spec = { name: "payments", subjects: ["payments.*"], retention: "interest" };
    await streamProvider.create(
      await checked(streamProvider, rawStreamInputs(regions.east, regions.west, "primary", spec)),
    );
    await expect(
      streamProvider.create(await checked(streamProvider, rawStreamInputs(regions.west, regions.east, "mirror", spec))),
    ).rejects.toThrow(
      /stream payments: the NATS server in domain "eu-central-1" \(version 2\.11\.\d+\) cannot mirror an interest-retention stream the way nats-dr does; nats-server 2\.14\.0 or newer is required in both regions.*Nothing was changed\./,
    );
    await expect((await jetstreamManager(west)).streams.info("payments")).rejects.toThrow(/stream not found/);
    expect((await (await jetstreamManager(east)).streams.info("payments")).state.consumer_count).toBe(0);
  });
});
