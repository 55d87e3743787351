import { jsz } from "./monitor";
import type { ServerHandle } from "./server";
import { waitFor, type WaitOptions } from "./wait";

/**
 * Waits until all `servers` agree on a JetStream meta leader and that leader reports every
 * other server as a current peer; returns the leader's server name. Only the leader's /jsz
 * lists `meta_cluster.replicas`; `cluster_size` is known before the peers have met, so it
 * proves nothing on its own.
 */
export async function waitForMetaCluster(servers: readonly ServerHandle[], options: WaitOptions = {}): Promise<string> {
  const names = servers.map((s) => s.name).join(", ");
  return waitFor(
    `a JetStream meta leader with ${servers.length - 1} current peers among ${names}`,
    async () => {
      const infos = await Promise.all(servers.map((s) => jsz(s.monitorPort)));
      const leaders = new Set(infos.map((info) => info.meta_cluster?.leader));
      const leader = infos[0]?.meta_cluster?.leader;
      if (leaders.size !== 1 || leader === undefined || leader === "") {
        return false;
      }
      const leaderInfo = infos[servers.findIndex((s) => s.name === leader)];
      const peers = leaderInfo?.meta_cluster?.replicas ?? [];
      const allCurrent = peers.length === servers.length - 1 && peers.every((p) => p.current && p.offline !== true);
      return allCurrent ? leader : false;
    },
    { timeoutMs: 30_000, ...options },
  );
}
