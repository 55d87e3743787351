// The AWS side of a region as the whole program declares it (infra/index.ts under mocks): the DNS
// record and health check for both values of activeRegion, and the backup CronJob per region.
import * as aws from "@pulumi/aws";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { Region } from "../../infra/config";
import type { FullRegistration } from "./awsMocks";
import { fullRecordingMocks } from "./awsMocks";
import { runProgram } from "./program";
import { parsed, promiseOf, rawConfig } from "./support";

type Run = Map<string, FullRegistration>;
const runs: Record<string, Run> = {};
const load = () => import("../../infra/index.js");

async function run(stack: Region, active: Region, overrides: Record<string, string | undefined> = {}): Promise<Run> {
  vi.resetModules();
  return runProgram(stack, active, load, overrides);
}

function inputsOf(found: Run, type: string, name: string): Record<string, unknown> {
  const registration = found.get(`${type}::${name}`);
  if (!registration) throw new Error(`no ${type} named ${name}`);
  return registration.inputs;
}

const RECORD = "aws:route53/record:Record";
const HEALTH = "aws:route53/healthCheck:HealthCheck";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const CRONJOB = "kubernetes:batch/v1:CronJob";
const replicated = ["audit", "events", "metrics", "notifications"];

beforeAll(async () => {
  for (const stack of ["us-east-1", "eu-central-1"] as const) {
    for (const active of ["us-east-1", "eu-central-1"] as const) runs[`${stack}/${active}`] = await run(stack, active);
  }
}, 120_000);

describe("region dns", () => {
  for (const stack of ["us-east-1", "eu-central-1"] as const) {
    for (const active of ["us-east-1", "eu-central-1"] as const) {
      it(`${stack} stack, activeRegion ${active}: owns the ${stack} record with weight ${stack === active ? 1 : 0}`, () => {
        const found = runs[`${stack}/${active}`]!;
        expect(inputsOf(found, RECORD, "dns-record")).toEqual({
          zoneId: "Z0123456789EXAMPLE",
          name: "nats.example.com",
          type: "CNAME",
          ttl: 30,
          records: [`nats-load-balancer-0123456789abcdef.elb.${stack}.amazonaws.com`],
          setIdentifier: stack,
          weightedRoutingPolicies: [{ weight: stack === active ? 1 : 0 }],
          healthCheckId: "dns-health-id",
          allowOverwrite: false,
        });
        expect([...found.values()].filter((registration) => registration.type === RECORD)).toHaveLength(1);
      });
    }
  }

  it("by default the health check follows an alarm on the healthy targets of the region's internal NLB", () => {
    for (const stack of ["us-east-1", "eu-central-1"] as const) {
      const found = runs[`${stack}/us-east-1`]!;
      const alarmName = `nats-dr-${stack}-${stack}-no-healthy-nats`;
      expect(inputsOf(found, HEALTH, "dns-health")).toEqual({
        type: "CLOUDWATCH_METRIC",
        cloudwatchAlarmName: alarmName,
        cloudwatchAlarmRegion: stack,
        insufficientDataHealthStatus: "Unhealthy",
        tags: { Name: `nats.example.com ${stack}` },
      });
      expect(inputsOf(found, ALARM, "dns-alarm-alarm")).toEqual({
        name: alarmName,
        alarmDescription: `No healthy NATS server behind the client load balancer of ${stack} (or no data): Route53 stops answering ${stack}.`,
        namespace: "AWS/NetworkELB",
        metricName: "HealthyHostCount",
        statistic: "Minimum",
        period: 60,
        evaluationPeriods: 3,
        threshold: 1,
        comparisonOperator: "LessThanThreshold",
        // A dead region publishes no metrics: missing data counts as no healthy server.
        treatMissingData: "breaching",
        dimensions: {
          LoadBalancer: "net/nats-load-balancer/50dc6c495c0c9188",
          TargetGroup: "targetgroup/k8s-nats-client-6d0ecf831e/9683b2d02a6cabee",
        },
      });
    }
  });

  it("a TCP check connects to the endpoint when the servers run elsewhere", async () => {
    const found = await run("us-east-1", "us-east-1", { "nats-dr:kubernetes": undefined });
    expect(inputsOf(found, HEALTH, "dns-health")).toEqual({
      type: "TCP",
      fqdn: "nats-lb.us-east-1.example.com",
      port: 4222,
      requestInterval: 10,
      failureThreshold: 3,
      tags: { Name: "nats.example.com us-east-1" },
    });
    expect([...found.values()].filter((registration) => registration.type === ALARM)).toEqual([]);
  });

  it("an HTTP check asks /healthz on the monitoring port; a CloudWatch check follows its alarm", async () => {
    // Servers run elsewhere: the stack cannot know their load balancer is internal.
    const http = await run("us-east-1", "us-east-1", {
      "nats-dr:kubernetes": undefined,
      "nats-dr:dns": JSON.stringify({
        hostedZoneId: "Z0123456789EXAMPLE",
        hostname: "nats.example.com",
        healthCheck: { type: "HTTP", intervalSeconds: 30 },
      }),
    });
    expect(inputsOf(http, HEALTH, "dns-health")).toMatchObject({
      type: "HTTP",
      port: 8222,
      resourcePath: "/healthz",
      requestInterval: 30,
    });
    const alarm = await run("us-east-1", "us-east-1", {
      "nats-dr:dns": JSON.stringify({
        hostedZoneId: "Z0123456789EXAMPLE",
        hostname: "nats.example.com",
        healthCheck: { type: "CLOUDWATCH_METRIC", alarmName: "nats-nlb-unhealthy" },
      }),
    });
    expect(inputsOf(alarm, HEALTH, "dns-health")).toEqual({
      type: "CLOUDWATCH_METRIC",
      cloudwatchAlarmName: "nats-nlb-unhealthy",
      cloudwatchAlarmRegion: "us-east-1",
      insufficientDataHealthStatus: "Unhealthy",
      tags: { Name: "nats.example.com us-east-1" },
    });
  });

  it("the record waits for every stream resource of the region", async () => {
    const registrations: FullRegistration[] = [];
    vi.resetModules();
    await pulumi.runtime.setMocks(fullRecordingMocks(registrations), "nats-dr", "dns-deps", true);
    const { RegionStreams } = await import("../../infra/streams/index.js");
    const { regionStreamsArgs } = await import("../../infra/region.js");
    const { RegionDns } = await import("../../infra/dns/index.js");
    const config = parsed(rawConfig("eu-central-1", { activeRegion: "eu-central-1" }));
    const streams = new RegionStreams("jetstream", regionStreamsArgs(config));
    const dependsOn = new Map<string, unknown>();
    const dns = new RegionDns(
      "dns",
      {
        region: "eu-central-1",
        activeRegion: "eu-central-1",
        hostedZoneId: "Z0123456789EXAMPLE",
        hostname: "nats.example.com",
        ttl: 30,
        healthCheck: { ...config.dns!.healthCheck, type: "TCP" },
        endpoint: "nats-lb.example.com",
        streams: Object.values(streams.streams),
        provider: new aws.Provider("aws", { region: "eu-central-1" }),
      },
      { transformations: [(args) => (dependsOn.set(args.name, args.opts.dependsOn), undefined)] },
    );
    await promiseOf(dns.record.urn);
    expect(Object.keys(streams.streams).sort()).toEqual([
      "audit",
      "audit-eu-gdpr",
      "events",
      "events-eu-gdpr",
      "metrics",
      "notifications",
    ]);
    expect(dependsOn.get("dns-record")).toEqual(Object.values(streams.streams));
    expect(dns.weight).toBe(1);
  });
});

describe("backup cronjob", () => {
  const script = (found: Run) =>
    (inputsOf(found, "kubernetes:core/v1:ConfigMap", "backup-script")["data"] as Record<string, string>)["backup.sh"]!;

  it("hourly by default, never two at once, bounded history, pinned images", () => {
    const spec = inputsOf(runs["us-east-1/us-east-1"]!, CRONJOB, "backup-cronjob")[
      "spec"
    ] as k8s.types.output.batch.v1.CronJobSpec;
    expect(spec).toMatchObject({
      schedule: "0 * * * *",
      timeZone: "Etc/UTC",
      concurrencyPolicy: "Forbid",
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 5,
      jobTemplate: { spec: { backoffLimit: 1, activeDeadlineSeconds: 3000 } },
    });
    const pod = spec.jobTemplate.spec.template.spec;
    expect(pod.serviceAccountName).toBe("nats-backup");
    expect(pod.initContainers[0]).toMatchObject({
      image: "natsio/nats-box:0.18.0",
      command: ["cp", "/usr/local/bin/nats", "/tools/nats"],
    });
    expect(pod.containers[0]).toMatchObject({
      image: "amazon/aws-cli:2.27.50",
      command: ["bash", "/scripts/backup.sh"],
    });
  });

  it("credentials from the NATS Secret, the region's bucket as target, servers through the headless Service", () => {
    const spec = inputsOf(runs["eu-central-1/us-east-1"]!, CRONJOB, "backup-cronjob")[
      "spec"
    ] as k8s.types.output.batch.v1.CronJobSpec;
    const env = Object.fromEntries(
      spec.jobTemplate.spec.template.spec.containers[0]!.env.map((item) => [item.name, item.value ?? item.valueFrom]),
    );
    expect(env).toEqual({
      NATS_URL: "nats://nats-headless.nats.svc:4222",
      NATS_DOMAIN: "eu-central-1",
      BACKUP_TARGET: "s3://nats-dr-eu-central-1-backups/jetstream",
      NATS_CLI: "/tools/nats",
      AWS_REGION: "eu-central-1",
      HOME: "/work",
      TMPDIR: "/work",
      NATS_CA: "/etc/nats-ca/ca.crt",
      NATS_USER: "app",
      NATS_PASSWORD: { secretKeyRef: { name: "nats-credentials", key: "app-password" } },
    });
  });

  it("the ServiceAccount carries the IRSA role, whose trust names it", () => {
    const found = runs["us-east-1/us-east-1"]!;
    const account = inputsOf(found, "kubernetes:core/v1:ServiceAccount", "backup-sa");
    expect(account["metadata"]).toMatchObject({
      name: "nats-backup",
      namespace: "nats",
      annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/backup-role" },
    });
    const trust = JSON.parse(inputsOf(found, "aws:iam/role:Role", "backup-role")["assumeRolePolicy"] as string) as {
      Statement: { Condition: { StringEquals: Record<string, string> } }[];
    };
    expect(trust.Statement[0]?.Condition.StringEquals).toEqual({
      "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE0123456789:sub": "system:serviceaccount:nats:nats-backup",
      "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE0123456789:aud": "sts.amazonaws.com",
    });
  });

  it("backs up the replicated streams in both regions and the GDPR streams only in eu-central-1", () => {
    const streamsOf = (text: string) => /^STREAMS=\((.*)\)$/m.exec(text)![1]!.split(" ");
    expect(streamsOf(script(runs["us-east-1/us-east-1"]!))).toEqual(replicated);
    expect(streamsOf(script(runs["eu-central-1/us-east-1"]!))).toEqual([
      "audit",
      "audit-eu-gdpr",
      "events",
      "events-eu-gdpr",
      "metrics",
      "notifications",
    ]);
    // The same script whichever region is active: failing over never touches the CronJob.
    for (const stack of ["us-east-1", "eu-central-1"])
      expect(script(runs[`${stack}/eu-central-1`]!)).toBe(script(runs[`${stack}/us-east-1`]!));
  });

  it("a schedule and limits from config", async () => {
    const found = await run("us-east-1", "us-east-1", {
      "nats-dr:backup": JSON.stringify({
        schedule: "*/30 * * * *",
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 2,
        retentionDays: 14,
        noncurrentDays: 2,
      }),
    });
    expect(inputsOf(found, CRONJOB, "backup-cronjob")["spec"]).toMatchObject({
      schedule: "*/30 * * * *",
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 2,
    });
    expect(
      (
        inputsOf(found, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "backups-lifecycle")[
          "rules"
        ] as unknown[]
      )[0],
    ).toMatchObject({
      expiration: { days: 14 },
      noncurrentVersionExpiration: { noncurrentDays: 2 },
    });
  });

  it("without nats-dr:kubernetes: the bucket and DNS only, the record on the first server's host", async () => {
    const found = await run("us-east-1", "us-east-1", {
      "nats-dr:kubernetes": undefined,
      "nats-dr:leafnode": undefined,
      "nats-dr:aws": undefined,
    });
    const types = [...found.values()].map((registration) => registration.type);
    expect(types).toContain("aws:s3/bucket:Bucket");
    expect(types).not.toContain(CRONJOB);
    expect(types).not.toContain("aws:iam/role:Role");
    expect(inputsOf(found, RECORD, "dns-record")["records"]).toEqual(["nats-lb.us-east-1.example.com"]);
  });
});

describe("optional aws parts", () => {
  const awsTypes = (found: Run) =>
    [...found.values()]
      .map((registration) => registration.type)
      .filter((type) => type.startsWith("aws:") || type === "pulumi:providers:aws");

  it("without nats-dr:dns the stack declares the backups but no Route53 object", async () => {
    const found = await run("us-east-1", "us-east-1", { "nats-dr:dns": undefined });
    const types = awsTypes(found);
    expect(types).toContain("aws:s3/bucket:Bucket");
    expect(types).toContain("pulumi:providers:aws");
    expect(types.filter((type) => type.startsWith("aws:route53/"))).toEqual([]);
    expect(inputsOf(found, CRONJOB, "backup-cronjob")["spec"]).toMatchObject({ schedule: "0 * * * *" });
  });

  it("backup.enabled false declares no bucket, no IAM role and no CronJob, and needs no nats-dr:aws", async () => {
    const found = await run("us-east-1", "us-east-1", {
      "nats-dr:backup": JSON.stringify({ enabled: false }),
      "nats-dr:aws": undefined,
    });
    const types = [...found.values()].map((registration) => registration.type);
    expect(types).not.toContain(CRONJOB);
    expect(types.filter((type) => type.startsWith("aws:s3/") || type.startsWith("aws:iam/"))).toEqual([]);
    expect(types).toContain(RECORD);
  });

  it("with neither DNS nor backups the program registers no AWS provider or resource", async () => {
    const found = await run("eu-central-1", "us-east-1", {
      "nats-dr:dns": undefined,
      "nats-dr:backup": JSON.stringify({ enabled: false }),
      "nats-dr:kubernetes": undefined,
      "nats-dr:leafnode": undefined,
      "nats-dr:aws": undefined,
    });
    expect(awsTypes(found)).toEqual([]);
    const streams = [...found.values()].filter((registration) => registration.type.startsWith("pulumi-nodejs:"));
    expect(streams.length).toBeGreaterThan(0);
  });
});
