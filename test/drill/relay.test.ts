// The drill's TCP relay: latency added to a link keeps the bytes in order, and a cut drops them.
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startRelay, type Relay } from "../../drill/local/relay";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function echoServer(): Promise<number> {
  const server = net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return (server.address() as net.AddressInfo).port;
}

async function relayTo(port: number): Promise<Relay> {
  const relay = await startRelay(port);
  closers.push(() => relay.close());
  return relay;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => resolve(socket));
    closers.push(async () => void socket.destroy());
  });
}

describe("drill relay", () => {
  it("latency delays each direction and keeps the order", async () => {
    const relay = await relayTo(await echoServer());
    relay.setLatency(60);
    const socket = await connect(relay.port);
    let received = "";
    const started = Date.now();
    const done = new Promise<number>((resolve) =>
      socket.on("data", (chunk) => {
        received += chunk.toString();
        if (received.length >= 6) resolve(Date.now() - started);
      }),
    );
    socket.write("abc");
    setTimeout(() => socket.write("def"), 5);
    const elapsed = await done;
    expect(received).toBe("abcdef");
    // There and back: at least twice the one-way delay.
    expect(elapsed).toBeGreaterThanOrEqual(115);
    expect(relay.latencyMs).toBe(60);
    expect(relay.bytesForwarded).toBe(12);
    expect(() => relay.setLatency(-1)).toThrow(/latency must be a number of ms >= 0/);
  });

  it("bytes still delayed when the link is cut are lost with it", async () => {
    const relay = await relayTo(await echoServer());
    relay.setLatency(100);
    const socket = await connect(relay.port);
    let received = "";
    socket.on("data", (chunk) => (received += chunk.toString()));
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    socket.write("lost");
    await new Promise((resolve) => setTimeout(resolve, 20));
    relay.cut("blackhole");
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(received).toBe("");
    relay.heal();
    await closed;
    expect(relay.state).toBe("open");
  });
});
