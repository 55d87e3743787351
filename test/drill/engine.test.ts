// The drill's stand-in for the Pulumi engine, driven with recording fake providers.
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { describe, expect, it } from "vitest";
import { Stack, dependentsFirst, up, type DesiredResource } from "../../drill/engine";

/** The fakes store their inputs as they get them. */
type FakeProvider = dynamic.ResourceProvider<Record<string, unknown>, Record<string, unknown>>;

interface Call {
  readonly op: string;
  readonly name: string;
}

/** A provider whose diff replaces on `role` (delete-first when `key` changes) and logs every call. */
function fake(calls: Call[], options: { failCheck?: boolean; failCreate?: string } = {}): FakeProvider {
  let serial = 0;
  return {
    async check(_olds, news) {
      if (options.failCheck)
        return { inputs: news, failures: [{ property: "role", reason: "role: must be primary or mirror" }] };
      return { inputs: { ...news, checked: true } };
    },
    async diff(_id, olds, news) {
      const changed = Object.keys(news).filter((key) => JSON.stringify(olds[key]) !== JSON.stringify(news[key]));
      return {
        changes: changed.length > 0,
        replaces: changed.filter((key) => key === "role" || key === "key"),
        deleteBeforeReplace: changed.includes("key"),
      };
    },
    async create(inputs) {
      calls.push({ op: "create", name: String(inputs["name"]) });
      if (options.failCreate === inputs["name"]) throw new Error("server said no");
      return { id: `${String(inputs["name"])}-${++serial}`, outs: inputs };
    },
    async update(_id, _olds, news) {
      calls.push({ op: "update", name: String(news["name"]) });
      return { outs: news };
    },
    async delete(id) {
      calls.push({ op: "delete", name: id });
    },
  };
}

function resource(
  provider: dynamic.ResourceProvider,
  name: string,
  inputs: Record<string, unknown>,
  dependsOn: string[] = [],
): DesiredResource {
  return { name, provider, inputs: { name, ...inputs }, dependsOn };
}

describe("drill engine", () => {
  it("drill engine - creates dependencies first, then keeps unchanged resources as they are", async () => {
    const calls: Call[] = [];
    const provider = fake(calls);
    const stack = new Stack("us-east-1");
    const desired = [
      resource(provider, "consumer", { size: 1 }, ["stream"]),
      resource(provider, "stream", { role: "primary" }),
    ];
    const first = await up(stack, desired);
    expect(first.ok).toBe(true);
    expect(calls).toEqual([
      { op: "create", name: "stream" },
      { op: "create", name: "consumer" },
    ]);
    expect(stack.state.get("stream")).toMatchObject({ id: "stream-1", outputs: { checked: true, role: "primary" } });
    calls.length = 0;
    const second = await up(stack, desired);
    expect(second.steps.map((step) => step.op)).toEqual(["same", "same"]);
    expect(calls).toEqual([]);
  });

  it("drill engine - an update keeps the id; a replacement creates first and deletes the old one last", async () => {
    const calls: Call[] = [];
    const provider = fake(calls);
    const stack = new Stack("s");
    await up(stack, [
      resource(provider, "stream", { role: "primary", size: 1 }),
      resource(provider, "other", { size: 1 }),
    ]);
    calls.length = 0;
    const run = await up(stack, [
      resource(provider, "stream", { role: "mirror", size: 1 }),
      resource(provider, "other", { size: 2 }),
    ]);
    expect(run.ok).toBe(true);
    expect(calls).toEqual([
      { op: "create", name: "stream" },
      { op: "update", name: "other" },
      { op: "delete", name: "stream-1" },
    ]);
    expect(run.steps.find((step) => step.op === "replace")?.detail).toBe("[diff: +-role]");
    expect(stack.state.get("stream")?.id).toBe("stream-3");
    expect(stack.state.get("other")?.id).toBe("other-2");
  });

  it("drill engine - deleteBeforeReplace deletes the old resource before creating the new one", async () => {
    const calls: Call[] = [];
    const provider = fake(calls);
    const stack = new Stack("s");
    await up(stack, [resource(provider, "stream", { key: "a" })]);
    calls.length = 0;
    const run = await up(stack, [resource(provider, "stream", { key: "b" })]);
    expect(calls).toEqual([
      { op: "delete", name: "stream-1" },
      { op: "create", name: "stream" },
    ]);
    expect(run.steps[0]?.detail).toBe("[diff: +-key] (delete before replace)");
  });

  it("drill engine - a failed check changes nothing and names the resource", async () => {
    const calls: Call[] = [];
    const stack = new Stack("s");
    const run = await up(stack, [resource(fake(calls, { failCheck: true }), "stream", {})]);
    expect(run).toMatchObject({ ok: false });
    expect(run.error).toBe("check failed, nothing changed:\nstream: role: must be primary or mirror");
    expect(calls).toEqual([]);
    expect(stack.state.size).toBe(0);
  });

  it("drill engine - a failed step stops its dependents and keeps the old state", async () => {
    const calls: Call[] = [];
    const stack = new Stack("s");
    const run = await up(stack, [
      resource(fake(calls, { failCreate: "stream" }), "stream", {}),
      resource(fake(calls), "consumer", {}, ["stream"]),
    ]);
    expect(run.ok).toBe(false);
    expect(run.error).toBe("stream: create failed: server said no");
    expect(calls).toEqual([{ op: "create", name: "stream" }]);
    expect(stack.state.size).toBe(0);
  });

  it("drill engine - resources no longer declared are deleted, dependents first", async () => {
    const calls: Call[] = [];
    const provider = fake(calls);
    const stack = new Stack("s");
    await up(stack, [
      resource(provider, "stream", {}),
      resource(provider, "consumer", {}, ["stream"]),
      resource(provider, "keep", {}),
    ]);
    calls.length = 0;
    await up(stack, [resource(provider, "keep", {})]);
    expect(calls.map((call) => `${call.op} ${call.name.replace(/-\d+$/, "")}`)).toEqual([
      "delete consumer",
      "delete stream",
    ]);
    expect([...stack.state.keys()]).toEqual(["keep"]);
    expect(dependentsFirst([...stack.state.values()]).map((entry) => entry.name)).toEqual(["keep"]);
  });

  it("drill engine - refresh drops what the server no longer has", async () => {
    const calls: Call[] = [];
    const provider: FakeProvider = {
      ...fake(calls),
      async read(id, props) {
        return props?.["name"] === "gone" ? { id: undefined as unknown as string } : { id, props };
      },
    };
    const stack = new Stack("s");
    await up(stack, [resource(provider, "gone", {}), resource(provider, "here", {})]);
    calls.length = 0;
    const run = await up(stack, [resource(provider, "gone", {}), resource(provider, "here", {})], { refresh: true });
    expect(run.steps.filter((step) => step.op === "refresh").map((step) => [step.name, step.detail])).toContainEqual([
      "gone",
      "gone from the server: dropped from the state",
    ]);
    expect(calls).toEqual([{ op: "create", name: "gone" }]);
  });
});
