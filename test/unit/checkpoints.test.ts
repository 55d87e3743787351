// Consumer checkpoints, the pure parts: the plan and script of a region's checkpointer, its
// Kubernetes Deployment, the config key, reading a stored checkpoint, where a consumer starts,
// and how long the run's peer judgement holds.
import { describe, expect, it } from "vitest";
import {
  checkpointerArgs,
  checkpointerDeployment,
  planCheckpoints,
  renderCheckpointerScript,
} from "../../infra/checkpoints";
import { regionCheckpoints } from "../../infra/region";
import { acknowledgedAboveFloor, checkpointStart, effectiveAckFloor, parseCheckpoint } from "../../streams/checkpoints";
import {
  forgetSilence,
  probeRunning,
  probeUnlessRunning,
  recentSilence,
  recordSilence,
  relyOnSilence,
  renewSilence,
  SILENCE_FRESH_MS,
  SILENCE_PROBE_MS,
  SILENCE_VALID_MS,
  sharedProbe,
  streamsRelying,
  silenceFresh,
  silenceHolds,
} from "../../streams/peerJudgement";
import { parsed, problemsOf, rawConfig } from "./support";

const info = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: "io.nats.jetstream.api.v1.consumer_info_response",
    stream_name: "orders",
    name: "settle",
    ack_floor: { consumer_seq: 40, stream_seq: 42 },
    ...overrides,
  });

describe("checkpoints", () => {
  it("a region plans one checkpoint per consumer of its replicated streams, and the stream keeping the peer's", () => {
    const plan = regionCheckpoints(parsed(rawConfig("us-east-1")))!;
    expect(plan.domain).toBe("us-east-1");
    expect(plan.peerDomain).toBe("eu-central-1");
    expect(plan.interval).toBe("1s");
    // The default catalog: the GDPR streams (home region only) have no checkpoints.
    expect(plan.consumers.map((c) => `${c.stream}.${c.consumer}`)).not.toContain("audit-eu-gdpr.gdpr-audit-consumer");
    expect(plan.consumers.length).toBeGreaterThan(0);
    expect(plan.stream).toMatchObject({
      name: "natsdr-checkpoints",
      subjects: ["natsdr.checkpoints.eu-central-1.>"],
      maxMsgsPerSubject: 1,
      maxAge: "0",
      retention: "limits",
    });
  });

  it("off, or nothing to checkpoint, plans nothing", () => {
    expect(regionCheckpoints(parsed(rawConfig("us-east-1", { checkpoints: { enabled: false } })))).toBeUndefined();
    expect(planCheckpoints({ domain: "us-east-1", enabled: true, interval: "1s", streams: [] })).toBeUndefined();
  });

  it("the interval is a duration from 100ms to 1h; unknown fields are named", () => {
    expect(parsed(rawConfig("us-east-1", { checkpoints: { interval: "500ms" } })).checkpoints).toEqual({
      enabled: true,
      interval: "500ms",
    });
    for (const interval of ["10ms", "2h", "soon", 5])
      expect(problemsOf(rawConfig("us-east-1", { checkpoints: { interval } })).join("\n")).toMatch(
        /nats-dr:checkpoints\.interval: .*(100ms to 1h|duration)/,
      );
    expect(problemsOf(rawConfig("us-east-1", { checkpoints: { intervalMs: 1000 } })).join("\n")).toMatch(/intervalMs/);
  });

  it("the script loops one nats pub per consumer, answered to the checkpoint subject", () => {
    const plan = regionCheckpoints(parsed(rawConfig("us-east-1")))!;
    const consumer = plan.consumers[0]!;
    expect(checkpointerArgs(plan, consumer)).toEqual([
      "pub",
      `$JS.API.CONSUMER.INFO.${consumer.stream}.${consumer.consumer}`,
      "",
      "--reply",
      `natsdr.checkpoints.us-east-1.${consumer.stream}.${consumer.consumer}`,
      "--count",
      "1000000000",
      "--sleep",
      "1s",
      "--no-templates",
      "--quiet",
    ]);
    const script = renderCheckpointerScript(plan);
    expect(script.startsWith("#!/bin/sh\n")).toBe(true);
    expect(script.match(/^while :; do nats 'pub' /gm)).toHaveLength(plan.consumers.length);
    expect(script).toContain(`'$JS.API.CONSUMER.INFO.${consumer.stream}.${consumer.consumer}'`);
    expect(script.trimEnd().endsWith("wait")).toBe(true);
    expect(renderCheckpointerScript(plan)).toBe(script);
  });

  it("the Deployment runs one restricted pod with the app password from the Secret", () => {
    const plan = regionCheckpoints(parsed(rawConfig("us-east-1")))!;
    const deployment = checkpointerDeployment({
      namespace: "nats",
      plan,
      image: "natsio/nats-box:0.18.0",
      natsUrl: "nats://nats-headless.nats.svc:4222",
      credentials: { secretName: "nats-credentials", user: "app", passwordKey: "app-password" },
    });
    expect(deployment.spec).toMatchObject({ replicas: 1, strategy: { type: "Recreate" } });
    const pod = (deployment.spec as unknown as { template: { spec: Record<string, unknown> } }).template.spec;
    const [container] = pod["containers"] as Array<Record<string, unknown>>;
    expect(container).toMatchObject({ image: "natsio/nats-box:0.18.0", command: ["sh", "/scripts/checkpointer.sh"] });
    expect(container!["env"]).toContainEqual({
      name: "NATS_PASSWORD",
      valueFrom: { secretKeyRef: { name: "nats-credentials", key: "app-password" } },
    });
    expect(container!["securityContext"]).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    });
    expect(pod["securityContext"]).toMatchObject({ runAsNonRoot: true });
  });

  it("a checkpoint says whether anything above its floor had been acknowledged yet, by consumer sequence", () => {
    // Delivered 41..50 after the floor's delivery 40, all ten pending: nothing above acknowledged.
    const inOrder = {
      ack_floor: { consumer_seq: 40, stream_seq: 42 },
      delivered: { consumer_seq: 50, stream_seq: 52 },
    };
    expect(acknowledgedAboveFloor({ ...inOrder, num_ack_pending: 10 })).toBe(0);
    // 41 pending (lost in flight) while 42..50 were acknowledged: the floor is held.
    expect(acknowledgedAboveFloor({ ...inOrder, num_ack_pending: 1 })).toBe(9);
    // Nothing pending: everything delivered was acknowledged, the floor is the delivered one.
    expect(acknowledgedAboveFloor({ ack_floor: { stream_seq: 0 }, num_ack_pending: 0 })).toBe(0);
    expect(acknowledgedAboveFloor({ ack_floor: { stream_seq: 42 }, num_ack_pending: 3 })).toBeUndefined();
    expect(parseCheckpoint(info({ ...inOrder, num_ack_pending: 1 }), "orders", "settle", "t")).toEqual({
      ackFloor: 42,
      at: "t",
      acknowledgedAboveFloor: 9,
    });
  });

  it("a stored answer is a checkpoint only when it is that consumer's info", () => {
    expect(parseCheckpoint(info(), "orders", "settle", "t")).toEqual({ ackFloor: 42, at: "t" });
    expect(parseCheckpoint(info({ name: "other" }), "orders", "settle", "t")).toBeUndefined();
    expect(parseCheckpoint(info({ stream_name: "other" }), "orders", "settle", "t")).toBeUndefined();
    expect(
      parseCheckpoint(
        JSON.stringify({ error: { code: 404, err_code: 10014, description: "consumer not found" } }),
        "orders",
        "settle",
        "t",
      ),
    ).toBeUndefined();
    expect(parseCheckpoint(info({ ack_floor: { stream_seq: -1 } }), "orders", "settle", "t")).toBeUndefined();
    expect(parseCheckpoint("not json", "orders", "settle", "t")).toBeUndefined();
  });

  it("a floor that lags behind what the consumer can never deliver again is raised to it", () => {
    // An R3 consumer created at sequence 3656 (a promotion's reposition), its first delivery not
    // acknowledged: nats-server 2.14.9 reports floor 0, as seen in a drill.
    const repositioned = {
      ack_floor: { consumer_seq: 0, stream_seq: 0 },
      delivered: { consumer_seq: 40, stream_seq: 6512 },
      num_ack_pending: 40,
      config: { deliver_policy: "by_start_sequence", opt_start_seq: 3656 },
    };
    expect(effectiveAckFloor(repositioned)).toBe(3655);
    expect(parseCheckpoint(info(repositioned), "orders", "settle", "t")).toEqual({
      ackFloor: 3655,
      at: "t",
      acknowledgedAboveFloor: 0,
    });
    // An acknowledged floor above the start stands.
    expect(effectiveAckFloor({ ...repositioned, ack_floor: { stream_seq: 5000 } })).toBe(5000);
    // Nothing pending: everything delivered was acknowledged.
    expect(effectiveAckFloor({ ...repositioned, num_ack_pending: 0 })).toBe(6512);
    // Pending, and no start of its own: the floor as reported.
    expect(
      effectiveAckFloor({
        ack_floor: { stream_seq: 7 },
        delivered: { stream_seq: 90 },
        num_ack_pending: 3,
        config: { deliver_policy: "all" },
      }),
    ).toBe(7);
    expect(effectiveAckFloor({ delivered: { stream_seq: 90 }, num_ack_pending: 0 })).toBeUndefined();
  });

  it("a consumer starts after the floor, never after what the promoted stream holds", () => {
    expect(checkpointStart({ ackFloor: 42, at: "" }, 100)).toBe(43);
    // The checkpoint crossed before the messages did: start at the next message published here.
    expect(checkpointStart({ ackFloor: 120, at: "" }, 100)).toBe(101);
    expect(checkpointStart({ ackFloor: 0, at: "" }, 0)).toBe(1);
  });
});

describe("peer judgement", () => {
  it("a silent verdict serves later streams of the run for a bounded time after its last use only", () => {
    const at = 1_000_000;
    const silence = { reason: "", kind: "timeout", at, seenAt: at } as const;
    expect(silenceHolds(silence, at)).toBe(true);
    expect(silenceHolds(silence, at + SILENCE_VALID_MS)).toBe(true);
    expect(silenceHolds(silence, at + SILENCE_VALID_MS + 1)).toBe(false);
    expect(silenceHolds(silence, at - 1)).toBe(false);
    expect(silenceHolds(undefined, at)).toBe(false);
  });

  it("only an observation of the silence younger than a probe spares a stream its own", () => {
    const seenAt = 1_000_000;
    // Used since, but not observed since: the observation's age is what counts.
    const silence = { reason: "", kind: "no-responders", at: seenAt + 5000, seenAt } as const;
    expect(silenceFresh(silence, seenAt)).toBe(true);
    expect(silenceFresh(silence, seenAt + SILENCE_FRESH_MS)).toBe(true);
    expect(silenceFresh(silence, seenAt + SILENCE_FRESH_MS + 1)).toBe(false);
    expect(silenceFresh(silence, seenAt - 1)).toBe(false);
    expect(SILENCE_FRESH_MS).toBeLessThanOrEqual(SILENCE_PROBE_MS);
  });

  it("streams that need a probe while one is under way share it; a failed one is not shared", async () => {
    let probes = 0;
    let release: (value: string) => void = () => undefined;
    const probe = () => {
      probes++;
      return new Promise<string>((resolve) => (release = resolve));
    };
    const first = sharedProbe("peer-a", probe);
    const second = sharedProbe("peer-a", probe);
    const elsewhere = sharedProbe("peer-b", async () => "other peer");
    release("silent");
    expect(await first).toEqual({ result: "silent", joined: false });
    expect(await second).toEqual({ result: "silent", joined: true });
    expect(await elsewhere).toEqual({ result: "other peer", joined: false });
    expect(probes).toBe(1);
    // Once it ended, the next stream probes again.
    const third = sharedProbe("peer-a", async () => "again");
    expect(await third).toEqual({ result: "again", joined: false });

    let fail: (error: Error) => void = () => undefined;
    const failing = sharedProbe("peer-c", () => new Promise<string>((_resolve, reject) => (fail = reject)));
    const joiner = sharedProbe("peer-c", async () => "own probe");
    fail(new Error("that stream's own trouble"));
    await expect(failing).rejects.toThrow("that stream's own trouble");
    expect(await joiner).toEqual({ result: "own probe", joined: false });
  });

  it("a background probe starts only when none runs; promotions relying on the verdict are counted until released", async () => {
    let release: (value: string) => void = () => undefined;
    const running = probeUnlessRunning("peer-d", () => new Promise<string>((resolve) => (release = resolve)));
    expect(running).toBeDefined();
    expect(probeRunning("peer-d")).toBe(true);
    expect(probeUnlessRunning("peer-d", async () => "second")).toBeUndefined();
    // A stream that needs a probe now joins the background one.
    const joiner = sharedProbe("peer-d", async () => "own");
    release("silent");
    expect(await running).toEqual({ result: "silent", joined: false });
    expect(await joiner).toEqual({ result: "silent", joined: true });
    expect(probeRunning("peer-d")).toBe(false);

    const first = relyOnSilence("peer-d");
    const second = relyOnSilence("peer-d");
    expect(streamsRelying("peer-d")).toBe(2);
    first();
    first();
    expect(streamsRelying("peer-d")).toBe(1);
    second();
    expect(streamsRelying("peer-d")).toBe(0);
  });

  it("a probe renews only a verdict still held: one an answer ended stays ended", () => {
    recordSilence("peer-e", "silent", "timeout", 1_000);
    renewSilence("peer-e", 1_400);
    expect(recentSilence("peer-e", 1_500)).toMatchObject({ at: 1_400, seenAt: 1_400, reason: "silent" });
    forgetSilence("peer-e");
    renewSilence("peer-e", 1_600);
    expect(recentSilence("peer-e", 1_700)).toBeUndefined();
  });
});
