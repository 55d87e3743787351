// The drill's reading of a region's raft elections after a server is killed
// (drill/local/elections.ts), against a real 3-node cluster: the groups the killed server led are
// the ones timed, and each counts as elected only once a survivor leads it.
import { AckPolicy, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { groupsLedBySurvivors, leadersSeen, META_GROUP, watchElections } from "../../drill/local/elections";
import { connectApp, jsz, startCluster, waitFor, type Cluster } from "../harness";

describe("the old region's elections after a kill", () => {
  let cluster: Cluster;
  let nc: NatsConnection;
  beforeAll(async () => {
    cluster = await startCluster({ size: 3, domain: "us-east-1", clusterName: "east" });
    nc = await connectApp(cluster.clientUrls);
  });
  afterAll(async () => {
    await nc?.close();
    await cluster?.stop();
  });

  test("the killed leader's stream and consumer are timed until a survivor leads them; others are not", async () => {
    const jsm = await jetstreamManager(nc, { timeout: 5000 });
    await jsm.streams.add({ name: "orders", subjects: ["orders.>"], num_replicas: 3 });
    await jsm.streams.add({ name: "unwatched", subjects: ["unwatched.>"], num_replicas: 3 });
    await jsm.consumers.add("orders", { durable_name: "billing", ack_policy: AckPolicy.Explicit });
    const leaderOf = async () => (await jsm.streams.info("orders")).cluster?.leader;
    const leader = await waitFor("a leader of orders", leaderOf);
    const victim = cluster.servers.find((server) => server.name === leader)!;
    const survivors = cluster.servers.filter((server) => server !== victim);
    const consumerLeaderBefore = (await jsm.consumers.info("orders", "billing")).cluster?.leader;
    const metaLeaderBefore = (await jsz(victim.monitorPort)).meta_cluster?.leader;

    const started = performance.now();
    const clock = () => performance.now() - started;
    await victim.kill();
    const watch = watchElections(survivors, ["orders"], clock, clock());
    // nats-server elects after 4-9 s of silence; the watch ends by itself once all are led.
    await waitFor(
      "a new leader of orders",
      async () => {
        const now = await leaderOf().catch(() => undefined);
        return now !== undefined && now !== victim.name ? now : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const consumerLeader = await waitFor(
      "a new leader of billing",
      async () => {
        const info = await jsm.consumers.info("orders", "billing").catch(() => undefined);
        const now = info?.cluster?.leader;
        return now !== undefined && now !== victim.name ? now : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    // The meta layer may elect after the stream and the consumer: the watch ends once all have.
    expect(await watch.ended).toBe(true);
    const times = await watch.stop();

    expect(times.elected["orders"]).toBeGreaterThan(0);
    expect(times.lastMs).toBeGreaterThanOrEqual(times.elected["orders"]!);
    expect(times.lastMs).toBe(Math.max(...Object.values(times.elected)));
    // Only the victim's groups: a stream not asked for never appears.
    expect(Object.keys(times.elected).every((group) => group === META_GROUP || group.startsWith("orders"))).toBe(true);
    // A group a survivor led at the kill is not timed; one the killed server led is.
    expect("orders/billing" in times.elected).toBe(consumerLeaderBefore === victim.name);
    expect(META_GROUP in times.elected).toBe(metaLeaderBefore === victim.name);
    expect(times.unelected).toEqual([]);
    expect(survivors.map((server) => server.name)).toContain(consumerLeader);
  }, 60_000);
});

describe("what the survivors' /jsz says", () => {
  const jsz = (meta: string, streamLeader: string, consumerLeader: string) => ({
    meta_cluster: { leader: meta },
    account_details: [
      {
        stream_detail: [
          {
            name: "orders",
            cluster: { leader: streamLeader },
            consumer_detail: [{ name: "billing", cluster: { leader: consumerLeader } }],
          },
          { name: "other", cluster: { leader: "east-1" } },
        ],
      },
    ],
  });

  test("a group is led by the survivors once one of them names a survivor; the victim or nobody is not", () => {
    // east-1 was killed: east-2 still names it for the stream (no election yet), east-3 names
    // nobody (a candidate); east-3 already leads the consumer.
    const seen = leadersSeen([jsz("east-2", "east-1", "east-3"), jsz("east-2", "", "east-3")], ["orders"]);
    expect([...seen.keys()].sort()).toEqual([META_GROUP, "orders", "orders/billing"]);
    expect([...groupsLedBySurvivors(seen, ["east-2", "east-3"])].sort()).toEqual([META_GROUP, "orders/billing"]);
  });
});
