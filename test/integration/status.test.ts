// npm run status against two real JetStream domains: the retention report (bytes and oldest
// message against maxBytes/maxAge), each server's file store from /jsz (used, reserved, limit),
// and a mirror whose origin was re-created shown as broken (issue 14, item 2; issue 15, item 6).
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectStatus, isHealthy, type RegionTarget } from "../../drill/status/collect";
import { renderStatus } from "../../drill/status/render";
import { streamProvider } from "../../streams/streamProvider";
import { CREDENTIALS, type Region, type TwoDomains } from "../harness";
import { checked, eventually, rawStreamInputs } from "../support/provider";
import { closeRegions, openRegions } from "../support/regions";

let regions: TwoDomains;
let east: NatsConnection;
let west: NatsConnection;

beforeAll(async () => {
  ({ regions, east, west } = await openRegions({ clustered: false }));
}, 120_000);

afterAll(() => closeRegions({ regions, east, west }));

const target = (name: string, region: Region): RegionTarget => ({
  region: name,
  domain: region.domain,
  servers: region.clientUrls,
  monitors: region.servers.map((server) => `http://127.0.0.1:${server.monitorPort}`),
});

const status = () =>
  collectStatus([target("us-east-1", regions.east), target("eu-central-1", regions.west)], CREDENTIALS.app, 3000);

const spec = { name: "ledger", subjects: ["ledger.*"], maxBytes: "8Mi", maxAge: "1h" };

async function createPair() {
  await streamProvider.create(
    await checked(streamProvider, rawStreamInputs(regions.east, regions.west, "primary", spec)),
  );
  await streamProvider.create(
    await checked(streamProvider, rawStreamInputs(regions.west, regions.east, "mirror", spec)),
  );
}

async function publish(nc: NatsConnection, count: number) {
  const js = (await jetstreamManager(nc)).jetstream();
  for (let index = 0; index < count; index++) await js.publish("ledger.entry", new Uint8Array(1000));
}

describe("status against real servers", () => {
  it("retention of each stream against its limits, and each server's file store", async () => {
    await createPair();
    await publish(east, 50);
    await eventually(
      "mirror at 50",
      async () => (await (await jetstreamManager(west)).streams.info("ledger")).state.last_seq >= 50,
    );

    const report = await status();
    expect(isHealthy(report)).toBe(true);
    const ledger = report[0]!.streams.find((stream) => stream.name === "ledger")!;
    expect(ledger.retention).toMatchObject({
      policy: "limits",
      maxBytes: 8 * 1024 ** 2,
      maxAgeMs: 3_600_000,
      maxMsgs: null,
    });
    expect(ledger.retention.oldestAgeMs).toBeGreaterThanOrEqual(0);
    expect(ledger.retention.oldestAgeMs).toBeLessThan(3_600_000);
    expect(ledger.state.bytes).toBeGreaterThan(50 * 1000);

    const store = report[0]!.monitors[0]!.store!;
    // The stream's maxBytes is reserved on the server when it is placed; the limit is the
    // harness's max_file_store (2GB, which nats-server reads as 2 GiB).
    expect(store.reservedBytes).toBeGreaterThanOrEqual(8 * 1024 ** 2);
    expect(store.usedBytes).toBeGreaterThanOrEqual(ledger.state.bytes);
    expect(store.limitBytes).toBe(2 * 1024 ** 3);

    const text = renderStatus(report);
    expect(text).toMatch(/ledger +limits +\d+\.\d KiB +8\.0 MiB +\d+% +[\d.]+ (ms|s) +1\.0 h +0%/);
    expect(text).toMatch(/\d+\.\d (KiB|MiB) +8\.0 MiB \(0%\) +2\.0 GiB/);
    expect(text).not.toContain("BROKEN");
  });

  it("a mirror whose origin was re-created is shown broken, and the status is unhealthy", async () => {
    const manager = await jetstreamManager(east);
    await manager.streams.delete("ledger");
    await manager.streams.add({ name: "ledger", subjects: ["ledger.*"], max_bytes: 8 * 1024 ** 2 });
    await publish(east, 3);

    const report = await status();
    expect(report[1]!.findings?.map(({ region, stream }) => `${region}/${stream}`)).toEqual(["eu-central-1/ledger"]);
    expect(report[1]!.findings?.[0]?.problem).toMatch(
      /^its origin ledger in us-east-1 was re-created \(created .*; the mirror copied the one created .*\), so it holds the old stream's messages and none of the new one's$/,
    );
    expect(report[0]!.findings).toBeUndefined();
    expect(isHealthy(report)).toBe(false);
    expect(renderStatus(report)).toContain("BROKEN mirror ledger: its origin ledger in us-east-1 was re-created");
  });
});
