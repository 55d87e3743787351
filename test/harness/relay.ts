import net from "node:net";

/**
 * How a relay partitions:
 * - `"reset"`: existing connections are destroyed and new ones closed at once, so both sides
 *   see the link drop immediately (like a crashed peer or a rejecting firewall);
 * - `"blackhole"`: connections stay open but every byte is dropped, and new connections are
 *   accepted and then ignored, so the sides notice only through their own timeouts (like a
 *   network partition).
 */
export type CutMode = "reset" | "blackhole";

/** A TCP relay on 127.0.0.1 in front of one target port, which tests can partition. */
export interface Relay {
  /** Port to dial instead of the target. */
  readonly port: number;
  readonly targetPort: number;
  /** `"open"` when forwarding, else the mode of the current cut. */
  readonly state: "open" | CutMode;
  /** Connections currently held (forwarding or blackholed). */
  readonly connectionCount: number;
  /** Partitions the link. @param mode @default "reset" */
  cut(mode?: CutMode): void;
  /** Forwards again; blackholed connections are destroyed so the peers reconnect cleanly. */
  heal(): void;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

interface Connection {
  readonly client: net.Socket;
  readonly upstream: net.Socket | undefined;
}

/** Starts a relay on a free 127.0.0.1 port that forwards to `127.0.0.1:<targetPort>`. */
export async function startRelay(targetPort: number): Promise<Relay> {
  const connections = new Set<Connection>();
  let state: Relay["state"] = "open";

  const destroy = (conn: Connection): void => {
    connections.delete(conn);
    conn.client.destroy();
    conn.upstream?.destroy();
  };

  const blackhole = (conn: Connection): void => {
    if (conn.upstream !== undefined) {
      conn.client.unpipe(conn.upstream);
      conn.upstream.unpipe(conn.client);
      conn.upstream.resume();
    }
    // Flowing with no consumer: the bytes are read and dropped.
    conn.client.resume();
  };

  const server = net.createServer((client) => {
    client.on("error", () => undefined);
    if (state === "reset") {
      client.destroy();
      return;
    }
    if (state === "blackhole") {
      const conn: Connection = { client, upstream: undefined };
      connections.add(conn);
      client.once("close", () => destroy(conn));
      blackhole(conn);
      return;
    }
    client.setNoDelay(true);
    const upstream = net.connect({ host: "127.0.0.1", port: targetPort, noDelay: true });
    upstream.on("error", () => undefined);
    const conn: Connection = { client, upstream };
    connections.add(conn);
    client.once("close", () => destroy(conn));
    upstream.once("close", () => destroy(conn));
    client.pipe(upstream);
    upstream.pipe(client);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") {
    server.close();
    throw new Error("startRelay: the listener has no TCP address.");
  }

  return {
    port: address.port,
    targetPort,
    get state() {
      return state;
    },
    get connectionCount() {
      return connections.size;
    },
    cut(mode: CutMode = "reset") {
      state = mode;
      for (const conn of [...connections]) {
        if (mode === "reset") {
          destroy(conn);
        } else {
          blackhole(conn);
        }
      }
    },
    heal() {
      if (state === "blackhole") {
        for (const conn of [...connections]) {
          destroy(conn);
        }
      }
      state = "open";
    },
    async close() {
      state = "reset";
      for (const conn of [...connections]) {
        destroy(conn);
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Several relays cut and healed together (one per server of a clustered region). */
export interface RelayGroup {
  readonly relays: readonly Relay[];
  /** The relays' ports, in the order of `relays`. */
  readonly ports: readonly number[];
  readonly state: Relay["state"];
  cut(mode?: CutMode): void;
  heal(): void;
  close(): Promise<void>;
}

/** Groups relays so a test can partition a whole region at once. */
export function relayGroup(relays: readonly Relay[]): RelayGroup {
  if (relays.length === 0) {
    throw new Error("relayGroup needs at least one relay.");
  }
  return {
    relays,
    ports: relays.map((r) => r.port),
    get state() {
      return relays[0]!.state;
    },
    cut(mode?: CutMode) {
      relays.forEach((r) => r.cut(mode));
    },
    heal() {
      relays.forEach((r) => r.heal());
    },
    async close() {
      await Promise.all(relays.map((r) => r.close()));
    },
  };
}
