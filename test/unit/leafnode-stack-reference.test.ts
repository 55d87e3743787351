// Issue 8, item 8, under Pulumi mocks: the dialing region (eu-central-1) takes the listening
// region's load balancer host from that stack's output natsClientEndpoint through a
// StackReference (nats-dr:leafnode.listenerStack), validated; listenerHosts written by hand still
// work, and a config naming both, neither, or a stack in the listening region is refused.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type * as KubernetesModule from "../../infra/kubernetes";
import { kubernetesConfig, kubernetesRaw } from "./kubernetes-support";
import { problemsOf, promiseOf } from "./support";

interface Registered {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}
const registered: Registered[] = [];
const FROM_STACK = "nats-lb-456.elb.us-east-1.amazonaws.com";
let kubernetes: typeof KubernetesModule;

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const inputs = args.inputs as Record<string, unknown>;
        registered.push({ type: args.type, name: args.name, inputs });
        // What the engine reads from the backend for a StackReference: the stack's outputs.
        const state: Record<string, unknown> =
          args.type === "pulumi:pulumi:StackReference"
            ? { name: inputs["name"], outputs: { natsClientEndpoint: FROM_STACK }, secretOutputNames: [] }
            : inputs;
        return { id: `${args.name}-id`, state };
      },
      call: (args) => args.inputs as Record<string, unknown>,
    },
    "nats-dr",
    "unit",
    false,
  );
  kubernetes = await import("../../infra/kubernetes/index.js");
});

const withStack = { leafnode: { listenerStack: "acme/nats-dr/us-east-1" } };

/** The registered inputs of `name`'s child `role` (e.g. "credentials"), once every object is there. */
async function declare(name: string, overrides: Record<string, unknown>) {
  const cluster = kubernetes.declareNats(kubernetesConfig("eu-central-1", overrides), name)!;
  await Promise.all([promiseOf(cluster.urn), promiseOf(cluster.clientEndpoint)]);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const child = (role: string) => registered.find((entry) => entry.name === `${name}-${role}`)!.inputs;
  return { cluster, child };
}

describe("leafnode stack reference", () => {
  it("the dialing region's leafnode URL comes from the listening stack's natsClientEndpoint", async () => {
    const { cluster, child } = await declare("fromstack", withStack);
    expect(child("leafnode-listener")).toMatchObject({ name: "acme/nats-dr/us-east-1" });
    const stringData = (child("credentials")["stringData"] as { value: Record<string, string> }).value;
    expect(JSON.parse(stringData["conf-leafnode-url-1"]!)).toBe(
      `nats-leaf://leaf:${encodeURIComponent("leaf:p@ss/w#rd")}@${FROM_STACK}:7422`,
    );
    expect(stringData).not.toHaveProperty("conf-leafnode-url-2");
    // One URL reference in the config text and in the pod's environment, as with one listener host.
    expect(cluster.configText).toContain('{ urls: [$NATS_LEAFNODE_URL_1], account: "APP"');
    const pod = (child("statefulset")["spec"] as { template: { spec: { containers: { env: { name: string }[] }[] } } })
      .template.spec;
    expect(pod.containers[0]!.env.map((entry) => entry.name)).toContain("NATS_LEAFNODE_URL_1");
  });

  it("listenerHosts written by hand need no StackReference", async () => {
    const { child } = await declare("byhand", {});
    expect(registered.some((entry) => entry.name === "byhand-leafnode-listener")).toBe(false);
    const stringData = (child("credentials")["stringData"] as { value: Record<string, string> }).value;
    expect(JSON.parse(stringData["conf-leafnode-url-1"]!)).toMatch(/@nats-leaf\.us-east-1\.example\.com:7422$/);
  });

  it("an output that is missing or no host name is refused, naming the key and the fix", () => {
    expect(kubernetes.listenerEndpointHost("us-east-1", FROM_STACK)).toBe(FROM_STACK);
    expect(() => kubernetes.listenerEndpointHost("acme/nats-dr/us-east-1", undefined)).toThrow(
      'nats-dr:leafnode.listenerStack: stack "acme/nats-dr/us-east-1" has no output natsClientEndpoint; run pulumi up in that stack first (it exports its load balancer\'s host once Kubernetes reports one), check the stack name ("org/project/stack" for another project or organization), or list the host in nats-dr:leafnode.listenerHosts instead',
    );
    // "" until Kubernetes reports the load balancer's address.
    expect(() => kubernetes.listenerEndpointHost("us-east-1", "")).toThrow(
      /^nats-dr:leafnode\.listenerStack: the output natsClientEndpoint of stack "us-east-1" is "", not a host name; run pulumi up in that stack first/,
    );
    expect(() => kubernetes.listenerEndpointHost("us-east-1", { host: "x" })).toThrow(
      /is \{"host":"x"\}, not a host name/,
    );
  });

  it("bad config: both, neither, a bad name, or set in the listening region", () => {
    expect(
      problemsOf(
        kubernetesRaw("eu-central-1", { leafnode: { listenerStack: "us-east-1", listenerHosts: ["a.example.com"] } }),
      ),
    ).toEqual([
      "nats-dr:leafnode.listenerStack: is set and so is nats-dr:leafnode.listenerHosts; eu-central-1 would not know which to dial: keep listenerStack (the host follows us-east-1's stack output) or listenerHosts (written by hand), and remove the other",
    ]);
    expect(problemsOf(kubernetesRaw("eu-central-1", { leafnode: {} }))).toEqual([
      'nats-dr:leafnode.listenerStack: is not set and nats-dr:leafnode.listenerHosts is empty; eu-central-1 dials the leafnode of us-east-1 (nats-dr:leafnode.listenRegion): name us-east-1\'s stack, whose output natsClientEndpoint is its load balancer (e.g. "acme/nats-dr/us-east-1"), or list the host name in listenerHosts',
    ]);
    expect(
      problemsOf(kubernetesRaw("eu-central-1", { leafnode: { listenerStack: "acme/nats dr/us-east-1" } })),
    ).toEqual([
      'nats-dr:leafnode.listenerStack: must be a stack name: "stack", "project/stack" or "org/project/stack", e.g. "acme/nats-dr/us-east-1"',
    ]);
    expect(problemsOf(kubernetesRaw("us-east-1", { leafnode: { listenerStack: "acme/nats-dr/us-east-1" } }))).toEqual([
      "nats-dr:leafnode.listenerStack: is set but us-east-1 is the listening region (nats-dr:leafnode.listenRegion) and dials nobody; remove it from this stack (pulumi config rm --path nats-dr:leafnode.listenerStack)",
    ]);
    expect(kubernetesConfig("eu-central-1", withStack).kubernetes?.leafnode).toMatchObject({
      listenerHosts: [],
      listenerStack: "acme/nats-dr/us-east-1",
    });
  });
});
