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

/** A TCP relay on 127.0.0.1 in front of one target port, which tests and the drill can partition. */
export interface Relay {
  /** Port to dial instead of the target. */
  readonly port: number;
  readonly targetPort: number;
  /** `"open"` when forwarding, else the mode of the current cut. */
  readonly state: "open" | CutMode;
  /** Connections currently held (forwarding or blackholed). */
  readonly connectionCount: number;
  /** One-way delay added to every byte forwarded, in ms. @default 0 */
  readonly latencyMs: number;
  /** Bytes forwarded in both directions since the relay started. */
  readonly bytesForwarded: number;
  /** Partitions the link. @param mode @default "reset" */
  cut(mode?: CutMode): void;
  /** Forwards again; blackholed connections are destroyed so the peers reconnect cleanly. */
  heal(): void;
  /** Delays each direction by `ms` from now on (a WAN between regions); 0 forwards at once. */
  setLatency(ms: number): void;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

interface Connection {
  readonly client: net.Socket;
  readonly upstream: net.Socket | undefined;
  /** False once blackholed: bytes are read and dropped. */
  forwarding: boolean;
}

/**
 * Forwards `from` to `to`, `delay()` ms late. Chunks keep their order (one queue per direction,
 * drained by one timer), and `from` is paused while `to` is full, so a slow side slows the
 * sender instead of filling memory.
 */
function forward(
  from: net.Socket,
  to: net.Socket,
  conn: Connection,
  delay: () => number,
  count: (bytes: number) => void,
): void {
  const queue: { due: number; chunk: Buffer }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const write = (chunk: Buffer): void => {
    count(chunk.length);
    if (!to.write(chunk)) {
      from.pause();
      to.once("drain", () => from.resume());
    }
  };
  const drain = (): void => {
    timer = undefined;
    // Bytes still delayed when the link was cut are lost with it.
    if (!conn.forwarding || to.destroyed) queue.length = 0;
    const now = Date.now();
    while (queue.length > 0 && queue[0]!.due <= now) write(queue.shift()!.chunk);
    if (queue.length > 0) timer = setTimeout(drain, queue[0]!.due - now);
  };
  from.on("data", (chunk: Buffer) => {
    if (!conn.forwarding || to.destroyed) return;
    const ms = delay();
    if (ms <= 0 && queue.length === 0) {
      write(chunk);
      return;
    }
    queue.push({ due: Date.now() + ms, chunk });
    if (timer === undefined) timer = setTimeout(drain, Math.max(0, ms));
  });
  from.once("close", () => clearTimeout(timer));
}

/**
 * Starts a relay on 127.0.0.1 that forwards to `127.0.0.1:<targetPort>`.
 * @param port where the relay listens @default a free port
 */
export async function startRelay(targetPort: number, port = 0): Promise<Relay> {
  const connections = new Set<Connection>();
  let state: Relay["state"] = "open";
  let latencyMs = 0;
  let bytesForwarded = 0;
  const count = (bytes: number): void => {
    bytesForwarded += bytes;
  };

  const destroy = (conn: Connection): void => {
    connections.delete(conn);
    conn.client.destroy();
    conn.upstream?.destroy();
  };

  const blackhole = (conn: Connection): void => {
    conn.forwarding = false;
    // Flowing with no consumer: the bytes are read and dropped.
    conn.client.resume();
    conn.upstream?.resume();
  };

  const server = net.createServer((client) => {
    client.on("error", () => undefined);
    if (state === "reset") {
      client.destroy();
      return;
    }
    if (state === "blackhole") {
      const conn: Connection = { client, upstream: undefined, forwarding: false };
      connections.add(conn);
      client.once("close", () => destroy(conn));
      blackhole(conn);
      return;
    }
    client.setNoDelay(true);
    const upstream = net.connect({ host: "127.0.0.1", port: targetPort, noDelay: true });
    upstream.on("error", () => undefined);
    const conn: Connection = { client, upstream, forwarding: true };
    connections.add(conn);
    client.once("close", () => destroy(conn));
    upstream.once("close", () => destroy(conn));
    forward(client, upstream, conn, () => latencyMs, count);
    forward(upstream, client, conn, () => latencyMs, count);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port }, () => {
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
    get latencyMs() {
      return latencyMs;
    },
    get bytesForwarded() {
      return bytesForwarded;
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
    setLatency(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) throw new Error(`relay latency must be a number of ms >= 0; got ${ms}.`);
      latencyMs = ms;
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
  readonly latencyMs: number;
  /** Bytes forwarded by all relays. */
  readonly bytesForwarded: number;
  cut(mode?: CutMode): void;
  heal(): void;
  setLatency(ms: number): void;
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
    get latencyMs() {
      return relays[0]!.latencyMs;
    },
    get bytesForwarded() {
      return relays.reduce((sum, r) => sum + r.bytesForwarded, 0);
    },
    cut(mode?: CutMode) {
      relays.forEach((r) => r.cut(mode));
    },
    heal() {
      relays.forEach((r) => r.heal());
    },
    setLatency(ms: number) {
      relays.forEach((r) => r.setLatency(ms));
    },
    async close() {
      await Promise.all(relays.map((r) => r.close()));
    },
  };
}
