// Client connections of the drill's load and observers, one per (purpose, region), opened lazily.
// Separate connections keep a slow observer (reading a whole stream) from delaying publishes.
// They reconnect forever: a killed region comes back and its clients with it, as services do.
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Credentials } from "../../infra/nats";
import type { Region } from "../../infra/config/regions";

export type Purpose = "publish" | "consume" | "observe";

export class Clients {
  private readonly open = new Map<string, Promise<NatsConnection>>();
  private closed = false;

  constructor(
    private readonly servers: Readonly<Record<Region, readonly string[]>>,
    private readonly credentials: Credentials,
  ) {}

  /** The connection for `purpose` in `region`; rejects while the region has never been reachable. */
  get(purpose: Purpose, region: Region): Promise<NatsConnection> {
    if (this.closed) return Promise.reject(new Error("the drill's client connections are closed"));
    const key = `${purpose}/${region}`;
    let connection = this.open.get(key);
    if (connection === undefined) {
      connection = connect({
        servers: [...(this.servers[region] ?? [])],
        user: this.credentials.user,
        pass: this.credentials.password,
        name: `nats-dr drill ${purpose} (${region})`,
        timeout: 2000,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        reconnectJitter: 100,
        // Pings notice a dead server in ~2 s instead of the default 4 minutes.
        pingInterval: 1000,
        maxPingOut: 2,
      });
      // A failed first connect is not cached: the next call tries again.
      connection.catch(() => this.open.delete(key));
      this.open.set(key, connection);
    }
    return connection;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((pending) => pending.then((nc) => nc.close()).catch(() => undefined)));
  }
}
