// Two local regions for the drill: each a JetStream cluster of real nats-servers whose config comes
// from infra/nats (renderNatsConf over localTopology, the renderer the Kubernetes StatefulSet
// uses), joined by the cross-region leafnode. The dialing region reaches the listening region's
// leafnode ports through TCP relays, so the drill can cut the link or slow it down.
import { randomBytes } from "node:crypto";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { leafnodeUrl, localTopology, renderNatsConf, type Credentials } from "../../infra/nats";
import { peerRegion, regionNames, type Region } from "../../infra/config/regions";
import { waitForMetaCluster } from "./meta";
import { leafz } from "./monitor";
import { freePort } from "./ports";
import { relayGroup, startRelay, type RelayGroup } from "./relay";
import { startServer, type ServerHandle } from "./server";
import { waitFor } from "./wait";

export interface LocalRegion {
  readonly region: Region;
  /** JetStream domain; the region name, as the stack config defaults it. */
  readonly domain: string;
  readonly servers: readonly ServerHandle[];
  readonly clientUrls: readonly string[];
  /** `http://127.0.0.1:<port>` of each server's monitor, in the order of `servers`. */
  readonly monitorUrls: readonly string[];
  /** SIGKILLs every server at once: the region is lost, its stores stay on disk. */
  kill(): Promise<void>;
  /** Starts every stopped server from its store; resolves when the meta leader sees all peers. */
  restart(): Promise<void>;
}

export interface LocalRegions {
  readonly regions: Readonly<Record<Region, LocalRegion>>;
  /** The region that accepts the leafnode (infra's default `leafnode.listenRegion`). */
  readonly listenRegion: Region;
  /** One relay per server of the listening region; the other region dials through them. */
  readonly link: RelayGroup;
  /** Throwaway users of this run (random passwords): `app` is what clients and the provider use. */
  readonly users: { readonly app: Credentials; readonly system: Credentials; readonly leaf: Credentials };
  /** Resolves when the leafnode is up and each region's JetStream API answers through the other. */
  waitForLink(timeoutMs?: number): Promise<void>;
  /** Stops every server, closes the relays and removes the temp dirs. */
  stop(): Promise<void>;
}

export interface LocalRegionsOptions {
  /** Servers per region. @default 3 */
  readonly nodes?: number;
  /** JetStream file store limit per server, bytes. @default 2 GiB (localTopology's) */
  readonly maxFileBytes?: number;
  /** @default "us-east-1" */
  readonly listenRegion?: Region;
}

function secret(): string {
  return randomBytes(12).toString("hex");
}

interface MemberPorts {
  readonly name: string;
  readonly client: number;
  readonly monitor: number;
  readonly route: number;
  readonly leaf: number | undefined;
}

async function memberPorts(region: Region, nodes: number, listens: boolean): Promise<MemberPorts[]> {
  const members: MemberPorts[] = [];
  for (let n = 1; n <= nodes; n++) {
    members.push({
      name: `${region}-${n}`,
      client: await freePort(),
      monitor: await freePort(),
      route: await freePort(),
      leaf: listens ? await freePort() : undefined,
    });
  }
  return members;
}

/** Starts both regions (all six servers at once) and waits for the link. Cleans up on failure. */
export async function startLocalRegions(options: LocalRegionsOptions = {}): Promise<LocalRegions> {
  const nodes = options.nodes ?? 3;
  const listenRegion = options.listenRegion ?? "us-east-1";
  const users = {
    app: { user: "app", password: secret() },
    system: { user: "sys", password: secret() },
    leaf: { user: "leaf", password: secret() },
  };
  const ports = {
    [listenRegion]: await memberPorts(listenRegion, nodes, true),
    [peerRegion(listenRegion)]: await memberPorts(peerRegion(listenRegion), nodes, false),
  } as Record<Region, MemberPorts[]>;
  const relays = await Promise.all(ports[listenRegion].map((member) => startRelay(member.leaf!)));
  const link = relayGroup(relays);
  const dialUrls = link.ports.map((port) => leafnodeUrl("127.0.0.1", port, users.leaf));

  const started: ServerHandle[] = [];
  const startMember = async (region: Region, member: MemberPorts, routePorts: number[]): Promise<ServerHandle> => {
    const server = await startServer({
      name: member.name,
      configText: ({ storeDir }) =>
        renderNatsConf(
          localTopology({
            serverName: member.name,
            clientPort: member.client,
            monitorPort: member.monitor,
            storeDir,
            domain: region,
            users: { app: users.app, system: users.system },
            ...(nodes > 1 ? { cluster: { name: region, port: member.route, routePorts } } : {}),
            leafnode:
              member.leaf !== undefined
                ? { role: "listen", port: member.leaf, user: users.leaf }
                : { role: "dial", urls: dialUrls },
            ...(options.maxFileBytes === undefined ? {} : { maxFileBytes: options.maxFileBytes }),
          }),
        ),
    });
    started.push(server);
    return server;
  };
  const stop = async (): Promise<void> => {
    await Promise.all(started.map((server) => server.dispose()));
    await link.close();
  };

  try {
    const byRegion = {} as Record<Region, ServerHandle[]>;
    // Every member at once: a cluster member is only healthy once a meta leader exists.
    await Promise.all(
      regionNames.map(async (region) => {
        const members = ports[region];
        const routePorts = members.map((member) => member.route);
        byRegion[region] = await Promise.all(members.map((member) => startMember(region, member, routePorts)));
        if (nodes > 1) await waitForMetaCluster(byRegion[region]);
      }),
    );
    const regions = Object.fromEntries(
      regionNames.map((region) => [region, localRegion(region, byRegion[region])]),
    ) as Record<Region, LocalRegion>;
    const result: LocalRegions = {
      regions,
      listenRegion,
      link,
      users,
      waitForLink: (timeoutMs) => waitForLink(regions, listenRegion, users.app, timeoutMs),
      stop,
    };
    await result.waitForLink();
    return result;
  } catch (error) {
    await stop();
    throw error;
  }
}

function localRegion(region: Region, servers: ServerHandle[]): LocalRegion {
  return {
    region,
    domain: region,
    servers,
    clientUrls: servers.map((server) => server.clientUrl),
    monitorUrls: servers.map((server) => `http://127.0.0.1:${server.monitorPort}`),
    async kill() {
      await Promise.all(servers.map((server) => server.kill()));
    },
    async restart() {
      await Promise.all(servers.filter((server) => !server.running).map((server) => server.start()));
      if (servers.length > 1) await waitForMetaCluster(servers);
    },
  };
}

async function waitForLink(
  regions: Record<Region, LocalRegion>,
  listenRegion: Region,
  app: Credentials,
  timeoutMs = 30_000,
): Promise<void> {
  const dialing = regions[peerRegion(listenRegion)];
  await waitFor(
    `the leafnode from every ${dialing.region} server to ${listenRegion}`,
    async () => {
      const spokes = await Promise.all(dialing.servers.map((server) => leafz(server.monitorPort)));
      return spokes.every((info) => info.leafs.some((leaf) => leaf.is_spoke));
    },
    { timeoutMs },
  );
  for (const from of regionNames) {
    const to = peerRegion(from);
    await waitFor(`the ${to} JetStream API from ${from}`, () => apiAnswers(regions[from].clientUrls, to, app), {
      timeoutMs,
    });
  }
}

/** True when `domain`'s JetStream API answers a client connected to `urls`; throws otherwise. */
async function apiAnswers(urls: readonly string[], domain: string, app: Credentials): Promise<true> {
  const nc = await connect({ servers: [...urls], user: app.user, pass: app.password, reconnect: false, timeout: 2000 });
  try {
    const jsm = await jetstreamManager(nc, { domain, timeout: 2000, checkAPI: false });
    await jsm.getAccountInfo();
    return true;
  } finally {
    await nc.close();
  }
}
