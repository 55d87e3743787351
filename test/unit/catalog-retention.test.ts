import { describe, expect, it } from "vitest";
import { parsed, problemsOf, rawConfig } from "./support";

describe("catalog retention across regions", () => {
  it("a replicated work queue is refused with the key and the ways out", () => {
    const problems = problemsOf(
      rawConfig("us-east-1", { catalog: { streams: { jobs: { subjects: ["jobs.*"], retention: "workqueue" } } } }),
    );
    expect(problems).toEqual([
      'nats-dr:catalog.streams.jobs.retention: stream "jobs" is a work queue and cannot be replicated between regions; use retention "limits" or "interest", or set replication: { homeRegion: <region> } so it lives in one region only',
    ]);
  });

  it("a work queue that lives in one region is fine", () => {
    const raw = rawConfig("eu-central-1", {
      catalog: {
        streams: {
          jobs: { subjects: ["jobs.*"], retention: "workqueue", replication: { homeRegion: "eu-central-1" } },
        },
      },
    });
    expect(parsed(raw).catalog.streams.find((stream) => stream.spec.name === "jobs")?.spec.retention).toBe("workqueue");
  });

  it("a replicated interest stream without a catalog consumer is refused with the key and the ways out", () => {
    const problems = problemsOf(
      rawConfig("us-east-1", {
        catalog: { streams: { payments: { subjects: ["payments.*"], retention: "interest" } } },
      }),
    );
    expect(problems).toEqual([
      'nats-dr:catalog.streams.payments.retention: stream "payments" has interest retention and is replicated between regions, but no catalog consumer reads it: consumers that applications create at runtime do not exist in the other region, so after a failover the stream would drop every message (issue 13). Declare its durable consumers under consumers (stream: "payments"), use retention "limits", or set replication: { homeRegion: <region> }',
    ]);
  });

  it("a replicated interest stream with its consumer, or one in a home region, is fine", () => {
    const config = parsed(
      rawConfig("us-east-1", {
        catalog: {
          streams: {
            payments: { subjects: ["payments.*"], retention: "interest" },
            "eu-payments": {
              subjects: ["eu.payments.*"],
              retention: "interest",
              replication: { homeRegion: "eu-central-1" },
            },
          },
          consumers: { settle: { stream: "payments" } },
        },
      }),
    );
    const retention = (name: string) =>
      config.catalog.streams.find((stream) => stream.spec.name === name)?.spec.retention;
    expect([retention("payments"), retention("eu-payments")]).toEqual(["interest", "interest"]);
  });
});
