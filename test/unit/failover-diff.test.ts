// The whole program (infra/index.ts) under mocks, for both stacks and both values of activeRegion:
// flipping activeRegion must change exactly the failover inputs (the replicated streams' `role`,
// the region's DNS record weight, and in the PrometheusRule the recorded activeRegion and declared
// roles the alerts compare with the servers) and nothing else: same resources, same names, same
// providers, every other input equal, so nothing else can be updated or replaced.
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { FullRegistration } from "./awsMocks";
import { DEFAULT_REGION_PAIR, type RegionPair } from "../../infra/config";
import { runProgram } from "./program";

/** Paths ("a.b[0].c") at which two values differ. */
function differences(before: unknown, after: unknown, path = ""): string[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;
  if (!isObject(before) || !isObject(after) || Array.isArray(before) !== Array.isArray(after)) return [path];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.flatMap((key) =>
    differences(before[key], after[key], Array.isArray(before) ? `${path}[${key}]` : path ? `${path}.${key}` : key),
  );
}

/** The default pair, and a second one that only configuration names (issue 12). */
const pairs: readonly RegionPair[] = [DEFAULT_REGION_PAIR, ["us-west-2", "eu-west-1"]];

const runs: Record<string, Map<string, FullRegistration>> = {};
const runKey = (stack: string, active: string) => `${stack}/${active}`;

beforeAll(async () => {
  for (const pair of pairs) {
    for (const stack of pair) {
      for (const active of pair) {
        vi.resetModules();
        runs[runKey(stack, active)] = await runProgram(
          stack,
          active,
          () => import("../../infra/index.js"),
          {},
          undefined,
          pair,
        );
      }
    }
  }
}, 240_000);

describe.each(pairs)("failover diff in %s / %s", (first, second) => {
  for (const stack of [first, second]) {
    it(`${stack}: flipping activeRegion changes only stream roles, the DNS weight, the declared roles of the rules and where acknowledgements are captured`, () => {
      const before = runs[runKey(stack, first)]!;
      const after = runs[runKey(stack, second)]!;
      expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
      const changed: string[] = [];
      for (const [key, registration] of before) {
        const other = after.get(key)!;
        expect(other.provider, `${key}: provider`).toBe(registration.provider);
        for (const path of differences(registration.inputs, other.inputs))
          changed.push(`${registration.name}: ${path}`);
      }
      const streams = ["audit", "events", "metrics", "notifications"];
      const recorded = (
        before.get("kubernetes:monitoring.coreos.com/v1:PrometheusRule::monitoring-prometheus-rule")!.inputs[
          "spec"
        ] as { groups: { rules: { record?: string; labels?: Record<string, string> }[] }[] }
      ).groups[0]!.rules;
      const declaredRole = (name: string) =>
        recorded.findIndex(
          (rule) => rule.record === "natsdr:stream_declared_role:info" && rule.labels?.["stream_name"] === name,
        );
      expect(changed.sort()).toEqual(
        [
          "dns-record: weightedRoutingPolicies[0].weight",
          // The standby captures one filter per consumer of a replicated stream (3), the active region none.
          ...[0, 1, 2].map((index) => `jetstream-acks: spec.subjects[${index}]`),
          ...streams.map((name) => `jetstream-stream-${name}: role`),
          "monitoring-prometheus-rule: spec.groups[0].rules[0].labels.active_region",
          ...streams.map(
            (name) => `monitoring-prometheus-rule: spec.groups[0].rules[${declaredRole(name)}].labels.role`,
          ),
        ].sort(),
      );
      const weight = (run: Map<string, FullRegistration>) =>
        (
          run.get("aws:route53/record:Record::dns-record")!.inputs["weightedRoutingPolicies"] as { weight: number }[]
        )[0]!.weight;
      expect([weight(before), weight(after)]).toEqual(stack === first ? [1, 0] : [0, 1]);
      const role = (run: Map<string, FullRegistration>) =>
        run.get("pulumi-nodejs:dynamic/natsdr:JetStreamStream::jetstream-stream-events")!.inputs["role"];
      expect([role(before), role(after)]).toEqual(stack === first ? ["primary", "mirror"] : ["mirror", "primary"]);
    });
  }

  it("the runs declare the whole region: NATS, streams, bucket, IAM role, CronJob, DNS", () => {
    for (const stack of [first, second]) {
      const types = new Set([...runs[runKey(stack, first)]!.values()].map((registration) => registration.type));
      for (const type of [
        "natsdr:kubernetes:NatsCluster",
        "kubernetes:apps/v1:StatefulSet",
        "pulumi-nodejs:dynamic/natsdr:JetStreamStream",
        "aws:s3/bucket:Bucket",
        "aws:iam/role:Role",
        "kubernetes:batch/v1:CronJob",
        "aws:route53/healthCheck:HealthCheck",
        "aws:route53/record:Record",
      ]) {
        expect(types.has(type), `${stack} declares ${type}`).toBe(true);
      }
    }
  });

  it("every name that carries a region carries one of this pair, and the EU-only streams live in its EU region", () => {
    const other = pairs.find((candidate) => candidate[0] !== first)!;
    for (const stack of [first, second]) {
      const run = runs[runKey(stack, first)]!;
      // The dynamic providers' serialized code (__provider) carries example texts, not names.
      const text = JSON.stringify(
        [...run.values()].map((registration) => [registration.name, registration.inputs]),
        (key, value: unknown) => (key === "__provider" ? undefined : value),
      );
      for (const foreign of other) {
        const at = text.indexOf(foreign);
        expect(at < 0 ? "" : text.slice(Math.max(0, at - 120), at + 40), `${stack} mentions ${foreign}`).toBe("");
      }
      const gdpr = run.has("pulumi-nodejs:dynamic/natsdr:JetStreamStream::jetstream-stream-events-eu-gdpr");
      expect(gdpr, `${stack} declares events-eu-gdpr`).toBe(stack.startsWith("eu-"));
      const dns = run.get("aws:route53/record:Record::dns-record")!.inputs;
      expect(dns["setIdentifier"]).toBe(stack);
      const bucket = [...run.values()].find((registration) => registration.type === "aws:s3/bucket:Bucket")!;
      expect(JSON.stringify(bucket.inputs)).toContain(stack);
    }
  });

  it("every AWS and Kubernetes resource names an explicit provider", () => {
    for (const stack of [first, second]) {
      for (const active of [first, second]) {
        for (const registration of runs[runKey(stack, active)]!.values()) {
          if (/^(aws|kubernetes):/.test(registration.type)) {
            expect(
              registration.provider ?? "none",
              `${registration.name} (${registration.type}): ${registration.provider}`,
            ).toMatch(/::pulumi:providers:(aws|kubernetes)::(?!default)[^:]+::/);
          }
        }
      }
    }
  });
});
