// Ports for local servers: each process draws from its own block below the kernel's ephemeral
// range, so two test workers (or a drill beside them) never start servers on the same port.
import { describe, expect, it } from "vitest";
import { blockPorts, freePorts, portBlockOf } from "../../drill/local/ports";

describe("ports", () => {
  it("vitest workers and other processes draw from different blocks", () => {
    const workers = [1, 2, 3, 4].map((id) => portBlockOf({ VITEST_POOL_ID: String(id) }, 4242));
    expect(new Set(workers).size).toBe(4);
    for (const pid of [100, 101, 4242, 65_535]) expect(workers).not.toContain(portBlockOf({}, pid));
    expect(portBlockOf({ VITEST_POOL_ID: "not a number" }, 9)).toBe(portBlockOf({}, 9));
  });

  it("every block lies between the lab's fixed ports and the lab test's blocks, below the ephemeral range", () => {
    const all = Array.from({ length: 16 }, (_, block) => blockPorts(block)).flat();
    expect(new Set(all).size).toBe(all.length);
    expect(Math.min(...all)).toBeGreaterThan(14_323);
    expect(Math.max(...all)).toBeLessThan(20_000);
    // From an offset, the block is tried round: the same ports, another order.
    expect([...blockPorts(3, 100)].sort()).toEqual([...blockPorts(3)].sort());
    expect(blockPorts(3, 100)[0]).toBe(blockPorts(3)[100]);
  });

  it("freePort hands out distinct ports of this worker's block", async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
    const block = blockPorts(portBlockOf(process.env, process.pid));
    for (const port of ports) expect(block).toContain(port);
  });
});
