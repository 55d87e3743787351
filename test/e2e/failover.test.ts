// What users do with Pulumi, with the real CLI: the first `pulumi up` of both region stacks, the
// preview of a flip, a planned failover and a failback by `pulumi up` under continuous publishing,
// drift seen by `pulumi refresh` and repaired by `pulumi up`, bad config, `pulumi stack export`
// and `pulumi destroy`'s guard. One world (two local regions, two stacks) for the whole file: each
// test continues from the state the previous one left.
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DefaultRegion } from "../../infra/config/regions";
import type { Clients } from "../../drill/load/connections";
import { Publisher } from "../../drill/load/publisher";
import { Router } from "../../drill/load/router";
import { StepCollector } from "../../drill/pulumi/events";
import { readStream } from "../support/provider";
import { appClients, runPulumi, startE2eWorld, type E2eWorld } from "./support";

let world: E2eWorld;
let clients: Clients;
const started = performance.now();
const clock = () => performance.now() - started;

const replicated = ["events", "orders"];
const streamResources = replicated.map((stream) => `jetstream-stream-${stream}`);

async function connection(region: DefaultRegion): Promise<NatsConnection> {
  return clients.get("observe", region);
}

async function outputsOf(region: DefaultRegion): Promise<Record<string, unknown>> {
  const outputs = await world.stacks[region].outputs();
  return Object.fromEntries(Object.entries(outputs).map(([key, output]) => [key, output.value as unknown]));
}

/** Message ids stored in `stream` of `region`. */
async function storedIds(region: DefaultRegion, stream: string): Promise<Set<string>> {
  const messages = await readStream(await connection(region), world.local.regions[region].domain, stream);
  return new Set(messages.flatMap((message) => (message.id === undefined ? [] : [message.id])));
}

/** Publishes into both replicated streams through `router` while `during` runs; returns the acks. */
async function publishDuring(router: Router, runId: string, during: () => Promise<void>): Promise<Publisher> {
  const publisher = new Publisher(
    replicated.map((stream) => ({ stream, subjects: [`${stream}.e2e`] })),
    clients,
    router,
    clock,
    {
      rate: 100,
      size: 64,
      window: 16,
      attemptTimeoutMs: 1000,
      backoffMs: { initial: 20, max: 250 },
      drainTimeoutMs: 20_000,
    },
    runId,
  );
  publisher.start();
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    await during();
    await new Promise((resolve) => setTimeout(resolve, 500));
  } finally {
    await publisher.pause();
  }
  return publisher;
}

/** Acknowledged ids of `publisher` that `region`'s streams do not hold. */
async function missingIn(region: DefaultRegion, publisher: Publisher): Promise<string[]> {
  const stored = new Map<string, Set<string>>();
  for (const stream of replicated) stored.set(stream, await storedIds(region, stream));
  return [...publisher.acks.values()].filter((ack) => !stored.get(ack.stream)!.has(ack.id)).map((ack) => ack.id);
}

beforeAll(async () => {
  world = await startE2eWorld("failover");
  clients = appClients(world);
}, 300_000);

afterAll(async () => {
  await clients?.close();
  await world?.stop();
}, 60_000);

describe("e2e failover", { timeout: 300_000 }, () => {
  it("the first pulumi up of each stack makes primaries in us-east-1 and mirrors in eu-central-1", async () => {
    const east = await world.stacks["us-east-1"].up();
    const west = await world.stacks["eu-central-1"].up();
    expect(east.summary.result).toBe("succeeded");
    expect(west.summary.result).toBe("succeeded");
    expect(east.summary.resourceChanges).toEqual({ create: 7 }); // stack, component, 2 streams, 1 consumer, the checkpoint and acknowledgement-capture streams
    expect((await outputsOf("us-east-1"))["streams"]).toEqual({ events: "primary", orders: "primary" });
    expect((await outputsOf("eu-central-1"))["streams"]).toEqual({ events: "mirror", orders: "mirror" });
  });

  it("the preview of a flip updates only role in the new active stack and replaces the old primaries; the capture moves with them", async () => {
    await world.setActiveRegion("eu-central-1");
    // The acknowledgement capture moves to the new standby: a change of its subjects, in place.
    const captureMoves = { name: "jetstream-acks", op: "update", diffs: ["spec"] };
    const west = new StepCollector();
    const westPreview = await world.stacks["eu-central-1"].preview({ onEvent: west.onEvent });
    expect(west.changes().map(({ name, op, diffs }) => ({ name, op, diffs }))).toEqual([
      captureMoves,
      ...streamResources.map((name) => ({ name, op: "update", diffs: ["role"] })),
    ]);
    const east = new StepCollector();
    const eastPreview = await world.stacks["us-east-1"].preview({ onEvent: east.onEvent });
    expect(east.changes().map(({ name, op, diffs }) => ({ name, op, diffs }))).toEqual([
      captureMoves,
      ...streamResources.map((name) => ({ name, op: "replace", diffs: ["role"] })),
    ]);
    // The lines README.md and docs/failover.md quote, as the CLI prints them.
    const line = (prefix: string, name: string, what: string) =>
      ` ${prefix} pulumi-nodejs:dynamic/natsdr:JetStreamStream ${name} ${what} [diff: ~role]\n`;
    for (const name of streamResources) {
      expect(westPreview.stdout).toContain(line("~ ", name, "update"));
      expect(eastPreview.stdout).toContain(line("++", name, "create replacement"));
      expect(eastPreview.stdout).toContain(line("+-", name, "replace"));
      expect(eastPreview.stdout).toContain(line("--", name, "delete original"));
    }
    expect(westPreview.stdout).toContain("Resources:\n    ~ 3 to update\n    4 unchanged\n");
    expect(eastPreview.stdout).toContain(
      "Resources:\n    ~ 1 to update\n    +-2 to replace\n    3 changes. 4 unchanged\n",
    );
  });

  it("pulumi up fails over with no acknowledged message lost under load, consumer positions kept", async () => {
    // Before the flip, the service behind "settle" acknowledges what us-east-1 holds.
    const seed = await publishDuring(new Router("us-east-1", clock), "seed", async () => undefined);
    expect(seed.acks.size).toBeGreaterThan(0);
    const eastJs = jetstream(await connection("us-east-1"));
    const settle = await eastJs.consumers.get("orders", "settle");
    const ackedInEast = new Set<number>();
    for await (const message of await settle.fetch({ max_messages: 1000, expires: 2000 })) {
      message.ack();
      ackedInEast.add(message.seq);
    }
    await (await connection("us-east-1")).flush();
    expect(ackedInEast.size).toBeGreaterThan(0);

    const router = new Router("us-east-1", clock);
    const load = await publishDuring(router, "flip", async () => {
      const west = await world.stacks["eu-central-1"].up();
      expect(west.summary.resourceChanges).toEqual({ update: 3, same: 4 });
      router.moveTo("eu-central-1", "eu-central-1 stack finished: its streams are writable");
      const east = await world.stacks["us-east-1"].up();
      expect(east.summary.resourceChanges).toEqual({ replace: 2, update: 1, same: 4 });
    });
    expect(load.gaveUp).toBe(0);
    expect(await missingIn("eu-central-1", seed)).toEqual([]);
    expect(await missingIn("eu-central-1", load)).toEqual([]);

    const west = await outputsOf("eu-central-1");
    expect(west["streams"]).toEqual({ events: "primary", orders: "primary" });
    const evidence = west["failoverEvidence"] as Record<string, { lastPromotion?: { mode: string } }>;
    expect(evidence["orders"]?.lastPromotion?.mode).toBe("planned");
    expect((await outputsOf("us-east-1"))["streams"]).toEqual({ events: "mirror", orders: "mirror" });

    // The consumer continues in eu-central-1 after what was acknowledged in us-east-1.
    const westSettle = await jetstream(await connection("eu-central-1")).consumers.get("orders", "settle");
    const delivered: number[] = [];
    for await (const message of await westSettle.fetch({ max_messages: 50, expires: 2000 })) {
      delivered.push(message.seq);
      message.ack();
    }
    expect(delivered.length).toBeGreaterThan(0);
    expect(delivered.filter((seq) => ackedInEast.has(seq))).toEqual([]);
    expect(Math.min(...delivered)).toBe(Math.max(...ackedInEast) + 1);
  });

  it("failback by pulumi up keeps every message and records the demotion's evidence", async () => {
    await world.setActiveRegion("us-east-1");
    const router = new Router("eu-central-1", clock);
    const load = await publishDuring(router, "failback", async () => {
      await world.stacks["us-east-1"].up();
      router.moveTo("us-east-1", "us-east-1 stack finished");
      await world.stacks["eu-central-1"].up();
    });
    expect(load.gaveUp).toBe(0);
    expect(await missingIn("us-east-1", load)).toEqual([]);
    expect((await outputsOf("us-east-1"))["streams"]).toEqual({ events: "primary", orders: "primary" });
    const west = (await outputsOf("eu-central-1"))["failoverEvidence"] as Record<
      string,
      { lastDemotion?: { orphanCount: number }; pendingOrphans: unknown[] }
    >;
    expect(west["orders"]?.lastDemotion?.orphanCount).toBe(0);
    expect(west["orders"]?.pendingOrphans).toEqual([]);
  });

  it("pulumi refresh shows a hand edit and a hand-deleted mirror as drift; pulumi up restores both", async () => {
    const eastJsm = await jetstreamManager(await connection("us-east-1"));
    const orders = await eastJsm.streams.info("orders");
    await eastJsm.streams.update("orders", { ...orders.config, max_age: 2 * 3600 * 1e9 });
    const westJsm = await jetstreamManager(await connection("eu-central-1"));
    await westJsm.streams.delete("events");

    const east = await world.stacks["us-east-1"].refresh();
    expect(east.summary.resourceChanges).toEqual({ update: 1, same: 6 });
    expect(east.stdout).toMatch(
      /~ +pulumi-nodejs:dynamic\/natsdr:JetStreamStream jetstream-stream-orders updated .*\[diff: ~spec\]/,
    );
    const west = await world.stacks["eu-central-1"].refresh();
    expect(west.summary.resourceChanges).toEqual({ delete: 1, same: 6 });
    expect(west.stdout).toMatch(/- +pulumi-nodejs:dynamic\/natsdr:JetStreamStream jetstream-stream-events deleted/);

    const eastPreview = new StepCollector();
    const printed = await world.stacks["us-east-1"].preview({ onEvent: eastPreview.onEvent, diff: true });
    expect(eastPreview.changes().map(({ name, op, diffs }) => ({ name, op, diffs }))).toEqual([
      { name: "jetstream-stream-orders", op: "update", diffs: ["spec"] },
    ]);
    // The engine's own diff of the inputs (the dynamic provider host passes it no field diff):
    // with --diff the stream's block marks the hand-edited field under spec, and nothing else.
    const lines = printed.stdout.split("\n");
    const header = lines.findIndex((line) =>
      /^ {4}~ pulumi-nodejs:dynamic\/natsdr:JetStreamStream: \(update\)/.test(line),
    );
    expect(header).toBeGreaterThan(-1);
    const block = lines.slice(header + 1);
    const end = block.findIndex((line) => !/^ {5,}\S/.test(line));
    const marked = block.slice(0, end === -1 ? undefined : end).filter((line) => /^\s*~ /.test(line));
    expect(marked.map((line) => line.trim().split(/[\s:]+/)[1])).toEqual(["spec", "maxAge"]);
    expect(printed.stdout).toMatch(/~ maxAge +: "2h" => "1d"\n/);
    await world.stacks["us-east-1"].up();
    await world.stacks["eu-central-1"].up();
    expect((await eastJsm.streams.info("orders")).config.max_age).toBe(24 * 3600 * 1e9);
    const mirror = await westJsm.streams.info("events");
    expect(mirror.config.mirror?.name).toBe("events");
    const primary = await eastJsm.streams.info("events");
    await expect
      .poll(async () => (await westJsm.streams.info("events")).state.messages, { timeout: 15_000 })
      .toBe(primary.state.messages);
  });

  it("an unplanned failover while the link is cut; the failback keeps the orphans and reports them until removed", async () => {
    world.local.link.cut("reset");
    await world.setActiveRegion("eu-central-1");
    // us-east-1 still takes writes: its stack has not run, and nothing reaches it from eu-central-1.
    const stranded = await publishDuring(new Router("us-east-1", clock), "stranded", async () => undefined);
    expect(stranded.acks.size).toBeGreaterThan(0);
    const west = await world.stacks["eu-central-1"].up();
    expect(west.summary.resourceChanges).toEqual({ update: 3, same: 4 });
    const promotion = (
      (await outputsOf("eu-central-1"))["failoverEvidence"] as Record<string, { lastPromotion?: { mode: string } }>
    )["orders"]?.lastPromotion;
    expect(promotion?.mode).toBe("unplanned");

    world.local.link.heal();
    await world.local.waitForLink();
    await world.stacks["us-east-1"].up();
    const evidence = (await outputsOf("us-east-1"))["failoverEvidence"] as Record<
      string,
      { lastDemotion?: { orphanCount: number }; pendingOrphans: { stream: string; messages: number }[] }
    >;
    const strandedPerStream = (stream: string) => [...stranded.acks.values()].filter((ack) => ack.stream === stream);
    for (const stream of replicated) {
      expect(evidence[stream]?.lastDemotion?.orphanCount).toBe(strandedPerStream(stream).length);
      const pending = evidence[stream]?.pendingOrphans ?? [];
      expect(pending.map((orphans) => orphans.messages)).toEqual([strandedPerStream(stream).length]);
      expect(pending[0]?.stream).toMatch(new RegExp(`^${stream}-orphans-`));
    }
    // Every stranded message is in its orphan stream, by message id.
    const orphanStream = evidence["orders"]!.pendingOrphans[0]!.stream;
    const kept = await readStream(await connection("us-east-1"), "us-east-1", orphanStream);
    expect(new Set(kept.map((message) => message.headers["Nats-Dr-Original-Msg-Id"]))).toEqual(
      new Set(strandedPerStream("orders").map((ack) => ack.id)),
    );

    // A later update of the mirror (a spec change) still reports them; a refresh too.
    await world.stacks["us-east-1"].setConfig("nats-dr:failover", { value: JSON.stringify({ peerTimeoutMs: 2500 }) });
    const later = await world.stacks["us-east-1"].up();
    expect(later.summary.resourceChanges).toMatchObject({ update: 2 });
    await world.stacks["us-east-1"].refresh();
    const after = (await outputsOf("us-east-1"))["failoverEvidence"] as typeof evidence;
    expect(after["orders"]?.pendingOrphans).toEqual(evidence["orders"]?.pendingOrphans);
  });

  it("bad config stops the preview with every problem listed, and changes nothing", async () => {
    const stack = world.stacks["eu-central-1"];
    const before = await stack.exportStack();
    await stack.setConfig("nats-dr:failover", { value: JSON.stringify({ peerTimeoutMs: "fast" }) });
    await stack.setConfig("nats-dr:catalog", {
      value: JSON.stringify({ streams: { orders: { maxAge: "7x" } } }),
    });
    try {
      const failure = await stack.preview().then(
        () => undefined,
        (error: unknown) => String(error),
      );
      expect(failure).toBeDefined();
      expect(failure).toContain("nats-dr:failover.peerTimeoutMs");
      expect(failure).toContain('nats-dr:catalog.streams.orders.maxAge: "7x" is not a duration');
    } finally {
      await stack.removeConfig("nats-dr:failover");
      await stack.setConfig("nats-dr:catalog", {
        value: JSON.stringify(world.config("eu-central-1", "eu-central-1")["catalog"]),
      });
    }
    expect((await stack.exportStack()).deployment).toEqual(before.deployment);
  });

  it("pulumi stack export holds the credentials only encrypted", async () => {
    for (const region of ["us-east-1", "eu-central-1"] as const) {
      // The CLI as a user runs it (the Automation API's exportStack shows secrets on purpose).
      const exported = await runPulumi(world, ["stack", "export", "--stack", world.stacks[region].name]);
      expect(exported).toContain('"credentials"');
      expect(exported).toContain("ciphertext");
      expect(exported).not.toContain(world.local.users.app.password);
    }
  });

  it("pulumi destroy refuses to drop streams that hold messages unless allowDeleteWithMessages", async () => {
    const stack = world.stacks["eu-central-1"];
    const westJsm = await jetstreamManager(await connection("eu-central-1"));
    const held = (await westJsm.streams.info("orders")).state.messages;
    expect(held).toBeGreaterThan(0);
    const refused = await stack.destroy().then(
      () => undefined,
      (error: unknown) => String(error),
    );
    expect(refused).toMatch(/refusing to delete stream orders/);
    expect((await westJsm.streams.info("orders")).state.messages).toBe(held);

    await stack.setConfig("nats-dr:allowDeleteWithMessages", { value: "true" });
    await stack.up();
    const destroyed = await stack.destroy();
    expect(destroyed.summary.result).toBe("succeeded");
    await expect(westJsm.streams.info("orders")).rejects.toThrow(/stream not found/);
  });
});
