// Issue 14: the failover plan, with the real Pulumi CLI. A preview of a flip prints one line per
// stream (planned while the peer answers, unplanned when the link is cut), the other stack's preview
// says it must wait, the plan is a stack output next to the evidence after `pulumi up`, and a
// preview without a flip prints nothing.
import fs from "node:fs";
import path from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clients } from "../../drill/load/connections";
import { waitFor } from "../../drill/local/wait";
import type { FailoverPlan } from "../../infra/failoverPlan";
import type { DefaultRegion } from "../../infra/config/regions";
import { stackConfigMap } from "../../drill/pulumi/workspace";
import { SECRET_KEYS, startDeployedWorld, stopWorld, type E2eWorld } from "./support";

let world: E2eWorld;
let clients: Clients;

beforeAll(async () => {
  ({ world, clients } = await startDeployedWorld("plan"));
  const js = jetstream(await clients.get("observe", "us-east-1"));
  for (let index = 0; index < 30; index++)
    await js.publish("orders.plan", `order ${index}`, { msgID: `plan-${index}` });
  await js.publish("events.plan", "event");
  const settle = await js.consumers.get("orders", "settle");
  for await (const message of await settle.fetch({ max_messages: 10, expires: 2000 })) message.ack();
  await (await clients.get("observe", "us-east-1")).flush();
}, 300_000);

afterAll(() => stopWorld(world, clients), 60_000);

async function planOf(region: DefaultRegion): Promise<FailoverPlan> {
  return (await world.stacks[region].outputs())["failoverPlan"]!.value as FailoverPlan;
}

/** The plan lines of a CLI run's output (Pulumi prints them under the stack's diagnostics, warnings prefixed). */
function planLinesIn(stdout: string): string[] {
  return stdout
    .split("\n")
    .map((line) => line.trim().replace(/^warning: /, ""))
    .filter((line) => line.startsWith("failover plan for "));
}

describe("e2e failover plan", { timeout: 300_000 }, () => {
  it("without a flip the preview prints no plan and the output stays empty", async () => {
    const preview = await world.stacks["eu-central-1"].preview();
    expect(planLinesIn(preview.stdout)).toEqual([]);
    expect(await planOf("eu-central-1")).toEqual({ region: "eu-central-1", peerRegion: "us-east-1", streams: [] });
  });

  it("the preview of a flip says planned, with lag, the peer's sequence and the consumers carried", async () => {
    await world.setActiveRegion("eu-central-1");
    const west = await world.stacks["eu-central-1"].preview();
    const westLines = planLinesIn(west.stdout);
    expect(westLines).toEqual([
      "failover plan for eu-central-1: events: promote (planned): peer us-east-1 answers: pulumi up fences its primary (sequence 1 now), waits until this mirror holds its last message, then promotes; this mirror is at sequence 1, 0 behind; no durable consumers to carry; RPO 0: every message the peer acknowledged is here before writes move.",
      "failover plan for eu-central-1: orders: promote (planned): peer us-east-1 answers: pulumi up fences its primary (sequence 30 now), waits until this mirror holds its last message, then promotes; this mirror is at sequence 30, 0 behind; consumers carried from the peer: settle (ack floor 10); RPO 0: every message the peer acknowledged is here before writes move.",
    ]);
    // README's "Preview a failover" quotes these lines.
    const readme = fs.readFileSync(path.join(__dirname, "../../README.md"), "utf8");
    for (const line of westLines) expect(readme).toContain(line);
    // Run first, the old primary's stack would refuse and says which stack to run first.
    const east = await world.stacks["us-east-1"].preview();
    const eastLines = planLinesIn(east.stdout);
    expect(eastLines).toHaveLength(2);
    for (const line of eastLines)
      expect(line).toMatch(
        /^failover plan for us-east-1: (events|orders): refuse: .*"eu-central-1" has not been promoted yet\. Run `pulumi up` in the eu-central-1 stack with activeRegion "eu-central-1" first/,
      );
  });

  it("under load over a slow link the plan shows the mirror behind the peer", async () => {
    world.local.link.setLatency(500);
    const js = jetstream(await clients.get("observe", "us-east-1"));
    let publishing = true;
    let sent = 0;
    const load = (async () => {
      while (publishing) {
        await js.publish("orders.load", `load ${sent}`, { msgID: `load-${sent}` });
        sent += 1;
      }
    })();
    try {
      await waitFor("some load published", () => sent >= 50, { timeoutMs: 30_000 });
      const line = planLinesIn((await world.stacks["eu-central-1"].preview()).stdout)[1]!;
      const [, peerSeq, mirrorSeq, behind] =
        /\(sequence (\d+) now\).*this mirror is at sequence (\d+), (\d+) behind/.exec(line)!;
      expect(Number(behind)).toBeGreaterThan(0);
      expect(Number(peerSeq) - Number(mirrorSeq)).toBe(Number(behind));
    } finally {
      publishing = false;
      await load;
      world.local.link.setLatency(0);
    }
    const westJs = jetstream(await clients.get("observe", "eu-central-1"));
    const eastLast = (await (await jetstreamManager(await clients.get("observe", "us-east-1"))).streams.info("orders"))
      .state.last_seq;
    await waitFor(
      "the mirror caught up",
      async () => (await (await westJs.jetstreamManager()).streams.info("orders")).state.last_seq >= eastLast,
      { timeoutMs: 60_000 },
    );
  });

  it("with the link cut the preview says unplanned and why, and still finishes", async () => {
    world.local.link.cut();
    try {
      const west = await world.stacks["eu-central-1"].preview();
      const lines = planLinesIn(west.stdout);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toMatch(
        /^failover plan for eu-central-1: orders: promote \(unplanned\): peer domain "us-east-1" did not answer within 3000 ms .*then promotes this mirror as it is; this mirror is at sequence (\d+), \d+ behind; consumers start from this region's positions: settle \(ack floor 0\); RPO what us-east-1 stored after this mirror's last message \(sequence \1; /,
      );
    } finally {
      world.local.link.heal();
    }
  });

  it("when this region's servers do not answer from here, the plan says so and the preview finishes", async () => {
    const stack = world.stacks["eu-central-1"];
    const raw = world.config("eu-central-1", "eu-central-1");
    const regions = raw["regions"] as Record<string, unknown>;
    // Port 1 refuses at once: as from a runner outside the regions' network.
    const elsewhere = { ...raw, regions: { ...regions, "eu-central-1": { servers: ["nats://127.0.0.1:1"] } } };
    await stack.setAllConfig(stackConfigMap(elsewhere, SECRET_KEYS));
    try {
      const preview = await stack.preview();
      expect(planLinesIn(preview.stdout)).toEqual([
        expect.stringMatching(
          /^failover plan for eu-central-1: the servers of eu-central-1 did not answer from here \(cannot connect to the NATS servers of domain "eu-central-1" \(nats:\/\/127\.0\.0\.1:1\) .*\), so the plan cannot tell whether any stream's role changes; pulumi up needs them too: run it where they can be reached\.$/,
        ),
      ]);
    } finally {
      await stack.setAllConfig(stackConfigMap(raw, SECRET_KEYS));
    }
  });

  it("after pulumi up the plan is an output next to the evidence; the demotion's orphans match it", async () => {
    // The link is back; wait until the peer answers again before the planned run.
    await waitFor(
      "the eu-central-1 stack's plan sees us-east-1 again",
      async () => planLinesIn((await world.stacks["eu-central-1"].preview()).stdout)[0]?.includes("(planned)"),
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    await world.stacks["eu-central-1"].up();
    const westPlan = await planOf("eu-central-1");
    expect(westPlan.streams.map(({ stream, change, mode }) => ({ stream, change, mode }))).toEqual([
      { stream: "events", change: "promote", mode: "planned" },
      { stream: "orders", change: "promote", mode: "planned" },
    ]);
    const evidence = (await world.stacks["eu-central-1"].outputs())["failoverEvidence"]!.value as Record<
      string,
      { lastPromotion?: { mode: string; peerLastSequence: number } }
    >;
    expect(evidence["orders"]?.lastPromotion?.mode).toBe("planned");
    // The peer's last sequence as the plan saw it, and as the promotion found it after fencing:
    // the fence appends its marker message, one more.
    expect(evidence["orders"]?.lastPromotion?.peerLastSequence).toBe(westPlan.streams[1]!.peerLastSequence! + 1);

    const east = await world.stacks["us-east-1"].preview();
    const lines = planLinesIn(east.stdout);
    expect(lines[1]).toMatch(
      /^failover plan for us-east-1: orders: demote: stream orders in "eu-central-1" is a primary, writable, promoted from "us-east-1" at sequence \d+ .*: this stream becomes its mirror; its messages beyond the peer's promotion point are kept first; orphans expected: 0 \(into orders-orphans-\d+\); RPO 0: nothing is deleted before it is kept\.$/,
    );
    await world.stacks["us-east-1"].up();
    const eastEvidence = (await world.stacks["us-east-1"].outputs())["failoverEvidence"]!.value as Record<
      string,
      { lastDemotion?: { orphanCount: number } }
    >;
    expect(eastEvidence["orders"]?.lastDemotion?.orphanCount).toBe(0);
    expect((await planOf("us-east-1")).streams.map(({ change }) => change)).toEqual(["demote", "demote"]);

    // Nothing changes any more: no plan lines, and the next run empties the output again.
    expect(planLinesIn((await world.stacks["eu-central-1"].preview()).stdout)).toEqual([]);
    await world.stacks["eu-central-1"].up();
    expect((await planOf("eu-central-1")).streams).toEqual([]);
  });
});
