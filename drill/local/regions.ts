// Two local regions for the drill: each a JetStream cluster of real nats-servers whose config comes
// from infra/nats (renderNatsConf over localTopology, the renderer the Kubernetes StatefulSet
// uses), joined by the cross-region leafnode. The dialing region reaches the listening region's
// leafnode ports through TCP relays, so the drill can cut the link or slow it down.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { leafnodeUrl, localTopology, renderNatsConf, type Credentials } from "../../infra/nats";
import { DEFAULT_REGION_PAIR, inRegion, peerOf, perRegion } from "../../infra/config/regions";
import type { DefaultRegion, PerRegion, Region } from "../../infra/config/regions";
import { waitForMetaCluster } from "./meta";
import { leafz } from "./monitor";
import { freePort } from "./ports";
import { relayGroup, startRelay, type Relay, type RelayGroup } from "./relay";
import { startServer, type ServerHandle } from "./server";
import { waitFor } from "./wait";

export interface LocalRegion<R extends Region = Region> {
  readonly region: R;
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

export interface LocalRegions<R extends Region = Region> {
  /** The two regions, in the project's order. */
  readonly pair: readonly [R, R];
  readonly regions: PerRegion<LocalRegion<R>, R>;
  /** The region that accepts the leafnode (infra's default `leafnode.listenRegion`). */
  readonly listenRegion: R;
  /** One relay per server of the listening region; the other region dials through them. */
  readonly link: RelayGroup;
  /** Throwaway users of this run (random passwords): `app` is what clients and the provider use. */
  readonly users: { readonly app: Credentials; readonly system: Credentials; readonly leaf: Credentials };
  /** Resolves when the leafnode is up and each region's JetStream API answers through the other. */
  waitForLink(timeoutMs?: number): Promise<void>;
  /** Stops every server, closes the relays and removes the temp dirs. */
  stop(): Promise<void>;
}

/** The ports of one server. */
export interface MemberPorts {
  /** Server name, `<region>-<n>`. */
  readonly name: string;
  readonly client: number;
  readonly monitor: number;
  readonly route: number;
  /** Leafnode port; set on the members of the listening region only. */
  readonly leaf: number | undefined;
}

/** Every port of both regions: the servers' and the relays' (one per listening member, same order). */
export interface RegionsPorts<R extends Region = Region> {
  readonly members: PerRegion<readonly MemberPorts[], R>;
  readonly relays: readonly number[];
}

export interface LocalRegionsOptions<R extends Region = DefaultRegion> {
  /** The region names (each one's JetStream domain too). @default DEFAULT_REGION_PAIR */
  readonly pair?: readonly [R, R];
  /** Servers per region. @default 3 */
  readonly nodes?: number;
  /** JetStream file store limit per server, bytes. @default 2 GiB (localTopology's) */
  readonly maxFileBytes?: number;
  /** @default the first region of the pair */
  readonly listenRegion?: R;
  /** Fixed ports (their count per region must be `nodes`). @default free ports */
  readonly ports?: RegionsPorts<R>;
  /**
   * Keep each server's config and store in `<dataDir>/<name>` and its log in `<logDir>/<name>.log`
   * (kept by stop()). @default a temp dir per server, removed by stop()
   */
  readonly keepIn?: { readonly dataDir: string; readonly logDir: string };
}

function secret(): string {
  return randomBytes(12).toString("hex");
}

/** Free ports for every member of both regions; leaf ports for the listening region's. */
async function freeMemberPorts<R extends Region>(
  pair: readonly [R, R],
  nodes: number,
  listenRegion: R,
): Promise<PerRegion<MemberPorts[], R>> {
  const members: Partial<Record<R, MemberPorts[]>> = {};
  for (const region of pair) {
    const list: MemberPorts[] = (members[region] = []);
    for (let n = 1; n <= nodes; n++) {
      list.push({
        name: `${region}-${n}`,
        client: await freePort(),
        monitor: await freePort(),
        route: await freePort(),
        leaf: region === listenRegion ? await freePort() : undefined,
      });
    }
  }
  return members as Record<R, MemberPorts[]>;
}

/** Starts both regions (all six servers at once) and waits for the link. Cleans up on failure. */
export async function startLocalRegions<R extends Region = DefaultRegion>(
  options: LocalRegionsOptions<R> = {},
): Promise<LocalRegions<R>> {
  const nodes = options.nodes ?? 3;
  // Without a pair, R is the default pair's (LocalRegionsOptions' default type argument).
  const pair = options.pair ?? (DEFAULT_REGION_PAIR as unknown as readonly [R, R]);
  const listenRegion = options.listenRegion ?? pair[0];
  const users = {
    app: { user: "app", password: secret() },
    system: { user: "sys", password: secret() },
    leaf: { user: "leaf", password: secret() },
  };
  const ports = options.ports?.members ?? (await freeMemberPorts(pair, nodes, listenRegion));
  checkPorts(pair, ports, options.ports?.relays, nodes, listenRegion);
  const relays: Relay[] = [];
  try {
    for (const [index, member] of inRegion(ports, listenRegion).entries())
      relays.push(await startRelay(member.leaf!, options.ports?.relays[index]));
  } catch (error) {
    await Promise.all(relays.map((relay) => relay.close()));
    throw error;
  }
  const link = relayGroup(relays);
  const dialUrls = link.ports.map((port) => leafnodeUrl("127.0.0.1", port, users.leaf));

  const started: ServerHandle[] = [];
  const startMember = async (region: R, member: MemberPorts, routePorts: number[]): Promise<ServerHandle> => {
    const keepIn = options.keepIn;
    const server = await startServer({
      name: member.name,
      ...(keepIn === undefined
        ? {}
        : {
            tempDir: await prepareDir(path.join(keepIn.dataDir, member.name)),
            logFile: path.join(await prepareDir(keepIn.logDir), `${member.name}.log`),
          }),
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
    const byRegion: Partial<Record<R, ServerHandle[]>> = {};
    // Every member at once: a cluster member is only healthy once a meta leader exists.
    await Promise.all(
      pair.map(async (region) => {
        const members = inRegion(ports, region);
        const routePorts = members.map((member) => member.route);
        const servers = await Promise.all(members.map((member) => startMember(region, member, routePorts)));
        byRegion[region] = servers;
        if (nodes > 1) await waitForMetaCluster(servers);
      }),
    );
    const regions = perRegion(pair, (region) => localRegion(region, byRegion[region] ?? []));
    const result: LocalRegions<R> = {
      pair,
      regions,
      listenRegion,
      link,
      users,
      waitForLink: (timeoutMs) => waitForLink(pair, regions, listenRegion, users.app, timeoutMs),
      stop,
    };
    await result.waitForLink();
    return result;
  } catch (error) {
    await stop();
    throw error;
  }
}

function checkPorts<R extends Region>(
  pair: readonly [R, R],
  members: PerRegion<readonly MemberPorts[], R>,
  relays: readonly number[] | undefined,
  nodes: number,
  listenRegion: R,
): void {
  for (const region of pair) {
    const list = members[region];
    if (list.length !== nodes)
      throw new Error(`ports: ${region} has ${list.length} members; give ${nodes} (one per server).`);
    const listens = region === listenRegion;
    if (list.some((member) => (member.leaf !== undefined) !== listens))
      throw new Error(`ports: give a leaf port to each ${listenRegion} member (the listening region) and to no other.`);
  }
  if (relays !== undefined && relays.length !== nodes)
    throw new Error(`ports: give ${nodes} relay ports (one per ${listenRegion} server); got ${relays.length}.`);
}

async function prepareDir(dir: string): Promise<string> {
  await fs.promises.mkdir(dir, { recursive: true });
  return dir;
}

function localRegion<R extends Region>(region: R, servers: ServerHandle[]): LocalRegion<R> {
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

async function waitForLink<R extends Region>(
  pair: readonly [R, R],
  regions: PerRegion<LocalRegion<R>, R>,
  listenRegion: R,
  app: Credentials,
  timeoutMs = 30_000,
): Promise<void> {
  const dialing = inRegion(regions, peerOf(pair, listenRegion));
  await waitFor(
    `the leafnode from every ${dialing.region} server to ${listenRegion}`,
    async () => {
      const spokes = await Promise.all(dialing.servers.map((server) => leafz(server.monitorPort)));
      return spokes.every((info) => info.leafs.some((leaf) => leaf.is_spoke));
    },
    { timeoutMs },
  );
  for (const from of pair) {
    const to = peerOf(pair, from);
    await waitFor(
      `the ${to} JetStream API from ${from}`,
      () => apiAnswers(inRegion(regions, from).clientUrls, to, app),
      {
        timeoutMs,
      },
    );
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
