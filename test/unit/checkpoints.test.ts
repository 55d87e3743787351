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
import { checkpointStart, parseCheckpoint } from "../../streams/checkpoints";
import { SILENCE_VALID_MS, silenceHolds } from "../../streams/peerJudgement";
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

  it("a consumer starts after the floor, never after what the promoted stream holds", () => {
    expect(checkpointStart({ ackFloor: 42, at: "" }, 100)).toBe(43);
    // The checkpoint crossed before the messages did: start at the next message published here.
    expect(checkpointStart({ ackFloor: 120, at: "" }, 100)).toBe(101);
    expect(checkpointStart({ ackFloor: 0, at: "" }, 0)).toBe(1);
  });

  it("peer judgement - a silent verdict serves later streams of the run for a bounded time after its last use only", () => {
    const at = 1_000_000;
    expect(silenceHolds({ reason: "", kind: "timeout", at }, at)).toBe(true);
    expect(silenceHolds({ reason: "", kind: "timeout", at }, at + SILENCE_VALID_MS)).toBe(true);
    expect(silenceHolds({ reason: "", kind: "timeout", at }, at + SILENCE_VALID_MS + 1)).toBe(false);
    expect(silenceHolds({ reason: "", kind: "timeout", at }, at - 1)).toBe(false);
    expect(silenceHolds(undefined, at)).toBe(false);
  });
});
