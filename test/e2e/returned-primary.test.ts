// Issue 15 item 5 with the real Pulumi CLI: after an unplanned failover the old primary comes back
// writable; the active stack's preview says it will fence it, its `pulumi up` does (while the peer
// was away it changed nothing), a re-run changes nothing, and the returned region's own `pulumi up`
// then demotes it keeping every message it acknowledged as orphans.
import { jetstream, jetstreamManager, type PubAck } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clients } from "../../drill/load/connections";
import type { StreamEvidence } from "../../infra/streams";
import type { DefaultRegion } from "../../infra/config/regions";
import { readStream } from "../support/provider";
import { startDeployedWorld, stopWorld, type E2eWorld } from "./support";

let world: E2eWorld;
let clients: Clients;

beforeAll(async () => {
  ({ world, clients } = await startDeployedWorld("returned"));
}, 300_000);

afterAll(() => stopWorld(world, clients), 60_000);

async function evidenceOf(region: DefaultRegion): Promise<Record<string, StreamEvidence>> {
  return (await world.stacks[region].outputs())["failoverEvidence"]!.value as Record<string, StreamEvidence>;
}

/** The resources a run updated (the engine's summary), 0 when none. */
const updates = (summary: Record<string, number> | undefined) => summary?.["update"] ?? 0;

describe("e2e returned primary", { timeout: 300_000 }, () => {
  it("the active stack fences the old primary that came back; its own stack then keeps every acknowledged message", async () => {
    const acks = new Map<string, PubAck>();
    const east = jetstream(await clients.get("observe", "us-east-1"));
    const publish = async (prefix: string, count: number) => {
      for (let index = 0; index < count; index++) {
        const id = `${prefix}-${index}`;
        acks.set(id, await east.publish("orders.new", id, { msgID: id }));
      }
    };
    await publish("before", 5);
    const westJsm = await jetstreamManager(await clients.get("observe", "eu-central-1"));
    await expect.poll(async () => (await westJsm.streams.info("orders")).state.last_seq, { timeout: 15_000 }).toBe(5);

    // us-east-1 is cut off; its writes never replicate. eu-central-1 promotes unplanned.
    world.local.link.cut("reset");
    await world.setActiveRegion("eu-central-1");
    await publish("stranded", 4);
    await world.stacks["eu-central-1"].up();
    // While us-east-1 is away the active stack's runs ask it briefly and change nothing.
    const away = await world.stacks["eu-central-1"].preview();
    expect(away.stdout).not.toContain("peer returned as primary");
    expect(updates(away.changeSummary)).toBe(0);

    // us-east-1 is back: its primaries take writes again, and both regions store them.
    world.local.link.heal();
    await world.local.waitForLink();
    await publish("split", 3);
    const eastJsm = await jetstreamManager(await clients.get("observe", "us-east-1"));
    expect((await eastJsm.streams.info("orders")).config.subjects).toEqual(["orders.*"]);

    // The active stack's preview says what its up will do; the up fences both streams.
    const preview = await world.stacks["eu-central-1"].preview();
    // Pulumi prints each plan line under the stack's diagnostics (and once more while running).
    const lines = preview.stdout
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line.startsWith("failover plan for ") && line.includes("peer returned as primary"));
    expect(lines).toHaveLength(2);
    expect(lines.join("\n")).toMatch(
      /failover plan for eu-central-1: orders: fence-peer: peer returned as primary: will fence\./,
    );
    expect(preview.stdout).toContain("jetstream-stream-orders update [diff: +live]");
    expect(updates(preview.changeSummary)).toBe(2);
    const up = await world.stacks["eu-central-1"].up();
    expect(up.summary.resourceChanges?.["update"]).toBe(2);
    const fenced = await evidenceOf("eu-central-1");
    expect(fenced["orders"]!.lastPeerFence).toMatchObject({ fenced: true, peerDomain: "us-east-1" });
    expect(fenced["orders"]!.lastPeerFence?.pausedConsumers).toEqual(["settle"]);
    const info = await eastJsm.streams.info("orders");
    expect(info.config.subjects).toEqual(["natsdr.fenced.us-east-1.orders"]);
    expect(info.state.last_seq).toBe(fenced["orders"]!.lastPeerFence?.peerLastSequence);

    // Writes through us-east-1 now land in eu-central-1 only.
    await publish("after", 3);
    for (let index = 0; index < 3; index++) expect(acks.get(`after-${index}`)?.domain).toBe("eu-central-1");
    expect((await eastJsm.streams.info("orders")).state.last_seq).toBe(info.state.last_seq);

    // Idempotent: the next run changes nothing.
    const again = await world.stacks["eu-central-1"].up();
    expect(again.summary.resourceChanges?.["update"] ?? 0).toBe(0);

    // The returned region's own stack demotes, keeping what it stored as orphans.
    await world.stacks["us-east-1"].up();
    const kept = (await evidenceOf("us-east-1"))["orders"]!.pendingOrphans;
    expect(kept).toHaveLength(1);
    const orphans = await readStream(await clients.get("observe", "us-east-1"), "us-east-1", kept[0]!.stream);
    const keptIds = new Set(orphans.map((message) => message.headers["Nats-Dr-Original-Msg-Id"]));
    const active = await readStream(await clients.get("observe", "eu-central-1"), "eu-central-1", "orders");
    const activeIds = new Set(active.map((message) => message.id));
    // Every acknowledged message is in the active stream or among the orphans; the stranded ones are orphans.
    expect([...acks.keys()].filter((id) => !activeIds.has(id) && !keptIds.has(id))).toEqual([]);
    for (let index = 0; index < 4; index++) expect(keptIds.has(`stranded-${index}`)).toBe(true);
    expect(keptIds.has("after-0")).toBe(false);
    expect((await world.stacks["eu-central-1"].preview()).stdout).not.toContain("peer returned as primary");
  });
});
