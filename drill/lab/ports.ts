// The lab's fixed ports: the same URLs every time it starts, so commands typed from its output keep
// working across labs. Below Linux's ephemeral range (32768+), where the test harness's free ports
// come from, so a lab and a test run never take each other's ports.
import { labRegions, type LabRegion } from "./pair";
import net from "node:net";
import type { MemberPorts, RegionsPorts } from "../local/regions";

export const DEFAULT_BASE_PORT = 14200;
const MIN_BASE = 1024;

/**
 * The lab's layout from a base port B: region r (0 us-east-1, 1 eu-central-1) uses B + 100r + ...:
 * clients 1-3, monitors 11-13, routes 21-23; us-east-1's leafnode ports 31-33 and the relays in
 * front of them 41-43 (eu-central-1 dials the relays). With the default: 14201-14203 and 14301-14303.
 */
export function labPorts(base: number, nodes = 3): RegionsPorts<LabRegion> {
  const members = Object.fromEntries(
    labRegions.map((region, r) => {
      const start = base + 100 * r;
      const list: MemberPorts[] = [];
      for (let n = 1; n <= nodes; n++)
        list.push({
          name: `${region}-${n}`,
          client: start + n,
          monitor: start + 10 + n,
          route: start + 20 + n,
          leaf: region === "us-east-1" ? start + 30 + n : undefined,
        });
      return [region, list];
    }),
  ) as Record<LabRegion, MemberPorts[]>;
  const relays = members["us-east-1"].map((member) => member.leaf! + 10);
  return { members, relays };
}

/** Every port of the layout with what it is for, in ascending order. */
export function portUses(ports: RegionsPorts<LabRegion>): { port: number; use: string }[] {
  const uses = labRegions.flatMap((region) =>
    ports.members[region].flatMap((member) => [
      { port: member.client, use: `${member.name} client` },
      { port: member.monitor, use: `${member.name} monitor` },
      { port: member.route, use: `${member.name} route` },
      ...(member.leaf === undefined ? [] : [{ port: member.leaf, use: `${member.name} leafnode` }]),
    ]),
  );
  const relays = ports.relays.map((port, index) => ({ port, use: `leafnode relay ${index + 1}` }));
  return [...uses, ...relays].sort((a, b) => a.port - b.port);
}

/** The lowest and highest port of the layout. */
export function portRange(base: number): { first: number; last: number } {
  const ports = portUses(labPorts(base)).map((entry) => entry.port);
  return { first: Math.min(...ports), last: Math.max(...ports) };
}

/** `--base-port` as given; throws a one-line error naming the flag. */
export function parseBasePort(text: string | undefined): number {
  if (text === undefined) return DEFAULT_BASE_PORT;
  const value = Number(text);
  const span = portRange(0).last;
  if (!Number.isInteger(value) || value < MIN_BASE || value > 65535 - span)
    throw new Error(
      `--base-port must be a whole number from ${MIN_BASE} to ${65535 - span} (the lab uses it to +${span}); got "${text}".`,
    );
  return value;
}

/** The ports of the layout that something on 127.0.0.1 already listens on (or that cannot be bound). */
export async function portsInUse(ports: RegionsPorts): Promise<{ port: number; use: string; error: string }[]> {
  const busy: { port: number; use: string; error: string }[] = [];
  for (const entry of portUses(ports)) {
    const error = await bindError(entry.port);
    if (error !== undefined) busy.push({ ...entry, error });
  }
  return busy;
}

function bindError(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}
