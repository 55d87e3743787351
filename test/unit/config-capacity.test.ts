// The capacity check: the catalog's streams reserve their maxBytes on the servers of each region
// (JetStream refuses a stream that does not fit, error 10047), checked before anything is registered.
import { describe, expect, it } from "vitest";
import { placedStreams, readableBytes } from "../../infra/config/capacity";
import { kubernetesRaw } from "./kubernetes-support";
import { parsed, problemsOf } from "./support";

const GI = 1024 ** 3;
const kubernetes = (settings: Record<string, unknown>) => ({
  kubernetes: { peerCidrs: ["10.20.0.0/16"], ...settings },
});

describe("config capacity", () => {
  it("the default catalog does not fit eu-central-1's default 100Gi volumes, and the error names the streams and the fix", () => {
    const problems = problemsOf(kubernetesRaw("eu-central-1", kubernetes({})));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toBe(
      "nats-dr:kubernetes.storageSize: is too small for the catalog in eu-central-1: jetstream.maxFile is 90Gi (90% of storageSize) per server, but the streams placed on each of its 3 servers reserve 115.1Gi (audit 50Gi, audit-eu-gdpr 20Gi, metrics 20Gi, events 10Gi, events-eu-gdpr 10Gi, notifications 5Gi, natsdr-checkpoints 64Mi, natsdr-acks 64Mi; maxBytes times the share of replicas) and jetstream.orphanHeadroom keeps 4.5Gi free for orphan copies. JetStream reserves a stream's maxBytes when it creates it, so the last streams would fail to create. Raise nats-dr:kubernetes.storageSize to at least 133Gi, lower maxBytes of streams under nats-dr:catalog.streams, or lower jetstream.orphanHeadroom",
    );
  });

  it("us-east-1 (no EU-only streams) fits 100Gi, eu-central-1 fits 150Gi", () => {
    expect(parsed(kubernetesRaw("us-east-1", kubernetes({}))).kubernetes?.storageSize).toBe("100Gi");
    expect(parsed(kubernetesRaw("eu-central-1", kubernetes({ storageSize: "150Gi" }))).kubernetes?.storageSize).toBe(
      "150Gi",
    );
  });

  it("an explicit maxFile is the key named, and orphanHeadroom alone can tip the balance", () => {
    const tight = kubernetes({ storageSize: "150Gi", jetstream: { maxFile: "100Gi", orphanHeadroom: "20Gi" } });
    const [problem] = problemsOf(kubernetesRaw("us-east-1", tight));
    expect(problem).toMatch(
      /^nats-dr:kubernetes\.jetstream\.maxFile: is too small for the catalog in us-east-1: jetstream\.maxFile is 100Gi per server, but .* reserve 85\.1Gi .* keeps 20Gi free .*Raise nats-dr:kubernetes\.jetstream\.maxFile to at least 106Gi/,
    );
    // 85Gi of catalog streams and 128Mi of support streams beside 14Gi fit; beside 15Gi they do not.
    const roomy = kubernetes({ storageSize: "150Gi", jetstream: { maxFile: "100Gi", orphanHeadroom: "14Gi" } });
    expect(parsed(kubernetesRaw("us-east-1", roomy)).region).toBe("us-east-1");
  });

  it("a bad orphanHeadroom is named by its key", () => {
    const problems = problemsOf(kubernetesRaw("us-east-1", kubernetes({ jetstream: { orphanHeadroom: "lots" } })));
    expect(problems[0]).toMatch(/^nats-dr:kubernetes\.jetstream\.orphanHeadroom: "lots" is not a Kubernetes quantity/);
  });

  it("a stream reserves maxBytes times its share of the replicas, only in the regions it lives in, nothing without maxBytes", () => {
    const spec = (name: string, replicas: number, maxBytes: string) => ({ name, replicas, maxBytes });
    const streams = [
      { spec: spec("one-replica", 1, "30Gi"), replication: { kind: "cross-region" } },
      { spec: spec("three-replicas", 3, "10Gi"), replication: { kind: "cross-region" } },
      { spec: spec("five-on-three", 5, "9Gi"), replication: { kind: "cross-region" } },
      { spec: spec("eu-only", 3, "7Gi"), replication: { kind: "home", homeRegion: "eu-central-1" } },
      { spec: spec("unbounded", 3, "unlimited"), replication: { kind: "cross-region" } },
    ];
    expect(placedStreams(streams, "us-east-1", 3)).toEqual([
      { stream: "one-replica", bytesPerServer: 10 * GI },
      { stream: "three-replicas", bytesPerServer: 10 * GI },
      { stream: "five-on-three", bytesPerServer: 9 * GI },
    ]);
    expect(placedStreams(streams, "eu-central-1", 1).map((entry) => entry.stream)).toContain("eu-only");
    expect(readableBytes(4.5 * GI)).toBe("4.5Gi");
    expect(readableBytes(512 * 1024 ** 2)).toBe("512Mi");
  });

  it("a stream with more replicas than the region's servers is refused before anything runs, naming the key", () => {
    const problems = problemsOf(
      kubernetesRaw("us-east-1", {
        ...kubernetes({ replicas: 1 }),
        catalog: { streams: { orders: { subjects: ["orders.*"], replicas: 3, maxBytes: "1Gi" } } },
      }),
    );
    expect(problems).toContain(
      "nats-dr:catalog.streams.orders.replicas: is 3 but us-east-1 runs 1 NATS server (nats-dr:kubernetes.replicas); a stream cannot have more replicas than servers, and nats-server would refuse it in the middle of pulumi up. Lower replicas to 1 or fewer, or raise nats-dr:kubernetes.replicas",
    );
    // The default catalog's replicated streams have 3 replicas; the EU-only ones do not live in us-east-1.
    const defaults = problemsOf(kubernetesRaw("us-east-1", kubernetes({ replicas: 1 })));
    for (const problem of defaults) expect(problem).toMatch(/\.replicas: is 3 but us-east-1 runs 1 NATS server /);
    expect(defaults.map((problem) => problem.split(": ")[0]).sort()).toEqual([
      "nats-dr:catalog.streams.audit.replicas",
      "nats-dr:catalog.streams.events.replicas",
      "nats-dr:catalog.streams.metrics.replicas",
      "nats-dr:catalog.streams.notifications.replicas",
    ]);
    expect(parsed(kubernetesRaw("us-east-1", kubernetes({ replicas: 5 }))).kubernetes?.replicas).toBe(5);
  });

  it("the checkpoint and acknowledgement streams (64Mi each) are counted where the stack declares them", () => {
    // 2 x 1Gi with one replica on each of 3 servers, and the 3-replica support streams: 2 x 64Mi.
    const catalog = (consumers: Record<string, unknown>) => ({
      mode: "replace",
      streams: {
        orders: { subjects: ["orders.*"], replicas: 1, maxBytes: "1Gi" },
        payments: { subjects: ["payments.*"], replicas: 3, maxBytes: "1Gi" },
      },
      consumers,
    });
    const worker = { worker: { stream: "orders" } };
    // maxFile 1400Mi, 1Mi of headroom: the catalog's streams (1365Mi per server) fit, not with the support streams (1493Mi).
    const store = kubernetes({ jetstream: { maxFile: "1400Mi", orphanHeadroom: "1Mi" } });
    const [problem] = problemsOf(kubernetesRaw("us-east-1", { ...store, catalog: catalog(worker) }));
    expect(problem).toMatch(
      /^nats-dr:kubernetes\.jetstream\.maxFile: is too small for the catalog in us-east-1: jetstream\.maxFile is 1\.4Gi per server, but the streams placed on each of its 3 servers reserve 1\.5Gi \(payments 1Gi, orders 341\.3Mi, natsdr-checkpoints 64Mi, natsdr-acks 64Mi;/,
    );
    // Without a consumer on a replicated stream, or with checkpoints off, the stack declares neither.
    expect(parsed(kubernetesRaw("us-east-1", { ...store, catalog: catalog({}) })).region).toBe("us-east-1");
    expect(
      parsed(kubernetesRaw("us-east-1", { ...store, catalog: catalog(worker), checkpoints: { enabled: false } }))
        .region,
    ).toBe("us-east-1");
  });

  it("stacks that run no servers are not checked (their servers' limits are not known here)", () => {
    expect(parsed({ ...kubernetesRaw("eu-central-1"), kubernetes: undefined }).kubernetes).toBeUndefined();
  });
});
