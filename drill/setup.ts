// Builds the drill's world: two local regions, both Pulumi stacks created and applied with
// activeRegion us-east-1 (the first `pulumi up` of each), the load and the observers.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { inRegion, perRegion } from "../infra/config/regions";
import { DrillStacks, drillStackName, mark, type DrillContext } from "./context";
import { EvidenceWriter } from "./evidence";
import { Clients } from "./load/connections";
import { ConsumerWorker, type ConsumerLoad } from "./load/consumers";
import { AlertSampler } from "./alerts/sampler";
import { LagSampler } from "./load/lag";
import { Publisher, type StreamLoad } from "./load/publisher";
import { Router } from "./load/router";
import { regionCheckpoints } from "../infra/region";
import { startLocalCheckpointer, type LocalCheckpointer } from "./local/checkpointer";
import { setRegionNiceness } from "./local/cleanup";
import { startLocalRegions, type LocalRegions } from "./local/regions";
import type { DrillOptions } from "./options";
import { Progress } from "./progress";
import { maxOf } from "./report/stats";
import { serverFileBytes } from "./sizing";
import { catalogStreamNames, drillStackConfig, replicatedStreams, type DrillStackSettings } from "./stacks";

/** A concrete subject for a stream's subject pattern: wildcards become the token "drill". */
export function concreteSubject(pattern: string): string {
  return pattern
    .split(".")
    .map((token) => (token === "*" || token === ">" ? "drill" : token))
    .join(".");
}

export async function setUpDrill(
  options: DrillOptions,
  clock: () => number,
  stderr: NodeJS.WriteStream,
): Promise<DrillContext> {
  fs.mkdirSync(options.outDir, { recursive: true });
  const evidence = new EvidenceWriter(options.outDir);
  // The catalog streams chosen, and the interest check's stream.
  const streamCount = (options.streams === "all" ? catalogStreamNames().length : options.streams.length) + 1;
  let current: DrillContext | undefined;
  const progress = new Progress(stderr, () => (current ? progressState(current) : undefined));
  progress.log(`nats-dr drill: output in ${options.outDir}`);
  const pair = options.pair;
  // The first region of the pair starts active, as Pulumi.yaml's activeRegion default has it.
  const initial = pair[0];
  setRegionNiceness(options.serverNice);
  const servers = await startLocalRegions({
    pair,
    maxFileBytes: serverFileBytes(streamCount, options.streamMaxBytes),
  });
  let local: LocalRegions = servers;
  try {
    local.link.setLatency(options.latencyMs);
    const settings: DrillStackSettings = {
      pair,
      servers: perRegionUrls(local),
      streams: options.streams,
      streamMaxBytes: options.streamMaxBytes,
      // The product's defaults (what a user gets), except what the options ask for.
      failover: options.unplannedRewind === undefined ? {} : { unplannedConsumerRewind: options.unplannedRewind },
      connection: {},
    };
    // Each region's consumer checkpointer, as its stack runs it on Kubernetes (infra/checkpoints).
    local = withCheckpointers(servers, startDrillCheckpointers(servers, settings));
    const stacks = await DrillStacks.create({
      initial,
      settings,
      credentials: local.users.app,
      clock,
      refresh: options.refresh,
      // Absolute: the stacks run from a copy of the project elsewhere, where a relative --out means nothing.
      backendDir: path.resolve(options.outDir, "pulumi"),
    });
    const plan = replicatedStreams(drillStackConfig(initial, initial, settings));
    const streamLoads: StreamLoad[] = plan.map((planned) => ({
      stream: planned.name,
      subjects: planned.spec.subjects.map(concreteSubject),
    }));
    const consumerLoads: ConsumerLoad[] = plan.flatMap((planned) =>
      planned.consumers.map((consumer) => ({
        stream: planned.name,
        name: consumer.name,
        deliver: consumer.spec.deliver,
        filterSubjects: consumer.spec.filterSubjects,
      })),
    );
    const clients = new Clients(settings.servers, local.users.app);
    const router = new Router(initial, clock);
    const runId = randomBytes(3).toString("hex");
    const publisher = new Publisher(
      streamLoads,
      clients,
      router,
      clock,
      {
        rate: options.rate,
        size: options.size,
        window: options.window,
        attemptTimeoutMs: 1000,
        backoffMs: { initial: 20, max: 250 },
        drainTimeoutMs: 20_000,
      },
      runId,
    );
    const alerts = await AlertSampler.start(local, clock);
    const ctx: DrillContext = {
      options,
      alerts,
      clock,
      local,
      clients,
      router,
      publisher,
      consumers: consumerLoads.map((load) => new ConsumerWorker(load, clients, router, clock)),
      sampler: new LagSampler(
        streamLoads.map((load) => load.stream),
        clients,
        () => stacks.activeRegion,
        publisher,
        clock,
        pair,
        options.sampleMs,
      ),
      stacks,
      progress,
      evidence,
      streams: streamLoads.map((load) => load.stream),
      events: [],
      down: new Set(),
      status: { scenario: "setup" },
      knownMissing: new Set(),
    };
    current = ctx;
    mark(
      ctx,
      `regions up: ${inRegion(local.regions, initial).servers.length} servers each; pulumi up ${pair.map(drillStackName).join(", ")} (activeRegion ${initial})`,
    );
    for (const region of pair) await stacks.runUntilOk(region, 1);
    for (const worker of ctx.consumers) worker.start();
    ctx.sampler.start();
    progress.start();
    return ctx;
  } catch (error) {
    await local.stop();
    throw error;
  }
}

function progressState(ctx: DrillContext) {
  const now = ctx.clock();
  let recent = 0;
  for (let bucket = Math.floor(now / 100) - 10; bucket < Math.floor(now / 100); bucket++)
    recent += ctx.publisher.ackBuckets.get(bucket) ?? 0;
  const lastSamples = ctx.sampler.samples
    .slice(-ctx.streams.length)
    .map((sample) => sample.lagMs)
    .filter((value): value is number => value !== null);
  return {
    elapsedMs: now,
    scenario: ctx.status.scenario,
    acked: ctx.publisher.acks.size,
    ratePerS: recent,
    retries: ctx.publisher.retries,
    inFlight: ctx.publisher.pending,
    lagMs: maxOf(lastSamples),
    consumed: ctx.consumers.reduce((sum, worker) => sum + worker.acked.size, 0),
    active: ctx.router.current(),
  };
}

/** What the report says about where it ran. */
export function environment(version: string | undefined, pulumi: string): Record<string, string> {
  return {
    natsServer: version ?? "unknown",
    pulumi,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpus: String(os.cpus().length),
    cwd: path.resolve("."),
  };
}

function startDrillCheckpointers(local: LocalRegions, settings: DrillStackSettings): LocalCheckpointer[] {
  return local.pair.flatMap((region) => {
    const plan = regionCheckpoints(drillStackConfig(region, local.pair[0], settings));
    if (plan === undefined) return [];
    const { user, password } = local.users.app;
    return [startLocalCheckpointer({ plan, servers: inRegion(local.regions, region).clientUrls, user, password })];
  });
}

/** Each region's client URLs. */
function perRegionUrls(local: LocalRegions) {
  return perRegion(local.pair, (region) => inRegion(local.regions, region).clientUrls);
}

/** The regions, whose stop() also stops the checkpointers (before the servers they talk to). */
function withCheckpointers(local: LocalRegions, checkpointers: readonly LocalCheckpointer[]): LocalRegions {
  return {
    ...local,
    waitForLink: (timeoutMs?: number) => local.waitForLink(timeoutMs),
    async stop() {
      await Promise.all(checkpointers.map((checkpointer) => checkpointer.stop()));
      await local.stop();
    },
  };
}
