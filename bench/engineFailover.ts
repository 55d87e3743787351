// The failover as users run it: flip activeRegion and run the real `pulumi up` of the region
// becoming active, while a service keeps publishing. Measures the time from starting `pulumi up`
// to the first write the new region acknowledges itself (its own JetStream domain), engine
// included, and what the engine reports. Used by bench/failover.ts.
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { Clients } from "../drill/load/connections";
import { Publisher } from "../drill/load/publisher";
import { Router } from "../drill/load/router";
import { runUp, type EngineStep } from "../drill/pulumi/update";
import { readStream } from "../test/support/provider";
import { startE2eWorld } from "../test/e2e/support";

export interface EngineFailoverRow {
  readonly streams: number;
  /** From starting `pulumi up` to the first write eu-central-1 acknowledges, seconds. */
  readonly secondsToWritable: number;
  /** The whole `pulumi up` (CLI start to exit), seconds. */
  readonly upSeconds: number;
  /**
   * Where the time went, seconds since starting `pulumi up`: the engine's first step (the stack
   * resource: the CLI, the language host, Node.js and ts-node are up), the first stream step's
   * start (the program loaded and ran, the dynamic provider host started and loaded the provider,
   * check and diff done), and the longest stream step (the provider's update of one stream).
   */
  readonly breakdown: {
    readonly firstStep: number;
    readonly firstStreamStep: number;
    readonly longestStreamStep: number;
  };
  /** Promotion modes the stack's evidence records, e.g. { planned: 10 }. */
  readonly modes: Record<string, number>;
  readonly acknowledged: number;
  /** Acknowledged messages the new primary does not hold. */
  readonly missing: number;
}

const streamName = (index: number) => `bench${index}`;

/** One planned failover of `count` streams by `pulumi up`, engine included. */
export async function engineFailover(count: number): Promise<EngineFailoverRow> {
  const streams = Object.fromEntries(
    Array.from({ length: count }, (_, index) => [
      streamName(index),
      { subjects: [`${streamName(index)}.*`], replicas: 1, maxBytes: "16Mi", maxAge: "1h" },
    ]),
  );
  const world = await startE2eWorld("bench", { catalog: { mode: "replace", streams } });
  const started = performance.now();
  const clock = () => performance.now() - started;
  const servers = {
    "us-east-1": world.local.regions["us-east-1"].clientUrls,
    "eu-central-1": world.local.regions["eu-central-1"].clientUrls,
  };
  const clients = new Clients(servers, world.local.users.app);
  const probe = await connect({
    servers: [...servers["eu-central-1"]],
    user: world.local.users.app.user,
    pass: world.local.users.app.password,
  });
  try {
    await world.stacks["us-east-1"].up();
    await world.stacks["eu-central-1"].up();
    const router = new Router("us-east-1", clock);
    const loads = Object.keys(streams).map((stream) => ({ stream, subjects: [`${stream}.bench`] }));
    const publisher = new Publisher(
      loads,
      clients,
      router,
      clock,
      {
        rate: 200,
        size: 128,
        window: 32,
        attemptTimeoutMs: 1000,
        backoffMs: { initial: 20, max: 250 },
        drainTimeoutMs: 30_000,
      },
      "bench",
    );
    publisher.start();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await world.setActiveRegion("eu-central-1");

    // A client of eu-central-1 writing into the first stream until eu-central-1 itself stores it
    // (before the promotion, the same subject is stored by us-east-1 across the leafnode).
    const js = jetstream(probe, { timeout: 250 });
    const upStarted = performance.now();
    let writableAt: number | undefined;
    let upDone = false;
    const writer = (async () => {
      while (writableAt === undefined && !upDone) {
        const ack = await js.publish(`${streamName(0)}.probe`, "probe", { timeout: 250 }).catch(() => undefined);
        if (ack?.domain === "eu-central-1") writableAt = performance.now();
        else await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const run = await runUp(world.stacks["eu-central-1"]);
    if (!run.ok) throw new Error(`pulumi up of the flipped stack failed: ${run.error ?? ""}`);
    const upSeconds = (performance.now() - upStarted) / 1000;
    upDone = true;
    await writer;
    router.moveTo("eu-central-1", "pulumi up finished");
    await new Promise((resolve) => setTimeout(resolve, 500));
    await publisher.pause();

    const outputs = await world.stacks["eu-central-1"].outputs();
    const evidence = (outputs["failoverEvidence"]?.value ?? {}) as Record<string, { lastPromotion?: { mode: string } }>;
    const modes: Record<string, number> = {};
    for (const entry of Object.values(evidence)) {
      const mode = entry.lastPromotion?.mode ?? "none";
      modes[mode] = (modes[mode] ?? 0) + 1;
    }
    const observer = await clients.get("observe", "eu-central-1");
    let missing = 0;
    for (const stream of Object.keys(streams)) {
      const stored = new Set((await readStream(observer, "eu-central-1", stream)).map((message) => message.id));
      for (const ack of publisher.acks.values()) if (ack.stream === stream && !stored.has(ack.id)) missing++;
    }
    return {
      streams: count,
      secondsToWritable: writableAt === undefined ? Number.NaN : (writableAt - upStarted) / 1000,
      upSeconds,
      breakdown: stepBreakdown(run.steps),
      modes,
      acknowledged: publisher.acks.size,
      missing,
    };
  } finally {
    await probe.close().catch(() => undefined);
    await clients.close();
    await world.stop();
  }
}

/** When the engine's first step and first stream step started, and the longest stream step, seconds. Pure. */
export function stepBreakdown(steps: readonly EngineStep[]): EngineFailoverRow["breakdown"] {
  const streamSteps = steps.filter((step) => step.type.endsWith(":JetStreamStream") && step.op !== "same");
  const seconds = (ms: number | null | undefined) => (ms ?? Number.NaN) / 1000;
  return {
    firstStep: seconds(steps[0]?.startedMs),
    firstStreamStep: seconds(Math.min(...streamSteps.map((step) => step.startedMs))),
    longestStreamStep: seconds(Math.max(...streamSteps.map((step) => step.ms ?? Number.NaN))),
  };
}
