import { describe, expect, it } from "vitest";
import { parsed, problemsOf, rawConfig } from "./support";

describe("catalog work queues", () => {
  it("catalog - a replicated work queue is refused with the key and the ways out", () => {
    const problems = problemsOf(
      rawConfig("us-east-1", { catalog: { streams: { jobs: { subjects: ["jobs.*"], retention: "workqueue" } } } }),
    );
    expect(problems).toEqual([
      'nats-dr:catalog.streams.jobs.retention: stream "jobs" is a work queue and cannot be replicated between regions; use retention "limits" or "interest", or set replication: { homeRegion: <region> } so it lives in one region only',
    ]);
  });

  it("catalog - a work queue that lives in one region is fine", () => {
    const raw = rawConfig("eu-central-1", {
      catalog: {
        streams: {
          jobs: { subjects: ["jobs.*"], retention: "workqueue", replication: { homeRegion: "eu-central-1" } },
        },
      },
    });
    expect(parsed(raw).catalog.streams.find((stream) => stream.spec.name === "jobs")?.spec.retention).toBe("workqueue");
  });
});
