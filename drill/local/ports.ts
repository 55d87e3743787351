import net from "node:net";

/** Ports this process has handed out, so two harness servers never get the same one. */
const handedOut = new Set<number>();

/**
 * Where ports come from: 15000-19799, below the kernel's ephemeral range (32768-60999 on Linux),
 * which every outgoing connection draws its local port from, above the lab's fixed ports
 * (14201-14323 by default) and below the blocks the lab test picks its base port from
 * (20000-32000). A port the kernel picked for bind(0) and released can be handed out again to
 * another process, or taken by an outgoing connection, before the server that was meant to get
 * it binds it; on a busy machine that window is seconds long. Two test workers then started
 * servers on the same port: one failed to bind, and the other region's leafnode, dialing the
 * port, reached the other worker's server and failed with "authentication error" (issue 9 item 5).
 */
const RANGE = { first: 15_000, blocks: 16, blockSize: 300 } as const;

/**
 * This process's block of the range: vitest's workers (VITEST_POOL_ID 1, 2, ...) take blocks 0-7,
 * any other process (a drill or lab the tests start, a benchmark) one of blocks 8-15 by its pid,
 * so concurrent workers never draw the same ports, nor a drill started beside them. Pure.
 */
export function portBlockOf(env: NodeJS.ProcessEnv, pid: number): number {
  const half = RANGE.blocks / 2;
  const poolId = Number(env["VITEST_POOL_ID"]);
  return Number.isInteger(poolId) && poolId > 0 ? poolId % half : half + (pid % half);
}

/**
 * The ports of one block in the order they are tried, from `offset` on and round. Pure; two
 * processes that share a block (two drills whose pids agree modulo 8) start at different offsets.
 */
export function blockPorts(block: number, offset = 0): number[] {
  const start = RANGE.first + block * RANGE.blockSize;
  return Array.from({ length: RANGE.blockSize }, (_, index) => start + ((index + offset) % RANGE.blockSize));
}

let candidates: number[] | undefined;

/**
 * Returns a TCP port on 127.0.0.1 that is free now and that no other process of ours draws:
 * the next port of this process's block that binds, else (block used up) one the kernel picks.
 * Never returns the same port twice in one process.
 */
export async function freePort(): Promise<number> {
  candidates ??= blockPorts(
    portBlockOf(process.env, process.pid),
    process.env["VITEST_POOL_ID"] === undefined ? Math.floor(Math.random() * RANGE.blockSize) : 0,
  );
  while (candidates.length > 0) {
    const port = candidates.shift()!;
    if (handedOut.has(port)) continue;
    if (await bindsOn(port)) {
      handedOut.add(port);
      return port;
    }
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await bindAndRelease(0);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("freePort: the kernel kept returning ports this process already uses.");
}

/** Returns `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    ports.push(await freePort());
  }
  return ports;
}

async function bindsOn(port: number): Promise<boolean> {
  return bindAndRelease(port).then(
    () => true,
    () => false,
  );
}

function bindAndRelease(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("freePort: the socket has no TCP address."));
        return;
      }
      server.close((err) => (err ? reject(err) : resolve(address.port)));
    });
  });
}
