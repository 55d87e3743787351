// Captured acknowledgements, the pure parts: reading a v1 acknowledgement subject and body, the
// messages done with above a floor, what a catch-up answers to a delivery, giving a redirected
// push consumer its deliver subject back, and the capture stream each region plans.
import { describe, expect, it } from "vitest";
import { regionCheckpoints } from "../../infra/region";
import { catchUpAnswer, withoutCatchUpRedirect } from "../../streams/ackCatchUp";
import {
  ackCaptureIdleSubject,
  ackCaptureSubject,
  ackKind,
  doneAboveFloor,
  parseAckReply,
} from "../../streams/capturedAcks";
import { everyDeliveryCaptured } from "../../streams/peerDrain";
import { diffStreamInputs } from "../../streams/diff";
import { withCapturedConsumers, withinGrace, withoutCapturedConsumers } from "../../streams/peerCapture";
import { streamSpecSchema } from "../../streams/schemas";
import { specFromWire, streamWireConfig } from "../../streams/wire";
import { parsed, rawConfig } from "./support";

const reply = (seq: number, ts = `17650000000000000${seq % 10}`, deliveries = 1) =>
  `$JS.ACK.orders.settle.${deliveries}.${seq}.${seq + 100}.${ts}.7`;

describe("captured acknowledgements", () => {
  it("reads the nine tokens of a v1 acknowledgement subject, and nothing else", () => {
    expect(parseAckReply("$JS.ACK.orders.settle.2.1042.77.1765000000123456789.5")).toEqual({
      stream: "orders",
      consumer: "settle",
      deliveries: 2,
      streamSequence: 1042,
      consumerSequence: 77,
      timestamp: "1765000000123456789",
      pending: 5,
    });
    // v2 (domain, account hash and a token more), an API subject, a non-number token.
    expect(parseAckReply("$JS.ACK.us-east-1.ACCHASH.orders.settle.1.5.5.1765000000123456789.0.x")).toBeUndefined();
    expect(parseAckReply("$JS.API.CONSUMER.INFO.orders.settle.1.2.3")).toBeUndefined();
    expect(parseAckReply("$JS.ACK.orders.settle.1.five.5.1765000000123456789.0")).toBeUndefined();
    expect(ackCaptureSubject("orders", "settle")).toBe("$JS.ACK.orders.settle.>");
  });

  it("tells acknowledgements and terminations from negative ones and progress", () => {
    expect(ackKind("")).toBe("ack");
    expect(ackKind("+ACK")).toBe("ack");
    expect(ackKind('+NXT {"batch":5}')).toBe("ack");
    expect(ackKind("+TERM poison")).toBe("term");
    expect(ackKind("-NAK")).toBe("nak");
    expect(ackKind('-NAK {"delay":1000000000}')).toBe("nak");
    expect(ackKind("+WPI")).toBe("progress");
    expect(ackKind("hello")).toBeUndefined();
  });

  it("keeps the messages done with above the floor and within what the mirror holds, first answer per sequence", () => {
    const done = doneAboveFloor(
      [
        { subject: reply(10), body: "+ACK" }, // at the floor: already counted
        { subject: reply(11), body: "-NAK" }, // pending still
        { subject: reply(12), body: "" },
        { subject: reply(13), body: "+TERM" },
        { subject: reply(14), body: "+WPI" },
        { subject: reply(15, "1765000000000000005", 2), body: "+ACK" },
        { subject: reply(15, "1765000000000000005", 3), body: "+ACK" },
        { subject: reply(16), body: "+ACK" }, // beyond the last mirrored message
        { subject: "natsdr.other", body: "+ACK" },
      ],
      10,
      15,
    );
    expect([...done.keys()]).toEqual([12, 13, 15]);
    expect(done.get(13)?.kind).toBe("term");
    expect(done.get(15)).toEqual({ timestamp: "1765000000000000005", kind: "ack" });
  });

  it("a catch-up acknowledges a delivery only when sequence and message timestamp both match", () => {
    const done = new Map([
      [12, { timestamp: "1765000000000000002", kind: "ack" as const }],
      [13, { timestamp: "1765000000000000003", kind: "term" as const }],
    ]);
    expect(catchUpAnswer(reply(12, "1765000000000000002", 1), done)).toBe("+ACK");
    expect(catchUpAnswer(reply(13, "1765000000000000003", 1), done)).toBe("+TERM");
    // The same sequence of another message (a re-created stream reused it): held, released later.
    expect(catchUpAnswer(reply(12, "1765999999999999999", 1), done)).toBeUndefined();
    expect(catchUpAnswer(reply(14, "1765000000000000004", 1), done)).toBeUndefined();
    expect(catchUpAnswer("_INBOX.abc", done)).toBeUndefined();
  });

  it("a push consumer left delivering to a catch-up's inbox gets its deliver subject back", () => {
    const redirected = {
      durable_name: "settle",
      deliver_subject: "_INBOX.catchup",
      metadata: { "natsdr.catch-up-deliver-subject": "deliver.settle", team: "payments" },
    };
    expect(withoutCatchUpRedirect(redirected)).toEqual({
      durable_name: "settle",
      deliver_subject: "deliver.settle",
      metadata: { team: "payments" },
    });
    const plain = { durable_name: "settle", deliver_subject: "deliver.settle" };
    expect(withoutCatchUpRedirect(plain)).toBe(plain);
  });

  it("each region plans the capture stream: one filter per checkpointed consumer, no_ack, replicated like the checkpoints, kept 5m", () => {
    const plan = regionCheckpoints(parsed(rawConfig("eu-central-1")))!;
    expect(plan.ackStream.subjects).toEqual(
      plan.consumers.map((consumer) => `$JS.ACK.${consumer.stream}.${consumer.consumer}.>`),
    );
    expect(plan.ackStream).toMatchObject({ name: "natsdr-acks", noAck: true, replicas: 3, maxAge: "5m" });
    expect(plan.ackStream.replicas).toBe(plan.stream.replicas);
    const wire = streamWireConfig(plan.ackStream, "primary", undefined, {});
    expect(wire.no_ack).toBe(true);
    expect(wire.subjects).toEqual(plan.ackStream.subjects);
    // Read back from the server's config it is the same spec (no drift on refresh).
    expect(specFromWire(wire as never, plan.ackStream).spec).toEqual(plan.ackStream);
    // The schema takes the field and leaves it absent when not given: no diff on existing stacks.
    const catalogStream = streamSpecSchema().parse({ name: "orders", subjects: ["orders.>"] });
    expect("noAck" in catalogStream).toBe(false);
    expect("no_ack" in streamWireConfig(catalogStream, "primary", undefined, {})).toBe(false);
  });

  it("only the standby captures: the active region's capture stream takes its idle subject, and a flip moves the capture in place", () => {
    // us-east-1 active: eu-central-1 (mirrors) captures, us-east-1 (primaries) does not.
    const active = regionCheckpoints(parsed(rawConfig("us-east-1")))!;
    const standby = regionCheckpoints(parsed(rawConfig("eu-central-1")))!;
    expect(active.consumers.length).toBeGreaterThan(0);
    expect(active.ackStream.subjects).toEqual([ackCaptureIdleSubject("us-east-1")]);
    expect(active.ackStream.subjects).toEqual(["natsdr.acks.idle.us-east-1"]);
    expect(standby.ackStream.subjects).toEqual(
      standby.consumers.map((consumer) => ackCaptureSubject(consumer.stream, consumer.consumer)),
    );
    // The checkpointer sends the positions of the same consumers either way.
    expect(active.consumers).toEqual(standby.consumers);
    // After the flip to eu-central-1, us-east-1 captures: only the subjects change, in place.
    const flipped = regionCheckpoints(parsed(rawConfig("us-east-1", { activeRegion: "eu-central-1" })))!;
    expect(flipped.ackStream.subjects).toEqual(
      flipped.consumers.map((consumer) => ackCaptureSubject(consumer.stream, consumer.consumer)),
    );
    const inputs = (spec: typeof active.ackStream) => ({
      connection: { servers: ["nats://127.0.0.1:4222"] },
      domain: "us-east-1",
      spec,
      role: "primary" as const,
      allowDeleteWithMessages: true,
    });
    const diff = diffStreamInputs(inputs(active.ackStream) as never, inputs(flipped.ackStream) as never);
    expect(diff.changed).toEqual(["spec.subjects"]);
    expect(diff.replaces).toEqual([]);
  });

  it("a planned promotion gives the demoted peer's capture the subjects its stack then declares: the stack's run changes nothing", () => {
    // us-east-1 was active (capture idle); every stream flips to eu-central-1, one promotion each.
    const before = regionCheckpoints(parsed(rawConfig("us-east-1")))!;
    const after = regionCheckpoints(parsed(rawConfig("us-east-1", { activeRegion: "eu-central-1" })))!;
    const byStream = new Map<string, string[]>();
    for (const { stream, consumer } of after.consumers)
      byStream.set(stream, [...(byStream.get(stream) ?? []), consumer]);
    let subjects: readonly string[] = before.ackStream.subjects;
    for (const [stream, consumers] of [...byStream].reverse()) {
      subjects = withCapturedConsumers(subjects, stream, consumers) ?? subjects;
    }
    expect(subjects).toEqual(after.ackStream.subjects);
    expect(withCapturedConsumers(subjects, [...byStream.keys()][0]!, [...byStream.values()][0]!)).toBeUndefined();
    // Ordered by "<stream>.<consumer>" as the plan orders them, not by the whole subject.
    expect(withCapturedConsumers([], "a", ["x-b", "x"])).toEqual(["$JS.ACK.a.x.>", "$JS.ACK.a.x-b.>"]);
    // A stream without consumers adds nothing; subjects of other kinds than acknowledgements go.
    expect(withCapturedConsumers(["natsdr.acks.idle.us-east-1"], "orders", [])).toBeUndefined();
    expect(withCapturedConsumers(["natsdr.acks.idle.us-east-1", "$JS.ACK.b.c.>"], "a", ["x", "y"])).toEqual([
      "$JS.ACK.a.x.>",
      "$JS.ACK.a.y.>",
      "$JS.ACK.b.c.>",
    ]);
    // A promotion that failed takes its subjects out again; the last one out gives back the idle subject.
    expect(withoutCapturedConsumers(["$JS.ACK.a.x.>", "$JS.ACK.b.c.>"], "a", ["x"], "us-east-1")).toEqual([
      "$JS.ACK.b.c.>",
    ]);
    expect(withoutCapturedConsumers(["$JS.ACK.a.x.>"], "a", ["x"], "us-east-1")).toEqual([
      "natsdr.acks.idle.us-east-1",
    ]);
    expect(withoutCapturedConsumers(["natsdr.acks.idle.us-east-1"], "a", ["x"], "us-east-1")).toBeUndefined();
  });

  it("a planned drain stops waiting for acknowledgements lost on their way once every delivery above the floor is captured here", () => {
    const consumer = (floor: number, delivered: number, redelivered = 0) => ({
      ack_floor: { consumer_seq: floor, stream_seq: floor + 1000 },
      delivered: { consumer_seq: delivered, stream_seq: delivered + 1000 },
      num_redelivered: redelivered,
    });
    // 10 deliveries above the floor: 10 captured done means the pending ones were all sent.
    expect(everyDeliveryCaptured(consumer(40, 50), 10)).toBe(true);
    expect(everyDeliveryCaptured(consumer(40, 50), 9)).toBe(false);
    // A redelivery: more deliveries than messages, so the count proves nothing.
    expect(everyDeliveryCaptured(consumer(40, 50, 1), 10)).toBe(false);
    expect(everyDeliveryCaptured({}, 10)).toBe(false);
  });

  it("a promotion waits for the capture's move a bounded time: its outcome when it ends in time, else late, and hears the end", async () => {
    const heard: string[] = [];
    expect(await withinGrace(Promise.resolve("moved"), (final) => heard.push(final), 50)).toBe("moved");
    let finish: (value: string) => void = () => undefined;
    const slow = new Promise<string>((resolve) => (finish = resolve));
    const outcome = await withinGrace(slow, (final) => heard.push(final), 50);
    expect(outcome).toMatch(/^late: not done 50 ms after the promotion was/);
    expect(heard).toEqual([]);
    finish("failed: timeout");
    await slow;
    await Promise.resolve();
    expect(heard).toEqual(["failed: timeout"]);
  });
});
