// The drill's consumer worker against two real JetStream domains: when the router moves it to the
// other region it hands over as a service rolled over would, and handles every delivery its old
// region's consumer had sent it, so none is left pending until its ackWait (where it would hold
// the consumer's ack floor and the checkpoints an unplanned failover starts from).
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, describe, expect, test } from "vitest";
import { Clients } from "../../drill/load/connections";
import { ConsumerWorker } from "../../drill/load/consumers";
import { Router } from "../../drill/load/router";
import { consumerProvider } from "../../streams/consumerProvider";
import { streamProvider } from "../../streams/streamProvider";
import { APP_CREDENTIALS, checked, eventually, rawConsumerInputs, rawStreamInputs } from "../support/provider";
import { useRegions } from "../support/regions";

const fixture = useRegions();

describe("drill consumers", { timeout: 60_000 }, () => {
  let clients: Clients | undefined;
  afterAll(async () => clients?.close());

  test("drill consumers - a pull worker moved to the other region handles everything its old region delivered to it", async () => {
    const { east, west } = fixture.regions;
    const spec = { name: "handover", subjects: ["handover.*"] };
    await streamProvider.create(await checked(streamProvider, rawStreamInputs(east, west, "primary", spec)));
    await streamProvider.create(await checked(streamProvider, rawStreamInputs(west, east, "mirror", spec)));
    for (const region of [east, west]) {
      await consumerProvider.create(
        await checked(consumerProvider, rawConsumerInputs(region, "handover", { name: "worker" })),
      );
    }
    const js = (await jetstreamManager(fixture.east)).jetstream();
    // A service keeps publishing in east throughout, so deliveries are on their way when the
    // worker moves and when its old subscription ends.
    let publishing = true;
    let published = 0;
    const publisher = (async () => {
      while (publishing) {
        const id = `h-${published++}`;
        await js.publish("handover.entry", new TextEncoder().encode(id), { msgID: id });
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    clients = new Clients(
      { [east.domain]: east.clientUrls, [west.domain]: west.clientUrls },
      { user: APP_CREDENTIALS.user, password: APP_CREDENTIALS.password },
    );
    const started = Date.now();
    const router = new Router(east.domain, () => Date.now() - started);
    const worker = new ConsumerWorker(
      { stream: "handover", name: "worker", deliver: "pull", filterSubjects: [] },
      clients,
      router,
      () => Date.now() - started,
    );
    worker.start();
    try {
      // Moved while its first requests' deliveries are still arriving.
      await eventually("the worker handles east's first deliveries", async () => worker.delivered.size >= 100, 20_000);
      router.moveTo(west.domain, "test");
      // The handover (1 s) and the old subscription's last request (at most 2 s) end before this.
      await new Promise((resolve) => setTimeout(resolve, 4000));
      publishing = false;
      await publisher;
      const manager = await jetstreamManager(fixture.east);
      await eventually(
        "every delivery of east's consumer acknowledged",
        async () => {
          const info = await manager.consumers.info("handover", "worker");
          return info.num_ack_pending === 0 && info.delivered.stream_seq > 0;
        },
        20_000,
      );
      const info = await manager.consumers.info("handover", "worker");
      const handledInEast = [...worker.acks.values()].filter((record) => record.region === east.domain).length;
      // East's consumer delivered only what the worker handled, and nothing twice.
      expect(handledInEast).toBe(info.delivered.stream_seq);
      expect(info.num_redelivered).toBe(0);
      // It stopped taking east's messages once it had moved: the later ones wait there.
      expect(info.num_pending).toBeGreaterThan(0);
      expect(info.delivered.stream_seq + info.num_pending).toBe(published);
      expect(worker.errors).toBe(0);
    } finally {
      publishing = false;
      await publisher;
      await worker.stop();
    }
  });
});
