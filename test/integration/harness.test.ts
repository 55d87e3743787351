// Proves the integration-test harness: real nats-server processes, a 3-node JetStream
// cluster, and two JetStream domains joined by a leafnode that a relay can partition.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  connectApp,
  DOMAINS,
  healthz,
  jetStreamApiAnswers,
  jsz,
  leafnodeUrl,
  leafz,
  makeTempDir,
  natsServerBinary,
  removeTempDir,
  renderServerConfig,
  sleep,
  startCluster,
  startServer,
  startStandalone,
  startTwoDomains,
  waitFor,
  waitForLink,
  type Cluster,
  type Standalone,
  type TwoDomains,
} from "../harness";

describe("harness - servers", () => {
  test("rendered configs are deterministic and pass nats-server -t", async () => {
    const options = {
      serverName: "east-1",
      clientPort: 4222,
      monitorPort: 8222,
      storeDir: "/tmp/store",
      domain: "us-east-1",
      cluster: { name: "east", port: 6222, routePorts: [6222, 6223, 6224] },
      leafnodeListenPort: 7422,
      leafnodeRemoteUrls: [leafnodeUrl(7500)],
    };
    const text = renderServerConfig(options);
    expect(renderServerConfig({ ...options })).toBe(text);
    expect(text).toContain('domain: "us-east-1"');
    expect(text).toContain('"nats-leaf://leaf:leaf-secret@127.0.0.1:7500"');
    const dir = await makeTempDir("config-test");
    try {
      const file = path.join(dir, "east-1.conf");
      await fs.promises.writeFile(file, text);
      const result = spawnSync(natsServerBinary(), ["-t", "-c", file], { encoding: "utf8" });
      expect(result.stderr).toContain("is valid");
      expect(result.status).toBe(0);
    } finally {
      await removeTempDir(dir);
    }
  });

  test("a config that nats-server -t rejects fails the start with its output", async () => {
    await expect(
      startServer({ name: "broken", configText: "listen: 127.0.0.1:-1\njetstream { max_mem: plenty }\n" }),
    ).rejects.toThrow(/nats-server -t rejected .*broken\.conf/);
  });

  test("a server on random ports reports the ports it bound", async () => {
    const server = await startServer({
      name: "random-ports",
      configText: ({ storeDir }) =>
        `listen: 127.0.0.1:-1\nhttp: 127.0.0.1:-1\njetstream { store_dir: ${JSON.stringify(storeDir)} }\n`,
    });
    try {
      expect(server.clientPort).toBeGreaterThan(0);
      expect((await healthz(server.monitorPort)).status).toBe("ok");
      expect(fs.existsSync(server.logFile)).toBe(true);
    } finally {
      await server.dispose();
    }
    expect(server.running).toBe(false);
    expect(fs.existsSync(server.tempDir)).toBe(false);
  });
});

describe("harness - standalone", () => {
  let standalone: Standalone;
  beforeAll(async () => {
    standalone = await startStandalone({ domain: "us-east-1" });
  });
  afterAll(async () => {
    await standalone?.stop();
  });

  test("a standalone server is healthy and serves JetStream in its domain", async () => {
    expect((await healthz(standalone.server.monitorPort)).httpStatus).toBe(200);
    const info = await jsz(standalone.server.monitorPort);
    expect(info.config?.domain).toBe("us-east-1");
    expect(info.meta_cluster).toBeUndefined();

    const nc = await connectApp(standalone.clientUrl);
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "probe", subjects: ["probe.>"] });
      await jsm.jetstream().publish("probe.one", "hello");
      expect((await jsm.streams.info("probe")).state.messages).toBe(1);
    } finally {
      await nc.close();
    }
  });

  test("a restarted server keeps its store", async () => {
    const { server } = standalone;
    await server.stop();
    expect(server.running).toBe(false);
    await server.start();
    const nc = await connectApp(server.clientUrl);
    try {
      const jsm = await jetstreamManager(nc);
      expect((await jsm.streams.info("probe")).state.messages).toBe(1);
    } finally {
      await nc.close();
    }
  });
});

describe("harness - cluster", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ size: 3, domain: "us-east-1", clusterName: "east" });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  test("a 3-node cluster reports 3 peers in the JetStream meta cluster", async () => {
    const infos = await Promise.all(cluster.servers.map((s) => jsz(s.monitorPort)));
    const leader = infos[0]?.meta_cluster?.leader;
    expect(infos.map((i) => i.meta_cluster?.leader)).toEqual([leader, leader, leader]);
    expect(infos.map((i) => i.meta_cluster?.cluster_size)).toEqual([3, 3, 3]);
    const leaderInfo = infos.find((_, i) => cluster.servers[i]!.name === leader);
    const peers = [leader, ...(leaderInfo?.meta_cluster?.replicas ?? []).map((p) => p.name)].sort();
    expect(peers).toEqual(cluster.servers.map((s) => s.name).sort());
  });
});

describe("harness - two domains", () => {
  const STREAM = "orders";
  let regions: TwoDomains;
  let east: NatsConnection;
  let west: NatsConnection;
  let eastJsm: JetStreamManager;
  let westJsm: JetStreamManager;

  beforeAll(async () => {
    regions = await startTwoDomains({ clustered: false });
    east = await connectApp(regions.east.clientUrls);
    west = await connectApp(regions.west.clientUrls);
    eastJsm = await jetstreamManager(east);
    westJsm = await jetstreamManager(west);
  });
  afterAll(async () => {
    await east?.close();
    await west?.close();
    await regions?.stop();
  });

  const mirrorMessages = async (): Promise<number> => (await westJsm.streams.info(STREAM)).state.messages;
  const publish = async (count: number, from: number): Promise<void> => {
    const js = eastJsm.jetstream();
    for (let i = from; i < from + count; i++) {
      await js.publish(`${STREAM}.created`, `order ${i}`);
    }
  };

  test("a cross-domain mirror follows its origin over the leafnode", async () => {
    await eastJsm.streams.add({ name: STREAM, subjects: [`${STREAM}.>`] });
    await westJsm.streams.add({ name: STREAM, mirror: { name: STREAM, external: { api: `$JS.${DOMAINS.east}.API` } } });
    await publish(100, 1);
    expect(await waitFor("the mirror to hold 100 messages", async () => (await mirrorMessages()) === 100)).toBe(true);
  });

  test("cutting the relay partitions the regions and healing rejoins them", async () => {
    const westMonitor = regions.west.servers[0]!.monitorPort;
    regions.relay.cut();
    try {
      await waitFor("the west leafnode to drop", async () => (await leafz(westMonitor)).leafnodes === 0);
      await publish(10, 101);
      expect((await eastJsm.streams.info(STREAM)).state.messages).toBe(110);
      // No server in the west has interest in $JS.us-east-1.API.> any more: the request gets
      // "no responders", which nats.js reports as JetStreamNotEnabled.
      await expect(jetStreamApiAnswers(regions.west, DOMAINS.east, 2_000)).rejects.toMatchObject({
        name: "JetStreamNotEnabled",
      });
      // A connected mirror catches up within milliseconds; this one must not.
      await sleep(500);
      expect(await mirrorMessages()).toBe(100);
    } finally {
      regions.relay.heal();
    }
    await waitForLink(regions);
    expect(await waitFor("the mirror to catch up to 110", async () => (await mirrorMessages()) === 110)).toBe(true);
  });

  test("a blackholed relay makes cross-domain requests time out", async () => {
    regions.relay.cut("blackhole");
    try {
      // The leafnode still looks connected, so the request is sent and never answered.
      await expect(jetStreamApiAnswers(regions.west, DOMAINS.east, 1_000)).rejects.toMatchObject({
        name: "TimeoutError",
      });
      expect((await leafz(regions.west.servers[0]!.monitorPort)).leafnodes).toBe(1);
    } finally {
      regions.relay.heal();
    }
    await waitForLink(regions);
    expect(await jetStreamApiAnswers(regions.west, DOMAINS.east)).toBe(true);
  });
});

describe("harness - two clustered domains", () => {
  let regions: TwoDomains;
  beforeAll(async () => {
    regions = await startTwoDomains({ clustered: true });
  });
  afterAll(async () => {
    await regions?.stop();
  });

  test("every server of a clustered region links to the other domain", async () => {
    expect(regions.east.servers).toHaveLength(3);
    expect(regions.west.servers).toHaveLength(3);
    const accepted = await Promise.all(regions.east.servers.map((s) => leafz(s.monitorPort)));
    expect(accepted.flatMap((l) => l.leafs.map((leaf) => leaf.name)).sort()).toEqual(["west-1", "west-2", "west-3"]);
    expect(await jetStreamApiAnswers(regions.west, DOMAINS.east)).toBe(true);

    regions.relay.cut();
    try {
      await expect(jetStreamApiAnswers(regions.west, DOMAINS.east, 1_000)).rejects.toThrow();
    } finally {
      regions.relay.heal();
    }
    await waitForLink(regions);
  });
});
