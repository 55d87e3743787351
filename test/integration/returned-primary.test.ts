// The split-brain window after an unplanned failover, against two real JetStream domains: the old
// primary comes back writable, the active stack's next `pulumi up` fences it (the provider run as
// the engine runs it), its own stack's `pulumi up` then demotes it keeping every message it
// acknowledged; a silent peer is left alone; re-runs change nothing.
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { describe, expect, test } from "vitest";
import { consumerProvider } from "../../streams/consumerProvider";
import { streamProvider, type StreamState } from "../../streams/streamProvider";
import { fenceSubject, MetadataKeys } from "../../streams/wire";
import { waitForLink } from "../harness";
import { upStream, type Tracked, type UpOperation } from "../support/engine";
import { checked, eventually, rawConsumerInputs, readStream, startPublisher } from "../support/provider";
import { useRegions } from "../support/regions";

const fixture = useRegions({ clustered: false });

const jsm = (nc: NatsConnection) => jetstreamManager(nc);

type Run = Tracked & { op: UpOperation };

/** us-east-1's stack (activeRegion eu-central-1 after the failover: it declares mirrors). */
const upEast = (role: "primary" | "mirror", spec: Record<string, unknown>, state?: Tracked) =>
  upStream(fixture.regions.east, fixture.regions.west, role, spec, state);
/** eu-central-1's stack. */
const upWest = (role: "primary" | "mirror", spec: Record<string, unknown>, state?: Tracked) =>
  upStream(fixture.regions.west, fixture.regions.east, role, spec, state);

/** A pair as the stacks leave it with activeRegion us-east-1, and the worker consumer in both. */
async function pair(name: string): Promise<{ spec: Record<string, unknown>; eastStack: Run; westStack: Run }> {
  const spec = { name, subjects: [`${name}.*`] };
  const eastStack = await upEast("primary", spec);
  const westStack = await upWest("mirror", spec);
  for (const region of [fixture.regions.east, fixture.regions.west]) {
    await consumerProvider.create(
      await checked(consumerProvider, rawConsumerInputs(region, name, { name: `${name}-worker` })),
    );
  }
  return { spec, eastStack, westStack };
}

describe("returned primary", () => {
  test("the active stack's up fences the old primary that came back writable; its own up then demotes it, every acknowledged message kept", async () => {
    const name = "comeback";
    const setup = await pair(name);
    let { eastStack, westStack } = setup;
    const { spec } = setup;
    // Services in both regions keep publishing with ids, retrying until a stream acknowledges.
    const inEast = startPublisher(fixture.east, `${name}.x`, { prefix: "east", intervalMs: 5 });
    const inWest = startPublisher(fixture.west, `${name}.x`, { prefix: "west", intervalMs: 5 });
    let fence: StreamState["lastPeerFence"];
    try {
      await eventually("writes acknowledged", async () => inEast.acked.size > 20);
      // us-east-1 is cut off (its region "dies"); eu-central-1 promotes unplanned.
      fixture.regions.relay.cut();
      const cutAt = inEast.acked.size;
      await eventually("us-east-1 takes writes nobody mirrors", async () => inEast.acked.size > cutAt + 10);
      westStack = await upWest("primary", spec, westStack);
      expect(westStack.outs.lastPromotion?.mode).toBe("unplanned");
      // A later run while us-east-1 is still away asks it briefly and changes nothing.
      expect((await upWest("primary", spec, westStack)).op).toBe("same");

      // us-east-1 comes back: both regions store what is published (the split-brain window).
      fixture.regions.relay.heal();
      await waitForLink(fixture.regions);
      const eastBack = inEast.acked.size;
      await eventually("us-east-1 acknowledges writes again", async () => inEast.acked.size > eastBack + 10);

      // The active stack's next plain up: check sees the returned primary, the update fences it.
      westStack = await upWest("primary", spec, westStack);
      expect(westStack.op).toBe("update");
      expect(westStack.inputs["live"]).toMatchObject({ role: "primary", returnedPeer: { domain: "us-east-1" } });
      expect(westStack.outs.live).toBeUndefined();
      fence = westStack.outs.lastPeerFence;
      expect(fence).toMatchObject({ fenced: true, peerDomain: "us-east-1", pausedConsumers: [`${name}-worker`] });
      expect(fence?.reason).toMatch(/^peer returned as primary: will fence\./);
      const fenced = await (await jsm(fixture.east)).streams.info(name);
      expect(fenced.config.subjects).toEqual([fenceSubject("us-east-1", name)]);
      expect(fenced.config.metadata?.[MetadataKeys.fencedBy]).toBe("eu-central-1");
      expect(fenced.config.metadata?.[MetadataKeys.fencedSubjects]).toBe(JSON.stringify([`${name}.*`]));
      expect((await (await jsm(fixture.east)).consumers.info(name, `${name}-worker`)).paused).toBe(true);

      // From now on us-east-1 stores nothing: its services' writes are stored by eu-central-1.
      const afterFence = inEast.acked.size;
      await eventually("us-east-1's services acknowledged again", async () => inEast.acked.size > afterFence + 10);
      expect((await (await jsm(fixture.east)).streams.info(name)).state.last_seq).toBe(fence?.peerLastSequence);
      const lateAcks = [...inEast.acked.values()].slice(afterFence + 1);
      expect(lateAcks.filter((ack) => (ack.domain ?? "us-east-1") !== "eu-central-1")).toEqual([]);

      // Idempotent: a further up of the active stack changes nothing.
      expect((await upWest("primary", spec, westStack)).op).toBe("same");
    } finally {
      await inEast.stop();
      await inWest.stop();
    }

    // The returned region's own stack: the demotion keeps what it stored as orphans.
    eastStack = await upEast("mirror", spec, eastStack);
    expect(eastStack.op).toBe("replace");
    const demotion = eastStack.outs.lastDemotion!;
    expect(demotion.orphanCount).toBeGreaterThan(10);
    // Nothing it kept was stored after the fence.
    expect(demotion.orphanLastSequence).toBeLessThanOrEqual(fence!.peerLastSequence!);
    const kept = await readStream(fixture.east, "us-east-1", demotion.orphanStream);
    expect(kept).toHaveLength(demotion.orphanCount);
    const activeIds = new Set((await readStream(fixture.west, "eu-central-1", name)).map((message) => message.id));
    const keptIds = new Set(kept.map((message) => message.headers["Nats-Dr-Original-Msg-Id"]));
    // Every acknowledged message, by either region, is in the active stream or among the orphans.
    const acknowledged = [...inEast.acked.keys(), ...inWest.acked.keys()];
    expect(acknowledged.length).toBeGreaterThan(60);
    expect(acknowledged.filter((id) => !activeIds.has(id) && !keptIds.has(id))).toEqual([]);
    // The orphans include the writes us-east-1 took while cut off, which eu-central-1 lacks.
    expect([...keptIds].filter((id) => !activeIds.has(id)).length).toBeGreaterThan(10);
    expect(eastStack.outs.pendingOrphans).toEqual([{ stream: demotion.orphanStream, messages: demotion.orphanCount }]);

    // Converged: neither stack changes anything now; the active one no longer finds a returned peer.
    expect((await upWest("primary", spec, westStack)).op).toBe("same");
    expect((await upEast("mirror", spec, eastStack)).op).toBe("same");
  });

  test("an update whose peer went silent after check fences nothing and fails nothing", async () => {
    const name = "silentpeer";
    const setup = await pair(name);
    let { westStack } = setup;
    const { spec } = setup;
    await (await jsm(fixture.east)).jetstream().publish(`${name}.x`, "one", { msgID: "one" });
    await eventually("mirrored", async () => (await (await jsm(fixture.west)).streams.info(name)).state.messages === 1);
    fixture.regions.relay.cut();
    try {
      westStack = await upWest("primary", spec, westStack);
      expect(westStack.outs.lastPromotion?.mode).toBe("unplanned");
      // check saw the old primary back (as a stack run racing the link would), then it went away.
      const news = { ...(westStack.inputs as unknown as StreamState) };
      const live = { role: "primary" as const, returnedPeer: { domain: "us-east-1", lastSequence: 1 } };
      const { outs } = await streamProvider.update("id", westStack.outs, { ...news, live });
      expect(outs.lastPeerFence).toMatchObject({ fenced: false, peerDomain: "us-east-1" });
      expect(outs.lastPeerFence?.reason).toMatch(/did not answer within \d+ ms \(no responders.*not fenced/);
      expect(outs.role).toBe("primary");
    } finally {
      fixture.regions.relay.heal();
    }
    await waitForLink(fixture.regions);
    const eastInfo = await (await jsm(fixture.east)).streams.info(name);
    expect(eastInfo.config.subjects).toEqual([`${name}.*`]);
    // Back: the next up fences it.
    westStack = await upWest("primary", spec, westStack);
    expect(westStack.outs.lastPeerFence).toMatchObject({ fenced: true, peerLastSequence: 1 });
  });
});
