// RegionStreams under Pulumi mocks: setMocks first, then import the program pieces.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { DefaultRegion } from "../../infra/config";
import type { RegionStreams as RegionStreamsClass } from "../../infra/streams";
import { isSecretInput, parsed, plainText, promiseOf, rawConfig, recordingMocks, withoutProvider } from "./support";
import type { Registration } from "./support";

const registrations: Registration[] = [];
/** dependsOn of every resource, by resource name, captured by a transformation on the component. */
const dependencies = new Map<string, unknown>();
let RegionStreams: typeof RegionStreamsClass;
let regionStreamsArgs: typeof import("../../infra/region.js").regionStreamsArgs;

beforeAll(async () => {
  await pulumi.runtime.setMocks(recordingMocks(registrations), "nats-dr", "unit", false);
  ({ RegionStreams } = await import("../../infra/streams/index.js"));
  ({ regionStreamsArgs } = await import("../../infra/region.js"));
});

const credentials = { natsUser: pulumi.secret("dr-operator"), natsPassword: pulumi.secret("pa55word-never-plain") };

/** Declares a region's streams under `name` and waits until every child is registered. */
async function declare(
  name: string,
  region: DefaultRegion,
  activeRegion: DefaultRegion,
  dependsOn?: pulumi.Resource[],
  extra: Record<string, unknown> = {},
): Promise<RegionStreamsClass> {
  const config = parsed(rawConfig(region, { activeRegion, ...credentials, ...extra }));
  const component = new RegionStreams(name, regionStreamsArgs(config), {
    ...(dependsOn ? { dependsOn } : {}),
    transformations: [
      (args) => {
        dependencies.set(args.name, args.opts.dependsOn);
        return undefined;
      },
    ],
  });
  const children = [...Object.values(component.streams), ...Object.values(component.consumers)];
  await Promise.all(children.map((child) => promiseOf(child.urn)));
  return component;
}

/** Recorded inputs of the children of `name`, keyed by the part after `${name}-`. */
function childrenOf(name: string): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    registrations
      .filter((entry) => entry.name.startsWith(`${name}-`))
      .map((entry) => [entry.name.slice(name.length + 1), entry.inputs]),
  );
}

describe("region streams", () => {
  it("us-east-1 active: primaries in us-east-1, mirrors with peerDomain us-east-1 in eu-central-1", async () => {
    await declare("use1", "us-east-1", "us-east-1");
    await declare("euc1", "eu-central-1", "us-east-1");
    const us = childrenOf("use1");
    const eu = childrenOf("euc1");
    for (const stream of ["audit", "events", "metrics", "notifications"]) {
      expect(us[`stream-${stream}`]).toMatchObject({
        role: "primary",
        peerDomain: "eu-central-1",
        domain: "us-east-1",
      });
      expect(eu[`stream-${stream}`]).toMatchObject({ role: "mirror", peerDomain: "us-east-1", domain: "eu-central-1" });
    }
    for (const stream of ["events-eu-gdpr", "audit-eu-gdpr"]) {
      expect(us[`stream-${stream}`]).toBeUndefined();
      expect(eu[`stream-${stream}`]).toMatchObject({ role: "primary", domain: "eu-central-1" });
      expect(eu[`stream-${stream}`]).not.toHaveProperty("peerDomain");
    }
  });

  it("only streams listed in allowRecreateOverMirror get that input", async () => {
    await declare("recreate", "us-east-1", "us-east-1", undefined, { allowRecreateOverMirror: ["events"] });
    const children = childrenOf("recreate");
    expect(children["stream-events"]!["allowRecreateOverMirror"]).toBe(true);
    for (const stream of ["audit", "metrics", "notifications"])
      expect(children[`stream-${stream}`], stream).not.toHaveProperty("allowRecreateOverMirror");
  });

  it("only streams listed in adoptStreams get the adopt input", async () => {
    await declare("adopt", "us-east-1", "us-east-1", undefined, { adoptStreams: ["audit"] });
    const children = childrenOf("adopt");
    expect(children["stream-audit"]!["adopt"]).toBe(true);
    for (const stream of ["events", "metrics", "notifications"])
      expect(children[`stream-${stream}`], stream).not.toHaveProperty("adopt");
  });

  it("consumers get allowDeleteWithMessages only when it is set, so existing ones see no diff", async () => {
    await declare("guard-off", "us-east-1", "us-east-1");
    await declare("guard-on", "us-east-1", "us-east-1", undefined, { allowDeleteWithMessages: true });
    expect(childrenOf("guard-off")["consumer-audit-consumer"]).not.toHaveProperty("allowDeleteWithMessages");
    expect(childrenOf("guard-on")["consumer-audit-consumer"]!["allowDeleteWithMessages"]).toBe(true);
  });

  it("passes the canonical spec, connection, failover and delete guard as inputs", async () => {
    await declare("inputs", "us-east-1", "us-east-1");
    const events = childrenOf("inputs")["stream-events"]!;
    expect(registrations.find((entry) => entry.name === "inputs-stream-events")!.type).toBe(
      "pulumi-nodejs:dynamic/natsdr:JetStreamStream",
    );
    expect(events["spec"]).toEqual({
      name: "events",
      subjects: ["events.*", "buddy.*", "kintell.*", "upskilling.*", "journey.*"],
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types its asymmetric matchers as any
      description: expect.any(String),
      storage: "file",
      replicas: 3,
      retention: "limits",
      discard: "old",
      maxAge: "7d",
      maxBytes: "10Gi",
      maxMsgs: -1,
      maxMsgsPerSubject: -1,
      maxMsgSize: "unlimited",
      duplicateWindow: "2m",
      denyDelete: false,
      denyPurge: false,
      allowDirect: true,
      compression: "none",
    });
    expect(events["connection"]).toEqual({
      servers: ["nats://nats.us-east-1.internal:4222"],
      connectTimeoutMs: 5000,
      requestTimeoutMs: 5000,
    });
    expect(events["failover"]).toEqual({
      peerTimeoutMs: 3000,
      peerSettleMs: 15000,
      catchupTimeoutMs: 30000,
      consumerDrainTimeoutMs: 5000,
      unplannedConsumerRewind: "unlimited",
    });
    expect(events["allowDeleteWithMessages"]).toBe(false);
    expect(typeof events["__provider"]).toBe("string");
  });

  it("flipping activeRegion changes exactly the role input of replicated streams and the capture's subjects", async () => {
    const subjectsOf = (inputs: Record<string, unknown>) => (inputs["spec"] as { subjects: string[] }).subjects;
    for (const region of ["us-east-1", "eu-central-1"] as const) {
      await declare(`${region}-before`, region, "us-east-1");
      await declare(`${region}-after`, region, "eu-central-1");
      const before = childrenOf(`${region}-before`);
      const after = childrenOf(`${region}-after`);
      expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
      const changed: string[] = [];
      for (const [child, inputs] of Object.entries(before)) {
        const { role: roleBefore, ...rest } = withoutProvider(inputs);
        const { role: roleAfter, ...restAfter } = withoutProvider(after[child]!);
        if (child === "acks") {
          const { subjects: _before, ...specBefore } = rest["spec"] as Record<string, unknown>;
          const { subjects: _after, ...specAfter } = restAfter["spec"] as Record<string, unknown>;
          expect({ ...restAfter, spec: specAfter }).toEqual({ ...rest, spec: specBefore });
          changed.push(`acks: ${subjectsOf(inputs).length} -> ${subjectsOf(after[child]!).length} subjects`);
        } else expect(restAfter).toEqual(rest);
        if (roleAfter !== roleBefore) changed.push(`${child}: ${String(roleBefore)} -> ${String(roleAfter)}`);
      }
      const expected = region === "us-east-1" ? "primary -> mirror" : "mirror -> primary";
      // The standby captures one filter per consumer of a replicated stream (3); the active region one idle subject.
      const capture = region === "us-east-1" ? "acks: 1 -> 3 subjects" : "acks: 3 -> 1 subjects";
      expect(changed.sort()).toEqual([
        capture,
        ...["audit", "events", "metrics", "notifications"].map((name) => `stream-${name}: ${expected}`),
      ]);
      expect(subjectsOf(region === "us-east-1" ? before["acks"]! : after["acks"]!)).toEqual([
        `natsdr.acks.idle.${region}`,
      ]);
    }
  });

  it("consumers exist wherever their stream does and depend on it", async () => {
    const us = await declare("cons-us", "us-east-1", "us-east-1");
    const eu = await declare("cons-eu", "eu-central-1", "us-east-1");
    expect(Object.keys(us.consumers).sort()).toEqual(["analytics-consumer", "audit-consumer", "reporting-consumer"]);
    expect(Object.keys(eu.consumers).sort()).toEqual([
      "analytics-consumer",
      "audit-consumer",
      "gdpr-audit-consumer",
      "reporting-consumer",
    ]);
    const eus = childrenOf("cons-eu");
    expect(eus["consumer-analytics-consumer"]).toMatchObject({
      stream: "events",
      domain: "eu-central-1",
      spec: {
        name: "analytics-consumer",
        deliver: "pull",
        ackPolicy: "explicit",
        ackWait: "30s",
        maxDeliver: 5,
        filterSubjects: ["events.analytics", "journey.*"],
      },
    });
    expect(eus["consumer-reporting-consumer"]).toMatchObject({
      stream: "audit",
      spec: { filterSubjects: ["compliance.*"], ackWait: "30s", maxDeliver: 5 },
    });
    expect(eus["consumer-audit-consumer"]).toMatchObject({
      stream: "audit",
      spec: {
        deliver: "push",
        deliverSubject: "deliver.audit-consumer",
        deliverGroup: "audit-workers",
        ackPolicy: "explicit",
      },
    });
    expect(eus["consumer-gdpr-audit-consumer"]).toMatchObject({
      stream: "audit-eu-gdpr",
      spec: { ackWait: "30s", maxDeliver: 5 },
    });
    for (const [component, name] of [
      [us, "cons-us"],
      [eu, "cons-eu"],
    ] as const) {
      for (const [consumer, resource] of Object.entries(component.consumers)) {
        const stream = childrenOf(name)[`consumer-${consumer}`]!["stream"] as string;
        expect(dependencies.get(`${name}-consumer-${consumer}`)).toEqual([component.streams[stream]]);
        expect(await promiseOf(resource.stream)).toBe(stream);
      }
    }
    expect(await promiseOf(eu.consumerStreams)).toEqual({
      "analytics-consumer": "events",
      "audit-consumer": "audit",
      "gdpr-audit-consumer": "audit-eu-gdpr",
      "reporting-consumer": "audit",
    });
  });

  it("credentials are secret inputs and outputs, never plain text", async () => {
    const component = await declare("secrets", "us-east-1", "us-east-1");
    const children = registrations.filter((entry) => entry.name.startsWith("secrets-"));
    // Six streams' worth of catalog resources, the checkpoint and the acknowledgement-capture streams.
    expect(children).toHaveLength(9);
    for (const { inputs } of children) {
      expect(isSecretInput(inputs["credentials"])).toBe(true);
      expect(plainText(inputs)).not.toContain("pa55word-never-plain");
      expect(plainText(inputs)).not.toContain("dr-operator");
    }
    for (const resource of [...Object.values(component.streams), ...Object.values(component.consumers)]) {
      const output = (resource as unknown as { credentials: pulumi.Output<unknown> }).credentials;
      expect(await pulumi.isSecret(output)).toBe(true);
    }
  });

  it("reports each stream's role and registers under its type token", async () => {
    const component = await declare("roles", "eu-central-1", "eu-central-1");
    expect(await promiseOf(component.roles)).toEqual({
      audit: "primary",
      "audit-eu-gdpr": "primary",
      events: "primary",
      "events-eu-gdpr": "primary",
      metrics: "primary",
      notifications: "primary",
    });
    expect(registrations.find((entry) => entry.name === "roles")?.type).toBe("natsdr:streams:RegionStreams");
  });

  it("streams wait for what the component waits for (the NATS servers), consumers for their stream", async () => {
    const servers = new pulumi.ComponentResource("test:index:Servers", "servers-for-order");
    await declare("order", "us-east-1", "us-east-1", [servers]);
    const streamNames = [...dependencies.keys()].filter((name) => name.startsWith("order-stream-"));
    expect(streamNames.length).toBe(4);
    for (const name of streamNames) expect(dependencies.get(name), name).toEqual([servers]);
    const consumerDeps = dependencies.get("order-consumer-analytics-consumer") as pulumi.Resource[];
    expect(consumerDeps).toHaveLength(1);
    expect(await promiseOf(consumerDeps[0]!.urn)).toMatch(/order-stream-events$/);
  });

  it("the checkpoint stream waits for the servers only; the capture waits for every catalog stream too, so it moves after the roles", async () => {
    const servers = new pulumi.ComponentResource("test:index:Servers", "servers-for-capture");
    const component = await declare("capture", "eu-central-1", "us-east-1", [servers]);
    expect(dependencies.get("capture-checkpoints")).toEqual([servers]);
    const captureDeps = dependencies.get("capture-acks") as pulumi.Resource[];
    expect(captureDeps).toEqual([servers, ...Object.values(component.streams)]);
    expect(Object.keys(component.streams).length).toBeGreaterThan(0);
    // Without servers to wait for (the drill, the lab): the catalog streams alone.
    const bare = await declare("capture-bare", "eu-central-1", "us-east-1");
    expect(dependencies.get("capture-bare-checkpoints")).toEqual([]);
    expect(dependencies.get("capture-bare-acks")).toEqual(Object.values(bare.streams));
  });
});
