// The provider as the engine runs it: register resources under Pulumi mocks, take the
// serialized `__provider` text, load it in a separate Node process as Pulumi's provider host
// does, and drive create / diff / update (promotion) / delete against real nats-servers.
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { JetStreamConsumer, JetStreamStream } from "../../streams/resources";
import type { StreamSpec } from "../../streams/spec";
import type { StreamState } from "../../streams/streamProvider";
import { connectApp, startTwoDomains, type TwoDomains } from "../harness";
import { APP_CREDENTIALS, eventually } from "../support/provider";

const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];

let regions: TwoDomains;
beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const inputs = args.inputs as Record<string, unknown>;
        registered.push({ type: args.type, name: args.name, inputs });
        return { id: `${args.name}-id`, state: inputs };
      },
      call: () => ({}),
    },
    "nats-dr",
    "serialized",
    false,
  );
  regions = await startTwoDomains({ clustered: false });
});
afterAll(async () => {
  await regions?.stop();
});

type Call = { method: string; args: unknown[] };
type Result = { ok: boolean; value?: unknown; error?: string };
/** The values of the provider's create and update results, as the engine host printed them. */
type Created = { id: string; outs: StreamState };
type Updated = { outs: StreamState };

/** Runs calls in a fresh `node` process through the serialized provider text. */
async function runInEngineHost(providerText: string, calls: Call[]): Promise<Result[]> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "nats-dr-engine-"));
  const file = path.join(dir, "calls.json");
  await fs.writeFile(file, JSON.stringify({ providerText, calls }));
  try {
    const root = path.resolve(__dirname, "..", "..");
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(root, "test/support/engine-host.cjs"), file],
      { cwd: root, timeout: 60_000 },
    );
    return JSON.parse(stdout.trim().split("\n").pop()!) as Result[];
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function registeredInputs(name: string): Promise<Record<string, unknown>> {
  await eventually(`resource ${name} registered`, async () => registered.some((entry) => entry.name === name));
  return registered.find((entry) => entry.name === name)!.inputs;
}

/** Pulumi's marker of a secret value in serialized properties: this key holds this signature. */
const SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270";

/** The engine hands a dynamic provider plain values: it does not accept secrets. */
function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record[SIGNATURE_KEY] === SECRET_SIGNATURE) return unwrapSecrets(record["value"]);
    return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, unwrapSecrets(inner)]));
  }
  return value;
}

describe("serialized provider", () => {
  test("create, diff, promote and delete through the engine's loading path", async () => {
    const spec = {
      name: "serialized",
      subjects: ["serialized.*"],
      description: "",
      storage: "file",
      replicas: 1,
      retention: "limits",
      discard: "old",
      maxAge: "1d",
      maxBytes: "1Gi",
      maxMsgs: -1,
      maxMsgsPerSubject: -1,
      maxMsgSize: "unlimited",
      duplicateWindow: "2m",
      denyDelete: false,
      denyPurge: false,
      allowDirect: true,
      compression: "none",
    } satisfies StreamSpec;
    const failover = {
      peerTimeoutMs: 1500,
      peerSettleMs: 15000,
      catchupTimeoutMs: 15_000,
      consumerDrainTimeoutMs: 1000,
      unplannedConsumerRewind: "unlimited",
    };
    const connection = (urls: readonly string[]) => ({
      servers: [...urls],
      connectTimeoutMs: 2000,
      requestTimeoutMs: 2000,
    });
    new JetStreamStream("east-serialized", {
      connection: connection(regions.east.clientUrls),
      credentials: APP_CREDENTIALS,
      domain: "us-east-1",
      spec,
      role: "primary",
      peerDomain: "eu-central-1",
      failover,
    });
    new JetStreamStream("west-serialized", {
      connection: connection(regions.west.clientUrls),
      credentials: APP_CREDENTIALS,
      domain: "eu-central-1",
      spec,
      role: "mirror",
      peerDomain: "us-east-1",
      failover,
    });
    const east = await registeredInputs("east-serialized");
    const west = await registeredInputs("west-serialized");
    const providerText = east["__provider"] as string;
    expect(typeof providerText).toBe("string");
    expect(west["__provider"]).toBe(providerText); // one provider instance, one text
    expect(providerText).toContain("exports.handler");
    expect((east["credentials"] as Record<string, unknown>)[SIGNATURE_KEY]).toBe(SECRET_SIGNATURE);
    const { __provider: _east, ...eastInputs } = unwrapSecrets(east) as Record<string, unknown>;
    const { __provider: _west, ...westInputs } = unwrapSecrets(west) as Record<string, unknown>;

    const created = await runInEngineHost(providerText, [
      { method: "check", args: [{}, eastInputs] },
      { method: "create", args: [{ $result: 0, path: ["inputs"] }] },
      { method: "check", args: [{}, westInputs] },
      { method: "create", args: [{ $result: 2, path: ["inputs"] }] },
    ]);
    expect(created.map((result) => result.error ?? "ok")).toEqual(["ok", "ok", "ok", "ok"]);
    const [eastCreated, westCreated] = [created[1], created[3]].map((result) => result?.value as Created);
    expect(eastCreated?.id).toBe("us-east-1/serialized");
    expect(westCreated?.id).toBe("eu-central-1/serialized");

    const nc = await connectApp(regions.east.clientUrls);
    const js = (await jetstreamManager(nc)).jetstream();
    for (let index = 0; index < 25; index++) await js.publish("serialized.x", new TextEncoder().encode(String(index)));
    await nc.close();

    const westState = westCreated!.outs;
    const { instance: _instance, ...promote } = { ...westState, role: "primary" };
    const promoted = await runInEngineHost(providerText, [
      { method: "diff", args: ["eu-central-1/serialized", westState, westState] },
      { method: "check", args: [{}, promote] },
      { method: "diff", args: ["eu-central-1/serialized", westState, { $result: 1, path: ["inputs"] }] },
      { method: "update", args: ["eu-central-1/serialized", westState, { $result: 1, path: ["inputs"] }] },
      // The us-east-1 stack's second half of the planned failover: its primary becomes a mirror.
      { method: "check", args: [{}, { ...eastInputs, role: "mirror" }] },
      { method: "create", args: [{ $result: 4, path: ["inputs"] }] },
      { method: "delete", args: ["eu-central-1/serialized", { $result: 3, path: ["outs"] }] },
      {
        method: "delete",
        args: ["eu-central-1/serialized", { ...westState, role: "primary", allowDeleteWithMessages: true }],
      },
    ]);
    expect(promoted[0]).toEqual({ ok: true, value: { changes: false, replaces: [], deleteBeforeReplace: false } });
    expect(promoted[2]!.value).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(promoted[3]!.error).toBeUndefined();
    // 25 messages, then the fence marker (26), which the promotion removes again.
    expect((promoted[3]!.value as Updated).outs.lastPromotion).toMatchObject({
      mode: "planned",
      peerLastSequence: 26,
      lastMirroredSequence: 26,
    });
    expect(promoted[5]!.error).toBeUndefined();
    expect((promoted[5]!.value as Created).outs.lastDemotion).toMatchObject({
      promotedAtSequence: 26,
      orphanCount: 0,
      history: { verdict: "same", upTo: 26 },
    });
    expect(promoted[6]!.error).toMatch(
      /refusing to delete stream serialized in domain "eu-central-1": it holds 25 messages/,
    );
    expect(promoted[7]).toEqual({ ok: true, value: null });
  });

  test("an interest stream's mirror prepares and removes its feed on the primary", async () => {
    const spec = {
      name: "serialized-interest",
      subjects: ["serialized-interest.*"],
      description: "",
      storage: "file",
      replicas: 1,
      retention: "interest",
      discard: "old",
      maxAge: "1d",
      maxBytes: "1Gi",
      maxMsgs: -1,
      maxMsgsPerSubject: -1,
      maxMsgSize: "unlimited",
      duplicateWindow: "2m",
      denyDelete: false,
      denyPurge: false,
      allowDirect: true,
      compression: "none",
    } satisfies StreamSpec;
    const declare = (name: string, region: "east" | "west") =>
      new JetStreamStream(name, {
        connection: { servers: [...regions[region].clientUrls], connectTimeoutMs: 2000, requestTimeoutMs: 2000 },
        credentials: APP_CREDENTIALS,
        domain: regions[region].domain,
        spec,
        role: region === "east" ? "primary" : "mirror",
        peerDomain: regions[region === "east" ? "west" : "east"].domain,
      });
    declare("east-serialized-interest", "east");
    declare("west-serialized-interest", "west");
    const east = await registeredInputs("east-serialized-interest");
    const west = await registeredInputs("west-serialized-interest");
    const providerText = east["__provider"] as string;
    const { __provider: _east, ...eastInputs } = unwrapSecrets(east) as Record<string, unknown>;
    const { __provider: _west, ...westInputs } = unwrapSecrets(west) as Record<string, unknown>;
    const results = await runInEngineHost(providerText, [
      { method: "check", args: [{}, eastInputs] },
      { method: "create", args: [{ $result: 0, path: ["inputs"] }] },
      { method: "check", args: [{}, westInputs] },
      { method: "create", args: [{ $result: 2, path: ["inputs"] }] },
    ]);
    expect(results.map((result) => result.error ?? "ok")).toEqual(["ok", "ok", "ok", "ok"]);
    const nc = await connectApp(regions.east.clientUrls);
    try {
      const primary = await jetstreamManager(nc);
      expect((await primary.consumers.info(spec.name, "natsdr-mirror-feed")).config.ack_policy).toBe("flow_control");
      const removed = await runInEngineHost(providerText, [
        { method: "delete", args: ["eu-central-1/serialized-interest", (results[3]?.value as Created).outs] },
      ]);
      expect(removed).toEqual([{ ok: true, value: null }]);
      expect((await primary.streams.info(spec.name)).state.consumer_count).toBe(0);
    } finally {
      await nc.close();
    }
  });

  test("credentials are secret outputs and stay out of every other input", async () => {
    const stream = new JetStreamStream("secret-check", {
      connection: { servers: ["nats://127.0.0.1:4222"], connectTimeoutMs: 1000, requestTimeoutMs: 1000 },
      credentials: { user: "app", password: "s3cr3t-value" },
      domain: "us-east-1",
      spec: {
        name: "s",
        subjects: ["s.*"],
        description: "",
        storage: "file",
        replicas: 1,
        retention: "limits",
        discard: "old",
        maxAge: "0",
        maxBytes: "unlimited",
        maxMsgs: -1,
        maxMsgsPerSubject: -1,
        maxMsgSize: "unlimited",
        duplicateWindow: "2m",
        denyDelete: false,
        denyPurge: false,
        allowDirect: true,
        compression: "none",
      },
      role: "primary",
    });
    const consumer = new JetStreamConsumer("secret-consumer", {
      connection: { servers: ["nats://127.0.0.1:4222"], connectTimeoutMs: 1000, requestTimeoutMs: 1000 },
      credentials: { token: "t0ken-value" },
      domain: "us-east-1",
      stream: "s",
      spec: {
        name: "c",
        description: "",
        deliver: "pull",
        ackPolicy: "explicit",
        ackWait: "30s",
        maxDeliver: 5,
        maxAckPending: 1000,
        filterSubjects: [],
        deliverPolicy: "all",
      },
    });
    const credentials = (stream as unknown as { credentials: pulumi.Output<unknown> }).credentials;
    expect(await pulumi.isSecret(credentials)).toBe(true);
    expect(await pulumi.isSecret((consumer as unknown as { credentials: pulumi.Output<unknown> }).credentials)).toBe(
      true,
    );
    const inputs = await registeredInputs("secret-check");
    const { credentials: _secret, __provider, ...rest } = inputs;
    expect(JSON.stringify(rest)).not.toContain("s3cr3t-value");
    expect(__provider).not.toContain("s3cr3t-value");
    const consumerInputs = await registeredInputs("secret-consumer");
    expect(consumerInputs.__provider).not.toContain("t0ken-value");
  });
});
