// Interrupted runs converge: a `pulumi up` killed the hard way (the CLI, its language host, the
// program and the dynamic provider, all SIGKILLed at once, as a crashed CI runner would leave it)
// in the middle of a promotion and in the middle of a demotion; the next `pulumi up` completes the
// failover with nothing acknowledged lost. docs/failover.md ("After an interrupted run") says what
// an operator sees and does; this file is where those words come from.
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { UpResult } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DefaultRegion } from "../../infra/config/regions";
import { Clients } from "../../drill/load/connections";
import { Publisher } from "../../drill/load/publisher";
import { Router } from "../../drill/load/router";
import { killTrees, pulumiCommandPids, stillRunning } from "../../drill/pulumi/processes";
import { backendUrl } from "../../drill/pulumi/workspace";
import { fenceSubject } from "../../streams/wire";
import { readStream } from "../support/provider";
import { startDeployedWorld, stopWorld, type E2eWorld } from "./support";

let world: E2eWorld;
let clients: Clients;
const started = performance.now();
const clock = () => performance.now() - started;
const replicated = ["events", "orders"];

const connection = (region: DefaultRegion): Promise<NatsConnection> => clients.get("observe", region);
const manager = async (region: DefaultRegion): Promise<JetStreamManager> => jetstreamManager(await connection(region));

function publisherFor(router: Router, runId: string): Publisher {
  return new Publisher(
    replicated.map((stream) => ({ stream, subjects: [`${stream}.e2e`] })),
    clients,
    router,
    clock,
    {
      rate: 50,
      size: 64,
      window: 8,
      attemptTimeoutMs: 1000,
      backoffMs: { initial: 20, max: 250 },
      drainTimeoutMs: 60_000,
    },
    runId,
  );
}

/** Polls `probe` every 10 ms until it is true; fails after `timeoutMs`. */
async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Starts `pulumi up` of `region`'s stack and SIGKILLs its whole process tree once `when` holds. */
async function upKilledWhen(region: DefaultRegion, what: string, when: () => Promise<boolean>): Promise<number[]> {
  const stack = world.stacks[region];
  const run = stack.up().then(
    (result: UpResult) => result,
    (error: unknown) => error,
  );
  await until(what, when);
  const victims = killTrees(pulumiCommandPids("up", stack.name, backendUrl(world.backend.dir)));
  expect(victims.length).toBeGreaterThan(2); // the CLI, the language host and its program, the provider
  const outcome = await run;
  expect(outcome).toBeInstanceOf(Error);
  return victims;
}

/**
 * What an operator does after an interrupted run: `pulumi up` is refused while the killed run's
 * lock is there; `pulumi cancel` removes it; `pulumi up` then runs. Returns what that run printed.
 */
async function upAfterInterruption(region: DefaultRegion): Promise<string> {
  const stack = world.stacks[region];
  await expect(stack.up()).rejects.toThrow(/the stack is currently locked .*pulumi cancel/s);
  await stack.cancel();
  const result = await stack.up();
  expect(result.summary.result).toBe("succeeded");
  // Converged: the next preview plans nothing and the interrupted operations are gone.
  const next = await stack.preview();
  expect(next.changeSummary).toEqual({ same: expect.any(Number) as number });
  expect(next.stdout + next.stderr).not.toMatch(/pending operations/);
  return result.stdout + result.stderr;
}

/** Acknowledged ids of `publisher` that neither `region`'s stream nor its orphan streams hold. */
async function lostIn(region: DefaultRegion, publisher: Publisher): Promise<string[]> {
  const jsm = await manager(region);
  const names: string[] = [];
  for await (const info of jsm.streams.list()) names.push(info.config.name);
  const held = new Set<string>();
  for (const name of names) {
    for (const message of await readStream(await connection(region), region, name)) {
      held.add(message.id ?? "");
      held.add(message.headers["Nats-Dr-Original-Msg-Id"] ?? "");
    }
  }
  return [...publisher.acks.values()].filter((ack) => !held.has(ack.id)).map((ack) => ack.id);
}

beforeAll(async () => {
  ({ world, clients } = await startDeployedWorld("interrupted"));
}, 300_000);

afterAll(() => stopWorld(world, clients), 60_000);

describe("e2e interrupted", { timeout: 300_000 }, () => {
  it("a pulumi up killed after the fence leaves no process, and the next up completes the planned promotion with nothing lost", async () => {
    const router = new Router("us-east-1", clock);
    const publisher = publisherFor(router, "promotion");
    publisher.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await world.setActiveRegion("eu-central-1");
      const east = await manager("us-east-1");
      // The promotion's steps after the fence (pause the peer's consumers, store the fence marker,
      // the mirror takes it) all cross the link. Without a WAN's latency they can finish before the
      // probe over the direct connection even sees the fence (a CI run under load did: the kill came
      // after the promotion). With 300 ms each way they take well over a second; the probe sees the
      // fence inside that window, the link then goes silent and the kill lands inside the promotion.
      world.local.link.setLatency(300);
      const victims = await upKilledWhen("eu-central-1", "the fence of orders", async () => {
        const fenced = (await east.streams.info("orders")).config.metadata?.["natsdr.fenced-by"] === "eu-central-1";
        if (fenced) world.local.link.cut("blackhole");
        return fenced;
      });
      // SIGKILL is delivered at once, but a process is gone only once it has been reaped.
      await until("the killed processes to be gone", async () => stillRunning(victims).length === 0, 10_000);
      world.local.link.setLatency(0);
      world.local.link.heal();
      await world.local.waitForLink();
      // Half-done: us-east-1 is fenced and eu-central-1 is still a mirror of it.
      expect((await east.streams.info("orders")).config.subjects).toEqual([fenceSubject("us-east-1", "orders")]);
      expect((await (await manager("eu-central-1")).streams.info("orders")).config.mirror?.name).toBe("orders");

      const said = await upAfterInterruption("eu-central-1");
      expect(said).toMatch(
        /Attempting to deploy or update resources with [12] pending operations? from previous deployment/,
      );
      expect(said).toMatch(/jetstream-stream-(orders|events), interrupted while updating/);
      router.moveTo("eu-central-1", "the re-run finished");
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      await publisher.pause();
    }
    expect(publisher.gaveUp).toBe(0);
    expect(await lostIn("eu-central-1", publisher)).toEqual([]);
    const evidence = (await world.stacks["eu-central-1"].outputs())["failoverEvidence"]?.value as Record<
      string,
      { lastPromotion?: { mode: string } }
    >;
    expect(evidence["orders"]?.lastPromotion?.mode).toBe("planned");
    await world.stacks["us-east-1"].up();
    expect((await world.stacks["us-east-1"].outputs())["streams"]?.value).toEqual({
      events: "mirror",
      orders: "mirror",
    });
  });

  it("a demotion killed while it keeps orphans converges on the next up; every orphan is kept", async () => {
    // An unplanned failover back to us-east-1 while eu-central-1 keeps taking writes: orphans.
    world.local.link.cut("reset");
    await world.setActiveRegion("us-east-1");
    const stranded = publisherFor(new Router("eu-central-1", clock), "stranded");
    stranded.start();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await stranded.pause();
    expect(stranded.acks.size).toBeGreaterThan(0);
    await world.stacks["us-east-1"].up();
    world.local.link.heal();
    await world.local.waitForLink();

    const west = await manager("eu-central-1");
    const victims = await upKilledWhen("eu-central-1", "an orphan stream in eu-central-1", async () => {
      for await (const info of west.streams.list()) if (info.config.name.includes("-orphans-")) return true;
      return false;
    });
    await until("the killed processes to be gone", async () => stillRunning(victims).length === 0, 10_000);

    const said = await upAfterInterruption("eu-central-1");
    expect(said).toMatch(/jetstream-stream-(orders|events), interrupted while creating/);
    expect((await world.stacks["eu-central-1"].outputs())["streams"]?.value).toEqual({
      events: "mirror",
      orders: "mirror",
    });
    expect(await lostIn("eu-central-1", stranded)).toEqual([]);
    const evidence = (await world.stacks["eu-central-1"].outputs())["failoverEvidence"]?.value as Record<
      string,
      { pendingOrphans: { stream: string; messages: number }[] }
    >;
    for (const stream of replicated) {
      const kept = (evidence[stream]?.pendingOrphans ?? []).reduce((sum, orphans) => sum + orphans.messages, 0);
      expect(kept).toBeGreaterThanOrEqual([...stranded.acks.values()].filter((ack) => ack.stream === stream).length);
    }
  });
});
