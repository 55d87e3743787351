import { jetstreamManager } from "@nats-io/jetstream";
import { connectApp } from "./client";
import { ACCOUNTS, leafnodeUrl } from "./config";
import { leafz } from "./monitor";
import { planRegion, startRegion, type Region, type RunningRegion } from "./region";
import { relayGroup, startRelay, type RelayGroup } from "./relay";
import { waitFor, type WaitOptions } from "./wait";

/** The JetStream domains of the two regions. */
export const DOMAINS = {
  east: "us-east-1",
  west: "eu-central-1",
} as const;

/** Options of {@link startTwoDomains}. */
export interface TwoDomainsOptions {
  /** Three servers per region instead of one. @default false */
  readonly clustered?: boolean;
  /** The two domains, named after a region pair. @default DOMAINS (the default pair) */
  readonly domains?: { readonly east: string; readonly west: string };
}

/**
 * Two regions, each its own JetStream domain, joined by a leafnode in account APP. The west
 * region dials the east region's leafnode listeners through `relay`, one relay per east
 * server, so a test can partition the regions without touching the servers.
 */
export interface TwoDomains {
  /** Domain "us-east-1" (or domains.east); accepts the leafnode connections. */
  readonly east: Region;
  /** Domain "eu-central-1" (or domains.west); dials the east region through the relays. */
  readonly west: Region;
  readonly relay: RelayGroup;
  /** Stops both regions, closes the relays and removes the temp dirs. */
  stop(): Promise<void>;
}

/** Starts both regions and waits until the link works both ways (see {@link waitForLink}). */
export async function startTwoDomains(options: TwoDomainsOptions = {}): Promise<TwoDomains> {
  const size = options.clustered === true ? 3 : 1;
  const domains = options.domains ?? DOMAINS;
  const eastPlan = await planRegion({ domain: domains.east, namePrefix: "east", size, acceptLeafnodes: true });
  const relays = await Promise.all(eastPlan.members.map((m) => startRelay(m.leafnodePort!)));
  const relay = relayGroup(relays);
  const westPlan = await planRegion({
    domain: domains.west,
    namePrefix: "west",
    size,
    leafnodeRemoteUrls: relay.ports.map((port) => leafnodeUrl(port)),
  });

  const started = await Promise.allSettled([startRegion(eastPlan), startRegion(westPlan)]);
  const regions = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(regions.map((r: RunningRegion) => r.stop()));
    await relay.close();
  };
  const [east, west] = regions;
  if (east === undefined || west === undefined || regions.length !== 2) {
    await stop();
    throw started.find((r): r is PromiseRejectedResult => r.status === "rejected")?.reason;
  }
  const twoDomains: TwoDomains = { east, west, relay, stop };
  try {
    await waitForLink(twoDomains);
  } catch (err) {
    await stop();
    throw err;
  }
  return twoDomains;
}

/**
 * Waits until every west server has its leafnode up (both sides' /leafz agree) and each
 * region's JetStream API answers through the other region (getAccountInfo with `domain`).
 * Call it after `relay.heal()` to wait for the regions to rejoin.
 */
export async function waitForLink(
  regions: Pick<TwoDomains, "east" | "west">,
  options: WaitOptions = {},
): Promise<void> {
  const { east, west } = regions;
  const opts = { timeoutMs: 30_000, ...options };
  await waitFor(
    `leafnode connections from all ${west.servers.length} ${west.domain} servers to ${east.domain}`,
    async () => {
      const eastLeafs = (await Promise.all(east.servers.map((s) => leafz(s.monitorPort)))).flatMap((l) => l.leafs);
      const westLeafs = await Promise.all(west.servers.map((s) => leafz(s.monitorPort)));
      const westNames = new Set(west.servers.map((s) => s.name));
      const accepted = eastLeafs.filter((l) => !l.is_spoke && l.account === ACCOUNTS.app && westNames.has(l.name));
      return (
        accepted.length === west.servers.length &&
        westLeafs.every((l) => l.leafs.some((leaf) => leaf.is_spoke && leaf.account === ACCOUNTS.app))
      );
    },
    opts,
  );
  await waitFor(
    `the ${east.domain} JetStream API from ${west.domain}`,
    () => jetStreamApiAnswers(west, east.domain),
    opts,
  );
  await waitFor(
    `the ${west.domain} JetStream API from ${east.domain}`,
    () => jetStreamApiAnswers(east, west.domain),
    opts,
  );
}

/**
 * Asks for the JetStream account info of `domain` from a connection to `from`. Resolves
 * true when it answers, throws the client's error (no responders, timeout) otherwise.
 */
export async function jetStreamApiAnswers(from: Region, domain: string, timeoutMs = 2_000): Promise<true> {
  const nc = await connectApp(from.clientUrls, { reconnect: false, timeout: timeoutMs });
  try {
    const jsm = await jetstreamManager(nc, { domain, timeout: timeoutMs, checkAPI: false });
    await jsm.getAccountInfo();
    return true;
  } finally {
    await nc.close();
  }
}
