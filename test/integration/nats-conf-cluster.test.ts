// Real servers from rendered configs: a 3-node JetStream cluster, two domains joined by the
// rendered leafnode, and a server running the Kubernetes flavour with its Secret's environment.
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { SecretKeys, credentialSecretData } from "../../infra/kubernetes";
import { leafnodeUrl, localTopology, renderNatsConf } from "../../infra/nats";
import type { LocalServerOptions } from "../../infra/nats";
import {
  CREDENTIALS,
  freePort,
  freePorts,
  jetStreamApiAnswers,
  jsz,
  startServer,
  waitFor,
  waitForMetaCluster,
} from "../harness";
import type { Region, ServerHandle } from "../harness";
import { deploymentOf, passwords } from "../unit/kubernetes-support";
import { kubernetesConfOnLoopback } from "./nats-conf-support";

const users = { app: CREDENTIALS.app, system: CREDENTIALS.sys };
const started: ServerHandle[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.dispose()));
});

async function start(
  name: string,
  options: (storeDir: string) => LocalServerOptions | string,
  env?: Record<string, string>,
): Promise<ServerHandle> {
  const saved = { ...process.env };
  // startServer spawns nats-server (and its -t check) with this process's environment.
  Object.assign(process.env, env ?? {});
  try {
    const server = await startServer({
      name,
      configText: ({ storeDir }) => {
        const result = options(storeDir);
        return typeof result === "string" ? result : renderNatsConf(localTopology(result));
      },
    });
    started.push(server);
    return server;
  } finally {
    for (const key of Object.keys(env ?? {})) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }
}

const region = (domain: string, servers: ServerHandle[]): Region => ({
  domain,
  servers,
  clientUrls: servers.map((s) => s.clientUrl),
});

describe("rendered servers", () => {
  it("three rendered configs form a JetStream cluster that reports 3 peers", async () => {
    const members = await Promise.all(
      [1, 2, 3].map(async (n) => ({
        name: `east-${n}`,
        client: await freePort(),
        monitor: await freePort(),
        route: await freePort(),
      })),
    );
    const routePorts = members.map((member) => member.route);
    const servers = await Promise.all(
      members.map((member) =>
        start(member.name, (storeDir) => ({
          serverName: member.name,
          clientPort: member.client,
          monitorPort: member.monitor,
          storeDir,
          domain: "us-east-1",
          users,
          cluster: { name: "us-east-1", port: member.route, routePorts },
        })),
      ),
    );
    const leader = await waitForMetaCluster(servers);
    const info = await jsz(servers.find((server) => server.name === leader)!.monitorPort);
    expect(info.meta_cluster?.cluster_size).toBe(3);
    expect(info.meta_cluster?.replicas?.map((peer) => peer.name).sort()).toEqual(
      members
        .map((m) => m.name)
        .filter((name) => name !== leader)
        .sort(),
    );
    expect(info.meta_cluster?.replicas?.every((peer) => peer.current)).toBe(true);
    expect(info.config?.domain).toBe("us-east-1");
  });

  it("two domains joined by the rendered leafnode answer each other's JetStream API", async () => {
    const [leafPort, eastClient, eastMonitor, westClient, westMonitor] = await freePorts(5);
    const east = await start("east", (storeDir) => ({
      serverName: "east",
      clientPort: eastClient!,
      monitorPort: eastMonitor!,
      storeDir,
      domain: "us-east-1",
      users,
      leafnode: { role: "listen", port: leafPort!, user: CREDENTIALS.leaf },
    }));
    const west = await start("west", (storeDir) => ({
      serverName: "west",
      clientPort: westClient!,
      monitorPort: westMonitor!,
      storeDir,
      domain: "eu-central-1",
      users,
      leafnode: { role: "dial", urls: [leafnodeUrl("127.0.0.1", leafPort!, CREDENTIALS.leaf)] },
    }));
    await waitFor(
      "the us-east-1 JetStream API from eu-central-1",
      () => jetStreamApiAnswers(region("eu-central-1", [west]), "us-east-1"),
      { timeoutMs: 20_000 },
    );
    await waitFor(
      "the eu-central-1 JetStream API from us-east-1",
      () => jetStreamApiAnswers(region("us-east-1", [east]), "eu-central-1"),
      { timeoutMs: 20_000 },
    );

    // Create a stream in us-east-1 through the leafnode, from a connection to eu-central-1.
    const nc = await connect({ servers: west.clientUrl, user: CREDENTIALS.app.user, pass: CREDENTIALS.app.password });
    try {
      const remote = await jetstreamManager(nc, { domain: "us-east-1" });
      await remote.streams.add({ name: "ORDERS", subjects: ["orders.>"] });
      const local = await jetstreamManager(nc);
      expect((await local.streams.names().next()).length).toBe(0);
    } finally {
      await nc.close();
    }
    expect((await jsz(east.monitorPort)).streams).toBe(1);
    expect((await jsz(west.monitorPort)).streams).toBe(0);
  });

  it("the Kubernetes flavour runs with the Secret's values and the passwords work", async () => {
    // One server: a catalog of single-replica streams (the config refuses more replicas than servers).
    // Plaintext (the lab opt-out), so a client without certificates can test the passwords.
    const deployment = deploymentOf("us-east-1", {
      tls: undefined,
      insecureLabWithoutLinkTls: true,
      kubernetes: { replicas: 1, peerCidrs: ["10.20.0.0/16"] },
      catalog: { mode: "replace", streams: { orders: { subjects: ["orders.*"], replicas: 1, maxBytes: "64Mi" } } },
    });
    const data = credentialSecretData(deployment, passwords);
    const [client, monitor, leafnode] = [await freePort(), await freePort(), await freePort()];
    const server = await start(
      "k8s-flavour",
      (storeDir) => kubernetesConfOnLoopback(deployment, { client, monitor, leafnode }, storeDir),
      {
        POD_NAME: "nats-0",
        NATS_APP_PASSWORD: data[SecretKeys.conf(SecretKeys.appPassword)]!,
        NATS_SYSTEM_PASSWORD: data[SecretKeys.conf(SecretKeys.systemPassword)]!,
        NATS_LEAFNODE_PASSWORD: data[SecretKeys.conf(SecretKeys.leafnodePassword)]!,
      },
    );
    const nc = await connect({ servers: server.clientUrl, user: "app", pass: passwords.app });
    try {
      const info = await (await jetstreamManager(nc)).getAccountInfo();
      expect(info.domain).toBe("us-east-1");
    } finally {
      await nc.close();
    }
    const sys = await connect({ servers: server.clientUrl, user: "sys", pass: passwords.system });
    await sys.close();
    await expect(
      connect({ servers: server.clientUrl, user: "app", pass: "wrong", reconnect: false }),
    ).rejects.toThrow();
    expect((await jsz(server.monitorPort)).config?.domain).toBe("us-east-1");
    const varz = (await (await fetch(`http://127.0.0.1:${server.monitorPort}/varz`)).json()) as { server_name: string };
    expect(varz.server_name).toBe("nats-0");
  });
});
