// Consumer checkpoints and the peer judged once per run, against two real JetStream domains joined
// by a cuttable leafnode, with the real nats CLI as the checkpointer.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { describe, expect, test } from "vitest";
import { renderCheckpointerScript, type CheckpointPlan } from "../../infra/checkpoints";
import { startLocalCheckpointer } from "../../drill/local";
import { ACK_STREAM, CHECKPOINT_STREAM, checkpointSubject } from "../../streams";
import { readCapturedAcks } from "../../streams/capturedAcks";
import { parseCheckpoint } from "../../streams/checkpoints";
import { inSession } from "../../streams/client";
import { consumerProvider } from "../../streams/consumerProvider";
import { findPeerPrimary } from "../../streams/promotion";
import { streamProvider } from "../../streams/streamProvider";
import { makeTempDir, natsCliBinary, removeTempDir, waitForLink } from "../harness";
import { APP_CREDENTIALS, checked, eventually, rawConsumerInputs, rawStreamInputs } from "../support/provider";
import { activeAndStandbyPlans } from "../support/checkpoints";
import { useRegions } from "../support/regions";

const fixture = useRegions();
const jsm = (nc: NatsConnection) => jetstreamManager(nc);

/** What the east stack plans for its checkpointer, and the west stack for its checkpoint stream. */
function plans(streams: readonly string[], interval = "1s"): { east: CheckpointPlan; west: CheckpointPlan } {
  // The east region is active (its streams are primaries), the west one its standby (mirrors).
  const { active, standby } = activeAndStandbyPlans({
    streams,
    activeDomain: fixture.regions.east.domain,
    standbyDomain: fixture.regions.west.domain,
    interval,
  });
  return { east: active, west: standby };
}

/** The checkpoint stream in eu-central-1, declared as the west stack declares it. */
async function westCheckpointStream(plan: CheckpointPlan) {
  await streamProvider.create(
    await checked(streamProvider, rawStreamInputs(fixture.regions.west, undefined, "primary", { ...plan.stream })),
  );
}

/** The west stack's checkpoint and acknowledgement-capture streams, created where still missing. */
async function westCheckpointAndAckStreams(plan: CheckpointPlan) {
  const manager = await jsm(fixture.west);
  for (const spec of [plan.stream, plan.ackStream]) {
    const exists = await manager.streams.info(spec.name).then(
      () => true,
      () => false,
    );
    if (exists) await manager.streams.delete(spec.name);
    const created = await streamProvider.create(
      await checked(streamProvider, rawStreamInputs(fixture.regions.west, undefined, "primary", { ...spec })),
    );
    // As the server reads it back, so `pulumi refresh` and every later preview show no drift.
    const read = await streamProvider.read(created.id, created.outs);
    expect((read.props as typeof created.outs).spec).toEqual(created.outs.spec);
  }
}

async function pairWithWorker(name: string, worker: Record<string, unknown> = {}) {
  const spec = { name, subjects: [`${name}.*`] };
  await streamProvider.create(
    await checked(streamProvider, rawStreamInputs(fixture.regions.east, fixture.regions.west, "primary", spec)),
  );
  const mirror = (
    await streamProvider.create(
      await checked(streamProvider, rawStreamInputs(fixture.regions.west, fixture.regions.east, "mirror", spec)),
    )
  ).outs;
  for (const region of [fixture.regions.east, fixture.regions.west]) {
    await consumerProvider.create(
      await checked(
        consumerProvider,
        rawConsumerInputs(region, name, { name: "worker", filterSubjects: [`${name}.*`], ...worker }),
      ),
    );
  }
  return mirror;
}

async function publish(nc: NatsConnection, subject: string, from: number, count: number) {
  const js = (await jsm(nc)).jetstream();
  for (let index = from; index < from + count; index++)
    await js.publish(subject, new TextEncoder().encode(`m-${index}`), { msgID: `m-${index}` });
}

/** Publishes `count` messages in us-east-1 and waits until eu-central-1's mirror holds them. */
async function publishMirrored(name: string, count: number) {
  await publish(fixture.east, `${name}.entry`, 0, count);
  await eventually(
    `mirror at ${count}`,
    async () => (await (await jsm(fixture.west)).streams.info(name)).state.last_seq === count,
  );
}

/** us-east-1's checkpointer, run beside its servers as the drill runs it. */
function eastCheckpointer(plan: CheckpointPlan) {
  return startLocalCheckpointer({
    plan,
    servers: fixture.regions.east.clientUrls,
    user: APP_CREDENTIALS.user,
    password: APP_CREDENTIALS.password,
  });
}

/** Fetches up to `count` messages of `worker` and acknowledges them, the server confirming each. */
async function ackNext(nc: NatsConnection, stream: string, count: number): Promise<JsMsg[]> {
  const consumer = await (await jsm(nc)).jetstream().consumers.get(stream, "worker");
  const acked: JsMsg[] = [];
  while (acked.length < count) {
    const batch = await consumer.fetch({ max_messages: count - acked.length, expires: 2000 });
    for await (const message of batch) {
      await message.ackAck();
      acked.push(message);
    }
  }
  return acked;
}

async function westCheckpointFloor(stream: string): Promise<number | undefined> {
  const message = await (
    await jsm(fixture.west)
  ).streams
    .getMessage(CHECKPOINT_STREAM, { last_by_subj: checkpointSubject(fixture.regions.east.domain, stream, "worker") })
    .catch(() => null);
  return message ? parseCheckpoint(message.string(), stream, "worker", "")?.ackFloor : undefined;
}

function promoteInputs(mirror: { spec: { name: string; subjects: string[] } }) {
  return checked(
    streamProvider,
    rawStreamInputs(fixture.regions.west, fixture.regions.east, "primary", {
      name: mirror.spec.name,
      subjects: mirror.spec.subjects,
    }),
  );
}

describe("checkpoints", { timeout: 120_000 }, () => {
  test("the peer is judged once per run: later streams of an unplanned failover only probe it, and a peer that answers again gets a planned promotion", async () => {
    const names = ["judged0", "judged1", "judged2", "judged3"];
    const mirrors = [];
    for (const name of names) mirrors.push(await pairWithWorker(name));
    fixture.regions.relay.cut();
    const reasons: string[] = [];
    try {
      for (const mirror of mirrors.slice(0, 3)) {
        const promoted = await streamProvider.update("id", mirror, await promoteInputs(mirror));
        expect(promoted.outs.lastPromotion?.mode).toBe("unplanned");
        reasons.push(promoted.outs.lastPromotion!.reason);
      }
    } finally {
      fixture.regions.relay.heal();
      await waitForLink(fixture.regions);
    }
    expect(reasons[0]).not.toMatch(/judged once/);
    for (const reason of reasons.slice(1)) expect(reason).toMatch(/judged once for this run/);
    // The link is back within the verdict's lifetime: the probe finds the peer's primary, so the
    // next stream would be promoted planned (fence first), not past a live primary.
    const inputs = await promoteInputs(mirrors[3]!);
    const peer = await inSession(inputs, (session) => findPeerPrimary(session, inputs));
    expect(peer.kind).toBe("primary");
  });

  test("an unplanned promotion with the peer gone starts at the last checkpoint: redelivered at most what was acknowledged since, none skipped", async () => {
    const name = "ledger";
    const { east: eastPlan, west: westPlan } = plans([name]);
    await westCheckpointStream(westPlan);
    const mirror = await pairWithWorker(name);
    const checkpointer = eastCheckpointer(eastPlan);
    try {
      await publishMirrored(name, 300);
      // The service in us-east-1 processes 200 messages; a checkpoint with that floor reaches eu-central-1.
      await ackNext(fixture.east, name, 200);
      await eventually("checkpoint at 200", async () => (await westCheckpointFloor(name)) === 200);
      // 30 more are acknowledged, then the region is gone before (or as) the next checkpoint leaves.
      const late = await ackNext(fixture.east, name, 30);
      fixture.regions.relay.cut();
      const oldFloor = (await (await jsm(fixture.east)).consumers.info(name, "worker")).ack_floor.stream_seq;
      expect(oldFloor).toBe(230);

      const promoted = await streamProvider.update("id", mirror, await promoteInputs(mirror));
      expect(promoted.outs.lastPromotion?.mode).toBe("unplanned");
      const position = promoted.outs.lastPromotion?.consumersPositioned["worker"] as {
        checkpointFloor: number;
        startSequence: number;
      };
      // The checkpoint is a floor from the past: at or after 200, never after the old region's 230.
      expect(position.checkpointFloor).toBeGreaterThanOrEqual(200);
      expect(position.startSequence).toBeLessThanOrEqual(oldFloor + 1);
      expect(position.startSequence).toBe(position.checkpointFloor + 1);

      const delivered = await ackNext(fixture.west, name, 300 - position.checkpointFloor);
      const sequences = delivered.map((message) => message.seq);
      // Nothing skipped: every message after the old floor is delivered in the new region, in order.
      expect(sequences).toEqual(Array.from({ length: sequences.length }, (_, index) => position.startSequence + index));
      expect(sequences.at(-1)).toBe(300);
      // Redelivered: only what was acknowledged after the checkpoint the standby held.
      const redelivered = sequences.filter((seq) => seq <= oldFloor).length;
      expect(redelivered).toBe(oldFloor - position.checkpointFloor);
      expect(redelivered).toBeLessThanOrEqual(late.length);
    } finally {
      await checkpointer.stop();
      fixture.regions.relay.heal();
      await waitForLink(fixture.regions);
    }
  });

  test("the rendered checkpointer script, run by sh with the real nats CLI, fills the peer's checkpoint stream", async () => {
    const name = "script";
    const { east: eastPlan } = plans(["ledger", name], "500ms");
    await pairWithWorker(name);
    await publish(fixture.east, `${name}.entry`, 0, 5);
    await ackNext(fixture.east, name, 3);
    const dir = await makeTempDir("checkpointer");
    const script = path.join(dir, "checkpointer.sh");
    fs.writeFileSync(script, renderCheckpointerScript(eastPlan));
    const child = spawn("sh", [script], {
      detached: true,
      stdio: "ignore",
      env: {
        ...process.env,
        PATH: `${path.dirname(natsCliBinary())}${path.delimiter}${process.env.PATH ?? ""}`,
        NATS_URL: fixture.regions.east.clientUrls.join(","),
        NATS_USER: APP_CREDENTIALS.user,
        NATS_PASSWORD: APP_CREDENTIALS.password,
      },
    });
    try {
      await eventually("checkpoint of script.worker at 3", async () => (await westCheckpointFloor(name)) === 3);
      await ackNext(fixture.east, name, 2);
      await eventually("checkpoint of script.worker at 5", async () => (await westCheckpointFloor(name)) === 5);
      // One message per consumer: the stream keeps the last checkpoint only.
      const info = await (
        await jsm(fixture.west)
      ).streams.info(CHECKPOINT_STREAM, {
        subjects_filter: `natsdr.checkpoints.${fixture.regions.east.domain}.>`,
      });
      expect(info.state.subjects?.[checkpointSubject(fixture.regions.east.domain, name, "worker")]).toBe(1);
    } finally {
      process.kill(-child.pid!, "SIGTERM");
      await removeTempDir(dir);
    }
  });

  test("an old checkpoint: the promotion starts past the run acknowledged above it, verified against the mirror, and acknowledges again only what lies above a message not done with", async () => {
    const name = "oldcheckpoint";
    // The worker takes `.entry` only; ten `.other` messages (151..160) lie inside the run.
    const mirror = await pairWithWorker(name, { filterSubjects: [`${name}.entry`] });
    const { east: eastPlan, west: westPlan } = plans([name]);
    await westCheckpointAndAckStreams(westPlan);
    try {
      await publish(fixture.east, `${name}.entry`, 0, 150);
      await publish(fixture.east, `${name}.other`, 150, 10);
      await publish(fixture.east, `${name}.entry`, 160, 140);
      await eventually(
        "mirror at 300",
        async () => (await (await jsm(fixture.west)).streams.info(name)).state.last_seq === 300,
      );
      const checkpointer = eastCheckpointer(eastPlan);
      try {
        await ackNext(fixture.east, name, 100);
        await eventually("checkpoint at 100", async () => (await westCheckpointFloor(name)) === 100);
      } finally {
        await checkpointer.stop();
      }
      // After the last checkpoint: everything but 200 (its delivery lost) acknowledged.
      const consumer = await (await jsm(fixture.east)).jetstream().consumers.get(name, "worker");
      let seen = 0;
      while (seen < 190) {
        for await (const message of await consumer.fetch({ max_messages: 190 - seen, expires: 2000 })) {
          seen++;
          if (message.seq !== 200) await message.ackAck();
        }
      }
      await eventually("acknowledgements captured in west", async () => {
        const captured = await (
          await jsm(fixture.west)
        ).streams.info(ACK_STREAM, {
          subjects_filter: `$JS.ACK.${name}.worker.>`,
        });
        return captured.state.messages >= 289;
      });
      fixture.regions.relay.cut();
      const promoted = await streamProvider.update("id", mirror, await promoteInputs(mirror));
      expect(promoted.outs.lastPromotion?.mode).toBe("unplanned");
      const position = promoted.outs.lastPromotion!.consumersPositioned["worker"] as {
        checkpointFloor: number;
        startSequence: number;
        acknowledgedAgain?: { captured: number; startedPast: number; acknowledged: number; complete: boolean };
      };
      // 101..150 and 161..199 started past (the .other messages passed over), 201..300 acknowledged again.
      expect(position).toMatchObject({ checkpointFloor: 100, startSequence: 200 });
      expect(position.acknowledgedAgain).toMatchObject({
        captured: 189,
        startedPast: 89,
        acknowledged: 100,
        complete: true,
      });
      const west = await (await jsm(fixture.west)).jetstream().consumers.get(name, "worker");
      const delivered: number[] = [];
      for (let round = 0; round < 3; round++) {
        for await (const message of await west.fetch({ max_messages: 300, expires: 1000 })) {
          delivered.push(message.seq);
          await message.ackAck();
        }
      }
      expect(delivered).toEqual([200]);
    } finally {
      fixture.regions.relay.heal();
      await waitForLink(fixture.regions);
    }
  });

  test("a planned promotion makes the demoted peer capture its consumers' acknowledgements before it resumes them, for two streams at once; a peer without a capture stream is left alone", async () => {
    const names = ["moved0", "moved1"];
    const mirrors = [];
    for (const name of names) mirrors.push(await pairWithWorker(name));
    // East is the active region: its stack declares the capture idle (it mirrors nothing).
    const { east: eastPlan } = plans(names);
    expect(eastPlan.ackStream.subjects).toEqual([`natsdr.acks.idle.${fixture.regions.east.domain}`]);
    const eastManager = await jsm(fixture.east);
    await eastManager.streams.delete(ACK_STREAM).catch(() => undefined);
    await streamProvider.create(
      await checked(
        streamProvider,
        rawStreamInputs(fixture.regions.east, undefined, "primary", { ...eastPlan.ackStream }),
      ),
    );
    try {
      for (const name of names) await publishMirrored(name, 20);
      const promoted = await Promise.all(
        mirrors.map(async (mirror) => streamProvider.update("id", mirror, await promoteInputs(mirror))),
      );
      for (const result of promoted) {
        expect(result.outs.lastPromotion?.mode).toBe("planned");
        expect(result.outs.lastPromotion?.peerCapture).toBe("moved");
      }
      // Both streams' consumers, in the order the east stack declares them once it runs as standby.
      const capture = await eastManager.streams.info(ACK_STREAM);
      expect(capture.config.subjects).toEqual(names.map((name) => `$JS.ACK.${name}.worker.>`));
      // The service in west acknowledges from the first delivery on, and east keeps each acknowledgement.
      const acked = await ackNext(fixture.west, names[0]!, 20);
      await eventually("west's acknowledgements captured in east", async () => {
        const captured = await eastManager.streams.info(ACK_STREAM, {
          subjects_filter: `$JS.ACK.${names[0]}.worker.>`,
        });
        return captured.state.messages === acked.length;
      });
      // As an unplanned promotion back to east reads them.
      const eastInputs = await checked(
        streamProvider,
        rawStreamInputs(fixture.regions.east, fixture.regions.west, "mirror", { ...mirrors[0]!.spec }),
      );
      const kept = await inSession(eastInputs, (session) => readCapturedAcks(session, names[0]!, "worker", 0, 20));
      expect([...kept.keys()].sort((a, b) => a - b)).toEqual(acked.map((message) => message.seq));
    } finally {
      await eastManager.streams.delete(ACK_STREAM).catch(() => undefined);
    }

    // Checkpoints off in east (no capture stream): the promotion says so and changes nothing there.
    const name = "nocapture";
    const mirror = await pairWithWorker(name);
    await publishMirrored(name, 5);
    const promoted = await streamProvider.update("id", mirror, await promoteInputs(mirror));
    expect(promoted.outs.lastPromotion).toMatchObject({ mode: "planned", peerCapture: "no-capture" });
    await expect(eastManager.streams.info(ACK_STREAM)).rejects.toThrow(/not found/);
  });

  describe("a delivery lost in flight holds the floor; the acknowledgements above it were captured", () => {
    /**
     * East's service acknowledges (server-confirmed) every message of 1..300 but: 5 (its delivery
     * lost: the floor stays at 4), 250..300 (not processed yet); it terminates 50. The checkpoint
     * reaches west with floor 4 and west's `natsdr-acks` captures the acknowledgements across the
     * leafnode. Returns the messages a promotion must deliver again: 5 and 250..300.
     */
    async function holdFloorInEast(name: string, receive: (take: (message: JsMsg) => Promise<void>) => Promise<void>) {
      const { east: eastPlan, west: westPlan } = plans([name]);
      await westCheckpointAndAckStreams(westPlan);
      const checkpointer = eastCheckpointer(eastPlan);
      try {
        await publishMirrored(name, 300);
        await receive(async (message) => {
          if (message.seq === 5 || message.seq >= 250) return;
          if (message.seq === 50) message.term();
          else await message.ackAck();
        });
        const east = await (await jsm(fixture.east)).consumers.info(name, "worker");
        expect(east.ack_floor.stream_seq).toBe(4);
        await eventually("checkpoint at 4", async () => (await westCheckpointFloor(name)) === 4);
        const captured = await (
          await jsm(fixture.west)
        ).streams.info(ACK_STREAM, {
          subjects_filter: `$JS.ACK.${name}.worker.>`,
        });
        expect(captured.state.messages).toBeGreaterThanOrEqual(248);
      } finally {
        await checkpointer.stop();
      }
    }

    const expected = [5, ...Array.from({ length: 51 }, (_, index) => 250 + index)];

    async function promoteCut(mirror: Awaited<ReturnType<typeof pairWithWorker>>) {
      fixture.regions.relay.cut();
      const promoted = await streamProvider.update("id", mirror, await promoteInputs(mirror));
      expect(promoted.outs.lastPromotion?.mode).toBe("unplanned");
      return promoted.outs.lastPromotion!.consumersPositioned["worker"] as {
        checkpointFloor: number;
        startSequence: number;
        acknowledgedAgain?: { captured: number; acknowledged: number; released: number; complete: boolean };
      };
    }

    test("pull: the promotion acknowledges again what east acknowledged above the floor; west delivers 5 and 250..300 only", async () => {
      const name = "heldpull";
      const mirror = await pairWithWorker(name);
      try {
        await holdFloorInEast(name, async (take) => {
          const consumer = await (await jsm(fixture.east)).jetstream().consumers.get(name, "worker");
          let seen = 0;
          while (seen < 300) {
            for await (const message of await consumer.fetch({ max_messages: 300 - seen, expires: 2000 })) {
              seen++;
              await take(message);
            }
          }
        });
        const position = await promoteCut(mirror);
        expect(position.startSequence).toBe(5);
        // 6..249 but 50 acknowledged, 50 terminated: 244 done with, all of them matched.
        expect(position.acknowledgedAgain).toMatchObject({ captured: 244, acknowledged: 244, complete: true });
        // A consumer nothing was captured for reads as none (the batch ends with a 404 status).
        const none = await inSession(await promoteInputs(mirror), (session) =>
          readCapturedAcks(session, name, "nobody", 0, 300),
        );
        expect(none.size).toBe(0);
        const consumer = await (await jsm(fixture.west)).jetstream().consumers.get(name, "worker");
        const delivered: number[] = [];
        for (let round = 0; round < 5 && delivered.length < expected.length; round++) {
          for await (const message of await consumer.fetch({ max_messages: 400, expires: 1000 })) {
            delivered.push(message.seq);
            await message.ackAck();
          }
        }
        expect(delivered.sort((a, b) => a - b)).toEqual(expected);
      } finally {
        fixture.regions.relay.heal();
        await waitForLink(fixture.regions);
      }
    });

    test("push: the promotion takes the deliveries on an inbox of its own, then hands the consumer to its deliver subject; none acknowledged in east arrives", async () => {
      const name = "heldpush";
      const deliverSubject = `deliver.${name}`;
      const mirror = await pairWithWorker(name, { deliver: "push", deliverSubject, ackWait: "30s" });
      try {
        await holdFloorInEast(name, async (take) => {
          const consumer = await (await jsm(fixture.east)).jetstream().consumers.getPushConsumer(name, "worker");
          const messages = await consumer.consume();
          let seen = 0;
          for await (const message of messages) {
            await take(message);
            if (++seen === 300) break;
          }
          await messages.close();
        });
        const position = await promoteCut(mirror);
        expect(position.acknowledgedAgain).toMatchObject({ captured: 244, acknowledged: 244, complete: true });
        const west = await (await jsm(fixture.west)).consumers.info(name, "worker");
        expect(west.config.deliver_subject).toBe(deliverSubject);
        expect(west.config.metadata?.["natsdr.catch-up-deliver-subject"]).toBeUndefined();
        const consumer = await (await jsm(fixture.west)).jetstream().consumers.getPushConsumer(name, "worker");
        const messages = await consumer.consume();
        const delivered: number[] = [];
        const stop = setTimeout(() => void messages.close(), 4000);
        for await (const message of messages) {
          delivered.push(message.seq);
          message.ack();
        }
        clearTimeout(stop);
        // Released at once with a negative acknowledgement, not after the 30 s ackWait.
        expect(delivered.sort((a, b) => a - b)).toEqual(expected);
      } finally {
        fixture.regions.relay.heal();
        await waitForLink(fixture.regions);
      }
    });
  });
});
