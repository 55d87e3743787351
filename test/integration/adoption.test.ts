// Issue 8, item 7: streams made by scripts before nats-dr are taken over (nats-dr:adoptStreams ->
// the input `adopt`) only when they already are what the catalog declares, and nothing about them
// changes but nats-dr's metadata. Against two real JetStream domains joined by a leafnode.
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { streamProvider, type StreamState } from "../../streams/streamProvider";
import { streamWireConfig } from "../../streams/wire";
import { checked, eventually, rawStreamInputs } from "../support/provider";
import { closeRegions, openRegions, type RegionsWithClients } from "../support/regions";

let fixture: RegionsWithClients | undefined;
const regions = () => fixture!.regions;

beforeAll(async () => {
  fixture = await openRegions({ clustered: false });
});

afterAll(() => closeRegions(fixture ?? {}));

function streamInputs(side: "east" | "west", role: "primary" | "mirror", spec: Record<string, unknown>, adopt = true) {
  const { east, west } = regions();
  const [here, peer] = side === "east" ? [east, west] : [west, east];
  return checked(streamProvider, rawStreamInputs(here, peer, role, spec, adopt ? { adopt: true } : {}));
}

/** Creates the stream `inputs` declares as a script would: the same settings, none of nats-dr's metadata. */
async function createByHand(nc: NatsConnection, inputs: StreamState, metadata: Record<string, string> = {}) {
  const config = streamWireConfig(inputs.spec, inputs.role, inputs.peerDomain, {});
  await (await jetstreamManager(nc)).streams.add({ ...config, metadata });
}

async function publish(nc: NatsConnection, subject: string, count: number) {
  const js = (await jetstreamManager(nc)).jetstream();
  for (let index = 0; index < count; index++) await js.publish(subject, new TextEncoder().encode(`m-${index}`));
}

const metadataOf = async (nc: NatsConnection, name: string) =>
  (await (await jetstreamManager(nc)).streams.info(name)).config.metadata ?? {};

describe("stream adoption", { timeout: 120_000 }, () => {
  test("a stream nats-dr did not create is refused without adoptStreams, naming the key", async () => {
    const inputs = await streamInputs("east", "primary", { name: "scripted", subjects: ["scripted.*"] }, false);
    await createByHand(fixture!.east, inputs);
    await expect(streamProvider.create(inputs)).rejects.toThrow(
      /^stream scripted already exists in domain "us-east-1" and was not created by nats-dr\. To manage it as it is, add it to nats-dr:adoptStreams \(pulumi config set --path 'nats-dr:adoptStreams\[0\]' scripted\)/,
    );
  });

  test("settings that differ from the catalog are named and nothing changes", async () => {
    const spec = { name: "drifted", subjects: ["drifted.*"], maxAge: "1d" };
    await createByHand(fixture!.east, await streamInputs("east", "primary", spec), { owner: "script" });
    await publish(fixture!.east, "drifted.a", 3);
    const declared = await streamInputs("east", "primary", { ...spec, maxAge: "7d", subjects: ["drifted.>"] });
    await expect(streamProvider.create(declared)).rejects.toThrow(
      /^stream drifted already exists .* nats-dr:adoptStreams lists it, but it is not what the catalog declares, and adopting it would change it: maxAge is "7d" in the catalog but "1d" on the server; subjects is \["drifted.>"\] in the catalog but \["drifted.\*"\] on the server\. Nothing was changed\. Make nats-dr:catalog\.streams\.drifted say what the stream has/,
    );
    const info = await (await jetstreamManager(fixture!.east)).streams.info("drifted");
    expect(info.config.max_age).toBe(86_400 * 1e9);
    expect(info.config.metadata).toMatchObject({ owner: "script" });
    expect(info.config.metadata).not.toHaveProperty("natsdr.managed");
    expect(info.state.messages).toBe(3);
  });

  test("a primary declared a mirror is refused: adopt it where it is the primary", async () => {
    const spec = { name: "wrongrole", subjects: ["wrongrole.*"] };
    await createByHand(fixture!.west, await streamInputs("west", "primary", spec));
    await expect(streamProvider.create(await streamInputs("west", "mirror", spec))).rejects.toThrow(
      /cannot be adopted: it is a primary here but this stack declares it a mirror\. Nothing was changed\. Adopt it in the stack of the region where it is the primary/,
    );
  });

  test("a matching primary and its hand-made mirror are adopted with their messages and user metadata", async () => {
    const spec = { name: "legacy", subjects: ["legacy.*"], maxBytes: "64Mi" };
    const primary = await streamInputs("east", "primary", spec);
    const mirror = await streamInputs("west", "mirror", spec);
    await createByHand(fixture!.east, primary, { owner: "script" });
    await createByHand(fixture!.west, mirror);
    await publish(fixture!.east, "legacy.a", 5);
    await eventually(
      "the hand-made mirror at 5",
      async () => (await (await jetstreamManager(fixture!.west)).streams.info("legacy")).state.messages === 5,
    );

    const adopted = await streamProvider.create(primary);
    expect(adopted.id).toBe("us-east-1/legacy");
    expect(await metadataOf(fixture!.east, "legacy")).toMatchObject({
      owner: "script",
      "natsdr.managed": "true",
      "natsdr.instance": adopted.outs.instance,
    });
    expect((await (await jetstreamManager(fixture!.east)).streams.info("legacy")).state).toMatchObject({
      messages: 5,
      last_seq: 5,
    });

    const adoptedMirror = await streamProvider.create(mirror);
    expect(await metadataOf(fixture!.west, "legacy")).toMatchObject({ "natsdr.managed": "true" });
    // The mirror held the primary's own messages: its origin is proven and recorded.
    expect(await metadataOf(fixture!.west, "legacy")).toHaveProperty("natsdr.origin-created");
    expect(adoptedMirror.outs.role).toBe("mirror");
  });
});
