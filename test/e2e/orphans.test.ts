// npm run orphans with the real Pulumi CLI: an unplanned failover while the link is cut, the
// failback's demotion keeps the stranded messages as orphan streams (pendingOrphans), the command
// (run as a user runs it) re-publishes them to the active region, and the next
// `pulumi up --refresh` of the recovered region shows no pendingOrphans.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clients } from "../../drill/load/connections";
import type { RepublishEvidence } from "../../drill/orphans/evidence";
import type { DefaultRegion } from "../../infra/config/regions";
import { PROJECT_ROOT } from "../harness";
import { readStream } from "../support/provider";
import { startDeployedWorld, stopWorld, type E2eWorld } from "./support";

let world: E2eWorld;
let clients: Clients;
let dir: string;

beforeAll(async () => {
  ({ world, clients } = await startDeployedWorld("orphans"));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "nats-dr-e2e-orphans-"));
}, 300_000);

afterAll(async () => {
  await stopWorld(world, clients);
  fs.rmSync(dir, { recursive: true, force: true });
});

type Evidence = Record<string, { pendingOrphans: { stream: string; messages: number }[] }>;

async function evidenceOf(region: DefaultRegion): Promise<Evidence> {
  return (await world.stacks[region].outputs())["failoverEvidence"]!.value as Evidence;
}

function orphansCli(args: readonly string[]) {
  return promisify(execFile)(process.execPath, ["--import", "tsx", "drill/orphans.ts", ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, NATS_USER: world.local.users.app.user, NATS_PASSWORD: world.local.users.app.password },
  });
}

describe("e2e orphans", { timeout: 300_000 }, () => {
  it("after an unplanned failover and the failback, the command empties pendingOrphans on the next pulumi up --refresh", async () => {
    const east = jetstream(await clients.get("observe", "us-east-1"));
    for (let index = 0; index < 5; index++)
      await east.publish("orders.new", `o-${index}`, { msgID: `before-${index}` });
    const westJsm = await jetstreamManager(await clients.get("observe", "eu-central-1"));
    await expect.poll(async () => (await westJsm.streams.info("orders")).state.last_seq, { timeout: 15_000 }).toBe(5);

    // Cut off: us-east-1 still takes writes (with ids, and one without) that never replicate.
    world.local.link.cut("reset");
    await world.setActiveRegion("eu-central-1");
    for (let index = 0; index < 6; index++)
      await east.publish("orders.new", `stranded-${index}`, { msgID: `stranded-${index}` });
    await east.publish("orders.new", "stranded-without-id");
    await east.publish("events.seen", "e-0", { msgID: "event-0" });
    await world.stacks["eu-central-1"].up();
    world.local.link.heal();
    await world.local.waitForLink();
    await world.stacks["us-east-1"].up();
    const kept = await evidenceOf("us-east-1");
    expect(kept["orders"]!.pendingOrphans.map((orphans) => orphans.messages)).toEqual([7]);
    expect(kept["events"]!.pendingOrphans.map((orphans) => orphans.messages)).toEqual([1]);

    const flags = (["us-east-1", "eu-central-1"] as const).map(
      (region) => `--region=${region}=${world.local.regions[region].clientUrls.join(",")}`,
    );
    const dry = await orphansCli(["republish", "--from", "us-east-1", ...flags, "--dry-run"]);
    expect(dry.stdout).toContain(
      `  ${kept["orders"]!.pendingOrphans[0]!.stream}: would publish 7 to orders (1 with a derived id); kept`,
    );
    const file = path.join(dir, "evidence.json");
    const run = await orphansCli(["republish", "--from", "us-east-1", ...flags, "--evidence", file]);
    expect(run.stdout).toContain(
      `  ${kept["orders"]!.pendingOrphans[0]!.stream}: published 7 to orders: 7 stored, 0 already there, 1 with a derived id, 7 verified; removed`,
    );
    const evidence = JSON.parse(fs.readFileSync(file, "utf8")) as RepublishEvidence;
    expect(evidence.streams.map((stream) => [stream.stream, stream.verified, stream.removed])).toEqual([
      ["events", 1, true],
      ["orders", 7, true],
    ]);

    const ids = (await readStream(await clients.get("observe", "eu-central-1"), "eu-central-1", "orders")).map(
      (message) => message.id,
    );
    expect(ids.filter((id) => id?.startsWith("stranded-"))).toEqual(
      Array.from({ length: 6 }, (_, index) => `stranded-${index}`),
    );
    expect(ids.filter((id) => id?.startsWith("natsdr-orphan:us-east-1:orders:"))).toHaveLength(1);

    // A repeat run finds nothing to do.
    const again = await orphansCli(["republish", "--from", "us-east-1", ...flags, "--evidence", file]);
    expect(again.stdout).toContain("orphans of us-east-1 -> eu-central-1: 0 orphan stream(s)");

    await world.stacks["us-east-1"].up({ refresh: true });
    const after = await evidenceOf("us-east-1");
    expect(after["orders"]!.pendingOrphans).toEqual([]);
    expect(after["events"]!.pendingOrphans).toEqual([]);
  });
});
