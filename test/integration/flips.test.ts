// Any order of flips against real servers: the provider run as the engine runs it (check with the
// old inputs, diff against the state, then create/update/delete), so a stack that ran only half of
// a failover and then the other stack with activeRegion flipped back converge, and every
// acknowledged message is kept.
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { consumerProvider } from "../../streams/consumerProvider";
import { waitForLink, type TwoDomains } from "../harness";
import { checked, eventually, rawConsumerInputs, readStream, startPublisher } from "../support/provider";
import { upStream, type Tracked } from "../support/engine";
import { closeRegions, openRegions } from "../support/regions";

let regions: TwoDomains;
let east: NatsConnection;
let west: NatsConnection;

beforeAll(async () => {
  ({ regions, east, west } = await openRegions({ clustered: false }));
});

afterAll(() => closeRegions({ regions, east, west }));

type Side = "east" | "west";

/** One `pulumi up` of one stream resource of `side`'s stack, as the engine runs it. */
function up(side: Side, role: "primary" | "mirror", spec: Record<string, unknown>, state?: Tracked) {
  const [here, peer] = side === "east" ? [regions.east, regions.west] : [regions.west, regions.east];
  return upStream(here, peer, role, spec, state);
}

const jsm = (nc: NatsConnection) => jetstreamManager(nc);

async function idsIn(nc: NatsConnection, domain: string, stream: string): Promise<Set<string>> {
  return new Set((await readStream(nc, domain, stream)).flatMap((message) => (message.id ? [message.id] : [])));
}

describe("flips", () => {
  test("flip to eu-central-1 running only its stack, then back running only us-east-1's: both converge, nothing lost", async () => {
    const spec = { name: "flipflop", subjects: ["flipflop.*"] };
    let eastStack = await up("east", "primary", spec);
    let westStack = await up("west", "mirror", spec);
    for (const region of [regions.east, regions.west]) {
      await consumerProvider.create(
        await checked(consumerProvider, rawConsumerInputs(region, "flipflop", { name: "flipflop-worker" })),
      );
    }
    const publisher = startPublisher(east, "flipflop.x", { prefix: "ff", intervalMs: 5 });
    try {
      await eventually("some messages acknowledged", async () => publisher.acked.size > 20);
      // activeRegion eu-central-1; only the eu-central-1 stack runs (planned: us-east-1 fenced).
      westStack = await up("west", "primary", spec, westStack);
      expect(westStack.outs.lastPromotion?.mode).toBe("planned");
      const fencedAt = publisher.acked.size;
      await eventually("eu-central-1 acknowledges writes", async () => publisher.acked.size > fencedAt + 20);

      // activeRegion us-east-1 again. The eu-central-1 stack first: it refuses, naming the state
      // and the one way out, and changes nothing.
      await expect(up("west", "mirror", spec, westStack)).rejects.toThrow(
        /stream flipflop in "eu-central-1" is a writable primary .*stream flipflop in "us-east-1" is a primary, fenced by "eu-central-1".*Nothing was changed\. Way out: .*Run `pulumi up` in the us-east-1 stack with activeRegion "us-east-1": it makes its copy a mirror of this one/,
      );
      expect((await (await jsm(west)).streams.info("flipflop")).config.mirror).toBeUndefined();

      // The us-east-1 stack: its state says primary, unchanged; check sees the fence, so a plain
      // up is an update that re-syncs from eu-central-1 and takes over (planned).
      eastStack = await up("east", "primary", spec, eastStack);
      expect(eastStack.op).toBe("update");
      expect(eastStack.inputs["live"]).toMatchObject({ role: "primary", fencedBy: "eu-central-1" });
      expect(eastStack.outs.live).toBeUndefined();
      expect(eastStack.outs.lastDemotion).toMatchObject({ orphanCount: 0 });
      expect(eastStack.outs.lastPromotion).toMatchObject({ mode: "planned", fromDomain: "eu-central-1" });
      expect(eastStack.outs.lastPromotion?.reason).toMatch(/took writes since it fenced this stream/);
      const eastInfo = await (await jsm(east)).streams.info("flipflop");
      expect(eastInfo.config.subjects).toEqual(["flipflop.*"]);
      expect((await (await jsm(east)).consumers.info("flipflop", "flipflop-worker")).paused).toBeFalsy();
      const resumedAt = publisher.acked.size;
      await eventually("us-east-1 acknowledges writes again", async () => publisher.acked.size > resumedAt + 20);

      // The eu-central-1 stack now demotes, nothing to keep.
      westStack = await up("west", "mirror", spec, westStack);
      expect(westStack.op).toBe("replace");
      expect(westStack.outs.lastDemotion).toMatchObject({ orphanCount: 0 });
    } finally {
      await publisher.stop();
    }
    const acked = [...publisher.acked.keys()];
    expect(acked.length).toBeGreaterThan(60);
    const inEast = await idsIn(east, "us-east-1", "flipflop");
    expect(acked.filter((id) => !inEast.has(id))).toEqual([]);
    await eventually("the mirror holds every acknowledged message", async () => {
      const inWest = await idsIn(west, "eu-central-1", "flipflop");
      return acked.every((id) => inWest.has(id));
    });
    // Converged: a further plain up of either stack changes nothing.
    expect((await up("east", "primary", spec, eastStack)).op).toBe("same");
    expect((await up("west", "mirror", spec, westStack)).op).toBe("same");
  });

  test("flipped back while the peer is down: the fenced primary is taken over unplanned, the peer's demotion keeps what it stored", async () => {
    const spec = { name: "flipdown", subjects: ["flipdown.*"] };
    let eastStack = await up("east", "primary", spec);
    let westStack = await up("west", "mirror", spec);
    for (const region of [regions.east, regions.west]) {
      await consumerProvider.create(
        await checked(consumerProvider, rawConsumerInputs(region, "flipdown", { name: "flipdown-worker" })),
      );
    }
    const eastJs = (await jsm(east)).jetstream();
    for (let index = 0; index < 5; index++)
      await eastJs.publish("flipdown.x", `before-${index}`, { msgID: `before-${index}` });
    await eventually("mirrored", async () => (await (await jsm(west)).streams.info("flipdown")).state.messages === 5);
    westStack = await up("west", "primary", spec, westStack);
    const westJs = (await jsm(west)).jetstream();
    for (let index = 0; index < 3; index++)
      await westJs.publish("flipdown.x", `west-${index}`, { msgID: `west-${index}` });

    regions.relay.cut();
    try {
      eastStack = await up("east", "primary", spec, eastStack);
      expect(eastStack.op).toBe("update");
      expect(eastStack.outs.lastPromotion).toMatchObject({ mode: "unplanned", fromDomain: "eu-central-1" });
      expect(eastStack.outs.lastPromotion?.reason).toMatch(/did not answer within \d+ ms \(no responders/);
      expect(eastStack.outs.lastPromotion?.reason).not.toMatch(/jetstream is not enabled/);
      const info = await (await jsm(east)).streams.info("flipdown");
      expect(info.config.subjects).toEqual(["flipdown.*"]);
      // The peer's fence marker is gone, the consumer its promotion paused delivers again.
      expect((await readStream(east, "us-east-1", "flipdown")).map((message) => message.subject)).toEqual(
        Array(5).fill("flipdown.x"),
      );
      expect((await (await jsm(east)).consumers.info("flipdown", "flipdown-worker")).paused).toBeFalsy();
      for (let index = 0; index < 2; index++) {
        const ack = await eastJs.publish("flipdown.x", `east-${index}`, { msgID: `east-${index}` });
        expect(ack.domain ?? "us-east-1").toBe("us-east-1");
      }
    } finally {
      regions.relay.heal();
    }
    await waitForLink(regions);
    westStack = await up("west", "mirror", spec, westStack);
    expect(westStack.op).toBe("replace");
    expect(westStack.outs.lastDemotion).toMatchObject({ orphanCount: 3 });
    const orphanStream = westStack.outs.lastDemotion!.orphanStream;
    const kept = await readStream(west, "eu-central-1", orphanStream);
    expect(new Set(kept.map((message) => message.headers["Nats-Dr-Original-Msg-Id"]))).toEqual(
      new Set(["west-0", "west-1", "west-2"]),
    );
    const inEast = await idsIn(east, "us-east-1", "flipdown");
    expect([...inEast].sort()).toEqual(
      ["before-0", "before-1", "before-2", "before-3", "before-4", "east-0", "east-1"].sort(),
    );
  });
});
