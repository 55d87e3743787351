// What the drill reads from the engine's events: steps, their diffs and values, the summary.
import type { EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";
import { describe, expect, it } from "vitest";
import {
  changeLines,
  changedKeys,
  describeResourceChanges,
  StepRecorder,
  type EngineStep,
} from "../../drill/pulumi/update";
import { surprises } from "../../drill/surprises";

const STREAM = "pulumi-nodejs:dynamic/natsdr:JetStreamStream";
const PROVIDER = "pulumi:providers:pulumi-nodejs";

function metadata(
  op: StepEventMetadata["op"],
  name: string,
  type: string,
  olds: Record<string, unknown> | undefined,
  news: Record<string, unknown> | undefined,
  keys?: string[],
): StepEventMetadata {
  const urn = `urn:pulumi:drill-us-east-1::nats-dr::natsdr:streams:RegionStreams$${type}::${name}`;
  const state = (inputs: Record<string, unknown>) => ({
    type,
    urn,
    id: "x",
    parent: "",
    provider: "",
    inputs,
    outputs: inputs,
  });
  return {
    op,
    urn,
    type,
    provider: "",
    ...(olds ? { old: state(olds) } : {}),
    ...(news ? { new: state(news) } : {}),
    ...(keys ? { keys } : {}),
  };
}

const event = (fields: Partial<EngineEvent>): EngineEvent => ({ sequence: 0, timestamp: 0, ...fields });

const spec = { name: "events", subjects: ["events.*"], maxAge: "7d" };
const fenced = { ...spec, subjects: ["natsdr.fenced.us-east-1.events"] };

describe("pulumi up steps", () => {
  it("changed keys are marked as Pulumi's display marks them", () => {
    expect(changedKeys({ role: "mirror", spec, gone: 1 }, { role: "primary", spec: { ...spec }, added: 2 })).toEqual([
      "+added",
      "-gone",
      "~role",
    ]);
    expect(changedKeys(undefined, { a: 1 })).toEqual(["+a"]);
  });

  it("a promotion's steps are timed from their events and listed with their diff", () => {
    const recorder = new StepRecorder();
    const update = metadata(
      "update",
      "jetstream-stream-events",
      STREAM,
      { role: "mirror", spec },
      { role: "primary", spec },
    );
    const provider = metadata(
      "update",
      "default",
      PROVIDER,
      { "nats-dr:activeRegion": "us-east-1" },
      {
        "nats-dr:activeRegion": "eu-central-1",
      },
    );
    const same = metadata("same", "jetstream-consumer-analytics-consumer", "x", { a: 1 }, { a: 1 });
    expect(recorder.add(event({ resourcePreEvent: { metadata: provider } }), 100)).toBe(false);
    recorder.add(event({ resOutputsEvent: { metadata: provider } }), 130);
    recorder.add(event({ resourcePreEvent: { metadata: update } }), 200);
    recorder.add(event({ resourcePreEvent: { metadata: same } }), 210);
    recorder.add(event({ resOutputsEvent: { metadata: same } }), 220);
    recorder.add(event({ resOutputsEvent: { metadata: update } }), 1012);
    const summary = {
      maybeCorrupt: false,
      durationSeconds: 9,
      resourceChanges: { update: 2, same: 5 },
      policyPacks: {},
    };
    expect(recorder.add(event({ summaryEvent: summary }), 1100)).toBe(true);
    expect(recorder.completedMs).toBe(1100);
    expect(recorder.resourceChanges).toEqual({ update: 2, same: 5 });
    expect(recorder.steps[1]).toMatchObject({
      op: "update",
      name: "jetstream-stream-events",
      diff: ["~role"],
      values: { role: { old: "mirror", new: "primary" } },
      startedMs: 200,
      ms: 812,
      failed: false,
    });
    expect(changeLines(recorder.steps)).toEqual([
      "update pulumi:providers:pulumi-nodejs::default [diff: ~nats-dr:activeRegion] 30 ms",
      "update jetstream-stream-events [diff: ~role] 812 ms",
    ]);
  });

  it("a failed step and an error diagnostic make the summary a failure", () => {
    const recorder = new StepRecorder();
    const update = metadata("update", "jetstream-stream-events", STREAM, { role: "mirror" }, { role: "primary" });
    recorder.add(event({ resourcePreEvent: { metadata: update } }), 10);
    recorder.add(
      event({
        diagnosticEvent: { urn: update.urn, message: "stream update failed\n", color: "never", severity: "error" },
      }),
      40,
    );
    recorder.add(event({ resOpFailedEvent: { metadata: update, status: 1, steps: 1 } }), 50);
    const summary = { maybeCorrupt: false, durationSeconds: 1, resourceChanges: { same: 4 }, policyPacks: {} };
    expect(recorder.add(event({ summaryEvent: summary }), 60)).toBe(false);
    expect(recorder.errors).toEqual(["jetstream-stream-events: stream update failed"]);
    expect(changeLines(recorder.steps)).toEqual(["update jetstream-stream-events [diff: ~role] 40 ms (failed)"]);
  });

  it("a refresh is listed only when it found drift, the halves of a replacement not at all", () => {
    const recorder = new StepRecorder();
    const quiet = metadata("refresh", "jetstream-stream-audit", STREAM, { spec }, { spec });
    const drift = metadata("refresh", "jetstream-stream-events", STREAM, { spec }, { spec: { ...spec, maxAge: "1d" } });
    const half = metadata(
      "create-replacement",
      "jetstream-stream-events",
      STREAM,
      { role: "primary" },
      { role: "mirror" },
    );
    for (const [index, item] of [quiet, drift, half].entries()) {
      recorder.add(event({ resourcePreEvent: { metadata: item } }), index);
      recorder.add(event({ resOutputsEvent: { metadata: item } }), index + 1);
    }
    expect(changeLines(recorder.steps)).toEqual(["refresh jetstream-stream-events [diff: ~spec] 1 ms"]);
    expect(recorder.steps[1]!.values).toEqual({ spec: { old: spec, new: { ...spec, maxAge: "1d" } } });
  });

  it("resource changes read like Pulumi's summary", () => {
    expect(describeResourceChanges({ same: 5, update: 2 })).toBe("2 updated, 5 unchanged");
    expect(describeResourceChanges({ replace: 2, same: 5, create: 0 })).toBe("2 replaced, 5 unchanged");
    expect(describeResourceChanges({})).toBe("no resources");
  });
});

describe("drill surprises", () => {
  const run = (steps: readonly EngineStep[]) => ({
    stack: "drill-us-east-1",
    activeRegion: "eu-central-1",
    at: 30_000,
    steps,
  });
  const recorded = (...items: StepEventMetadata[]) => {
    const recorder = new StepRecorder();
    for (const item of items) {
      recorder.add(event({ resourcePreEvent: { metadata: item } }), 0);
      recorder.add(event({ resOutputsEvent: { metadata: item } }), 5);
    }
    return recorder.steps;
  };

  it("role flips, the fence read back and the provider's activeRegion are the flip's", () => {
    const steps = recorded(
      metadata(
        "update",
        "default",
        PROVIDER,
        { "nats-dr:activeRegion": "us-east-1" },
        { "nats-dr:activeRegion": "eu-central-1" },
      ),
      metadata(
        "replace",
        "jetstream-stream-events",
        STREAM,
        { role: "primary", spec: fenced },
        { role: "mirror", spec },
        ["role"],
      ),
      metadata("update", "jetstream-stream-audit", STREAM, { role: "mirror", spec }, { role: "primary", spec }),
    );
    expect(surprises([run([]), run([]), run(steps)])).toEqual([]);
  });

  it("the active stack fencing a returned old primary is expected; another live input is not", () => {
    const returned = { role: "primary", returnedPeer: { domain: "us-east-1", lastSequence: 40 } };
    const fence = recorded(
      metadata(
        "update",
        "jetstream-stream-events",
        STREAM,
        { role: "primary", spec },
        { role: "primary", spec, live: returned },
      ),
    );
    expect(surprises([run([]), run([]), run(fence)])).toEqual([]);
    const fencedHere = recorded(
      metadata(
        "update",
        "jetstream-stream-events",
        STREAM,
        { role: "primary", spec },
        { role: "primary", spec, live: { role: "primary", fencedBy: "eu-central-1" } },
      ),
    );
    expect(surprises([run([]), run([]), run(fencedHere)])).toEqual([
      "stack drill-us-east-1 (activeRegion eu-central-1) at 30000 ms: update jetstream-stream-events [diff: +live] 5 ms",
    ]);
  });

  it("the acknowledgement capture moving with the roles and a dropped live input are the flip's", () => {
    const capture = { name: "natsdr-acks", subjects: ["natsdr.acks.idle.us-east-1"], maxAge: "5m" };
    const capturing = { ...capture, subjects: ["$JS.ACK.events.analytics.>"] };
    const steps = recorded(
      metadata(
        "update",
        "jetstream-acks",
        STREAM,
        { role: "primary", spec: capture },
        { role: "primary", spec: capturing },
      ),
      metadata(
        "replace",
        "jetstream-stream-events",
        STREAM,
        { role: "primary", spec, live: { role: "primary", fencedBy: "eu-central-1" } },
        { role: "mirror", spec },
        ["role"],
      ),
    );
    expect(surprises([run([]), run([]), run(steps)])).toEqual([]);
    // The capture's stream changing anything but its subjects is not.
    const resized = recorded(
      metadata(
        "update",
        "jetstream-acks",
        STREAM,
        { role: "primary", spec: capture },
        { role: "primary", spec: { ...capturing, maxAge: "1h" } },
      ),
    );
    expect(surprises([run([]), run([]), run(resized)])).toEqual([
      "stack drill-us-east-1 (activeRegion eu-central-1) at 30000 ms: update jetstream-acks [diff: ~spec] 5 ms",
    ]);
  });

  it("any other change is named with its stack, and the first two runs create freely", () => {
    const created = recorded(metadata("create", "jetstream-consumer-analytics-consumer", "c", undefined, { spec }));
    const changed = recorded(
      metadata(
        "update",
        "jetstream-stream-events",
        STREAM,
        { role: "mirror", spec },
        { role: "mirror", spec: { ...spec, maxAge: "1d" } },
      ),
      metadata(
        "update",
        "default",
        PROVIDER,
        { "nats-dr:failover": "{}" },
        { "nats-dr:failover": '{"peerTimeoutMs":1}' },
      ),
    );
    expect(surprises([run(created), run(created), run([...created, ...changed])])).toEqual([
      "stack drill-us-east-1 (activeRegion eu-central-1) at 30000 ms: create jetstream-consumer-analytics-consumer [diff: +spec] 5 ms",
      "stack drill-us-east-1 (activeRegion eu-central-1) at 30000 ms: update jetstream-stream-events [diff: ~spec] 5 ms",
      "stack drill-us-east-1 (activeRegion eu-central-1) at 30000 ms: update pulumi:providers:pulumi-nodejs::default [diff: ~nats-dr:failover] 5 ms",
    ]);
  });
});
