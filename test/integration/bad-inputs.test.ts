// Bad input gets a clear error naming the field and the fix, before any API call; unreachable
// servers and wrong credentials fail fast with a message that says what to check.
import type { ResourceProvider } from "@pulumi/pulumi/dynamic";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { consumerProvider } from "../../streams/consumerProvider";
import { streamProvider } from "../../streams/streamProvider";
import { freePort, startStandalone, type Standalone } from "../harness";
import { checked, rawStreamInputs } from "../support/provider";

const here = { domain: "us-east-1", clientUrls: ["nats://127.0.0.1:4222"] };
const peer = { domain: "eu-central-1", clientUrls: ["nats://127.0.0.1:4223"] };

async function failures(
  raw: Record<string, unknown>,
  provider: Pick<ResourceProvider, "check"> = streamProvider,
): Promise<string[]> {
  const result = await provider.check!({}, raw);
  return (result.failures ?? []).map((failure) => failure.reason);
}

describe("bad inputs", () => {
  test("stream names, subjects, durations and sizes are named with the fix", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { name: "bad.name", subjects: ["a.*"] },
        /^spec\.name: "bad\.name" is not a valid stream name; use 1-255 letters/,
      ],
      [{ name: "s", subjects: ["a..b"] }, /^spec\.subjects\.0: "a\.\.b" has an empty token/],
      [{ name: "s", subjects: ["a.>.b"] }, /^spec\.subjects\.0: .*">" other than as the whole last token/],
      [{ name: "s", subjects: [] }, /^spec\.subjects: a stream needs at least one subject/],
      [
        { name: "s", subjects: ["a.*"], maxAge: "7x" },
        /^spec\.maxAge: "7x" is not a duration; write a number with a unit such as "30s"/,
      ],
      [{ name: "s", subjects: ["a.*"], duplicateWindow: "soon" }, /^spec\.duplicateWindow: "soon" is not a duration/],
      [
        { name: "s", subjects: ["a.*"], maxBytes: "10Gb" },
        /^spec\.maxBytes: "10Gb" is not a size; write a number with a unit such as "512Mi"/,
      ],
      [{ name: "s", subjects: ["a.*"], replicas: 7 }, /^spec\.replicas: JetStream supports at most 5 replicas/],
      [{ name: "s", subjects: ["a.*"], storage: "disk" }, /^spec\.storage: /],
    ];
    for (const [spec, expected] of cases) {
      const problems = await failures(rawStreamInputs(here, peer, "primary", spec));
      expect(problems, JSON.stringify(spec)).toHaveLength(1);
      expect(problems[0]).toMatch(expected);
    }
  });

  test("every problem is reported at once", async () => {
    const problems = await failures(
      rawStreamInputs(here, peer, "primary", { name: "a b", subjects: ["x y"], maxAge: "nope" }),
    );
    expect(problems.map((problem) => problem.split(":")[0])).toEqual(["spec.name", "spec.subjects.0", "spec.maxAge"]);
  });

  test("a mirror needs its peer, and the peer is another domain", async () => {
    expect(await failures(rawStreamInputs(here, undefined, "mirror", { name: "s", subjects: ["a.*"] }))).toEqual([
      "peerDomain: a mirror needs peerDomain, the JetStream domain of the region it copies from",
    ]);
    expect(await failures(rawStreamInputs(here, here, "mirror", { name: "s", subjects: ["a.*"] }))).toEqual([
      'peerDomain: peerDomain must name the other region, not this stream\'s own domain "us-east-1"',
    ]);
    expect(
      await failures(rawStreamInputs(here, peer, "standby" as never, { name: "s", subjects: ["a.*"] })),
    ).toHaveLength(1);
  });

  test("the re-create opt-in is a boolean", async () => {
    const problems = await failures(
      rawStreamInputs(here, peer, "primary", { name: "s", subjects: ["a.*"] }, { allowRecreateOverMirror: "yes" }),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^allowRecreateOverMirror: /);
  });

  test("a work queue cannot be replicated between regions", async () => {
    expect(
      await failures(
        rawStreamInputs(here, peer, "primary", { name: "jobs", subjects: ["jobs.*"], retention: "workqueue" }),
      ),
    ).toEqual([
      'spec.retention: a workqueue stream cannot be replicated between regions; use retention "limits" or "interest", or give the stream a homeRegion so it is not replicated',
    ]);
    expect(
      await failures(
        rawStreamInputs(here, undefined, "primary", { name: "jobs", subjects: ["jobs.*"], retention: "workqueue" }),
      ),
    ).toEqual([]);
  });

  test("connection and credentials mistakes", async () => {
    const withPassword = rawStreamInputs(
      here,
      peer,
      "primary",
      { name: "s", subjects: ["a.*"] },
      {
        connection: { servers: ["nats://app:app-secret@127.0.0.1:4222"] },
      },
    );
    const problems = await failures(withPassword);
    expect(problems).toEqual([
      "connection.servers.0: a server URL must not carry user:password; put credentials in the credentials input so they stay secret",
    ]);
    expect(problems.join(" ")).not.toContain("app-secret");
    expect(
      await failures(
        rawStreamInputs(
          here,
          peer,
          "primary",
          { name: "s", subjects: ["a.*"] },
          { connection: { servers: ["http://x"] } },
        ),
      ),
    ).toEqual(['connection.servers.0: "http://x" is not a NATS server URL; write it as nats://host:4222']);
    expect(
      await failures(
        rawStreamInputs(
          here,
          peer,
          "primary",
          { name: "s", subjects: ["a.*"] },
          { credentials: { user: "u", password: "p", token: "t" } },
        ),
      ),
    ).toEqual(["credentials: set only one of user/password, token or creds"]);
  });

  test("consumer specs", async () => {
    const consumer = (spec: Record<string, unknown>) => ({
      connection: { servers: here.clientUrls },
      domain: "us-east-1",
      stream: "events",
      spec,
    });
    expect(await failures(consumer({ name: "c.1" }), consumerProvider)).toEqual([
      'spec.name: "c.1" is not a valid consumer name; use 1-255 letters, digits, "-" or "_" (no ".", "*", ">", spaces or slashes)',
    ]);
    expect(await failures(consumer({ name: "c", deliver: "push" }), consumerProvider)).toEqual([
      "spec.deliverSubject: a push consumer needs deliverSubject",
    ]);
    expect(await failures(consumer({ name: "c", ackWait: "30" }), consumerProvider)).toHaveLength(1);
    expect(await failures(consumer({ name: "c", filterSubjects: ["events..x"] }), consumerProvider)).toHaveLength(1);
    expect(await failures(consumer({ name: "c", maxDeliver: 0 }), consumerProvider)).toEqual([
      "spec.maxDeliver: maxDeliver must be positive, or -1 for unlimited",
    ]);
  });
});

describe("bad connections", () => {
  let server: Standalone;
  beforeAll(async () => {
    server = await startStandalone({ domain: "us-east-1" });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("an unreachable server fails with a clear message, no hang", async () => {
    const closedPort = await freePort();
    const raw = rawStreamInputs(
      { domain: "us-east-1", clientUrls: [`nats://127.0.0.1:${closedPort}`] },
      peer,
      "primary",
      { name: "s", subjects: ["a.*"] },
    );
    const inputs = await checked(streamProvider, raw);
    await expect(streamProvider.create(inputs)).rejects.toThrow(
      new RegExp(
        `cannot connect to the NATS servers of domain "us-east-1" \\(nats://127\\.0\\.0\\.1:${closedPort}\\) within 2000 ms.*Check connection\\.servers`,
      ),
    );
  });

  test("a wrong JetStream domain says which domain and what to check", async () => {
    const raw = rawStreamInputs({ domain: "us-west-9", clientUrls: [server.clientUrl] }, peer, "primary", {
      name: "s",
      subjects: ["a.*"],
    });
    const inputs = await checked(streamProvider, raw);
    await expect(streamProvider.create(inputs)).rejects.toThrow(
      /a JetStream API request did not answer .*This stack talks to domain "us-west-9" on nats:\/\/127\.0\.0\.1:\d+: check that the servers run JetStream with domain "us-west-9"/,
    );
  });

  test("wrong credentials give an authentication error without the secret", async () => {
    const raw = rawStreamInputs(
      { domain: "us-east-1", clientUrls: [server.clientUrl] },
      peer,
      "primary",
      { name: "s", subjects: ["a.*"] },
      {
        credentials: { user: "app", password: "wrong-password-123" },
      },
    );
    const inputs = await checked(streamProvider, raw);
    const error = await streamProvider.create(inputs).then(
      () => undefined,
      (caught: Error) => caught,
    );
    expect(error?.message).toMatch(
      /authentication to the NATS servers of domain "us-east-1" .* failed: .*Check the credentials/,
    );
    expect(error?.message).not.toContain("wrong-password-123");
  });
});
