// nats-dr:dns, nats-dr:backup and nats-dr:aws: defaults, and bad values stopped with the key path.
import { describe, expect, it } from "vitest";
import { cronProblem, defaultLoadBalancerAnnotations, healthCheckTypeOf } from "../../infra/config";
import { kubernetesRaw } from "./kubernetes-support";
import { parsed, problemsOf, rawConfig, requiredAwsConfig } from "./support";

const dns = requiredAwsConfig.dns;
const kubernetes = { kubernetes: {}, leafnode: { listenerHosts: ["nats-lb.us-east-1.example.com"] } };

describe("aws config", () => {
  it("fills in the documented defaults", () => {
    const config = parsed(rawConfig("eu-central-1"));
    expect(config.dns).toEqual({
      hostedZoneId: "Z0123456789EXAMPLE",
      hostname: "nats.example.com",
      ttl: 30,
      // No type: the stack picks CLOUDWATCH_METRIC when it runs the servers, else TCP (healthCheckTypeOf).
      healthCheck: { port: 4222, path: "/healthz", intervalSeconds: 10, failureThreshold: 3 },
    });
    expect(healthCheckTypeOf(config.dns!.healthCheck.type, true)).toBe("CLOUDWATCH_METRIC");
    expect(healthCheckTypeOf(config.dns!.healthCheck.type, false)).toBe("TCP");
    expect(healthCheckTypeOf("HTTP", true)).toBe("HTTP");
    expect(config.backup).toEqual({
      enabled: true,
      schedule: "0 * * * *",
      retentionDays: 30,
      noncurrentDays: 7,
      prefix: "jetstream",
      encryption: "aws:kms",
      image: "amazon/aws-cli:2.27.50",
      natsImage: "natsio/nats-box:0.18.0",
      serviceAccountName: "nats-backup",
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 5,
      activeDeadlineSeconds: 3000,
    });
    expect(config.aws).toEqual(requiredAwsConfig.aws);
  });

  it("a missing hosted zone (or dns) names the key and the command to set it", () => {
    expect(problemsOf(rawConfig("us-east-1", { dns: { hostname: "nats.example.com" } }))).toEqual([
      'nats-dr:dns.hostedZoneId: is not set; set the Route53 hosted zone of the client hostname, e.g. pulumi config set --path "nats-dr:dns.hostedZoneId" Z0123456789ABCDEFGHIJ',
    ]);
    expect(problemsOf(rawConfig("us-east-1", { dns: { ...dns, hostedZoneId: "example.com" } }))).toEqual([
      expect.stringMatching(/^nats-dr:dns\.hostedZoneId: is not a Route53 hosted zone id/),
    ]);
    expect(problemsOf(rawConfig("us-east-1", { dns: { ...dns, hostname: "NATS" } }))).toEqual([
      expect.stringMatching(/^nats-dr:dns\.hostname: is not a lower-case DNS name/),
    ]);
  });

  it("a bad schedule names the field that is wrong", () => {
    expect(problemsOf(rawConfig("us-east-1", { backup: { schedule: "0 25 * * *" } }))).toEqual([
      'nats-dr:backup.schedule: "0 25 * * *": the hour field "25" is not valid; use 0-23, "*", ranges "a-b", steps "*/n" or lists "a,b"',
    ]);
    expect(problemsOf(rawConfig("us-east-1", { backup: { schedule: "hourly" } }))).toEqual([
      expect.stringMatching(/^nats-dr:backup\.schedule: "hourly" is not a cron schedule; write five fields/),
    ]);
    for (const good of ["0 * * * *", "*/15 1-5 * JAN-MAR mon-fri", "@daily", "0,30 0 1 * 0"])
      expect(cronProblem(good)).toBeUndefined();
    for (const bad of ["* * * *", "60 * * * *", "5-1 * * * *", "*/0 * * * *", "0 0 0 * *"])
      expect(cronProblem(bad)).toBeDefined();
  });

  it("unknown region and an activeRegion outside the two regions, next to the AWS keys", () => {
    expect(problemsOf(rawConfig("us-east-1", { region: "eu-west-1" }))).toEqual([
      'nats-dr:region: "eu-west-1" is not one of the project regions (nats-dr:regionPair in Pulumi.yaml: us-east-1, eu-central-1); set it to "us-east-1" or "eu-central-1"',
    ]);
    expect(problemsOf(rawConfig("us-east-1", { activeRegion: "us-west-2" }))).toEqual([
      'nats-dr:activeRegion: "us-west-2" is not one of the project regions (nats-dr:regionPair in Pulumi.yaml: us-east-1, eu-central-1); set it to "us-east-1" or "eu-central-1"',
    ]);
  });

  it("lifecycle, encryption, images and bucket names", () => {
    expect(problemsOf(rawConfig("us-east-1", { backup: { retentionDays: 7, noncurrentDays: 14 } }))).toEqual([
      "nats-dr:backup.noncurrentDays: (14) is longer than retentionDays (7); noncurrent versions are kept for a shorter time, lower it",
    ]);
    expect(
      problemsOf(
        rawConfig("us-east-1", {
          backup: { encryption: "AES256", kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/abc" },
        }),
      ),
    ).toEqual([
      'nats-dr:backup.kmsKeyArn: is only used with encryption "aws:kms"; remove it or set encryption to "aws:kms"',
    ]);
    expect(problemsOf(rawConfig("us-east-1", { backup: { encryption: "none" } }))).toEqual([
      'nats-dr:backup.encryption: must be "aws:kms" or "AES256"',
    ]);
    expect(problemsOf(rawConfig("us-east-1", { backup: { image: "amazon/aws-cli:latest" } }))).toEqual([
      expect.stringMatching(/^nats-dr:backup\.image: "amazon\/aws-cli:latest" is not pinned/),
    ]);
    expect(problemsOf(rawConfig("us-east-1", { backup: { bucketName: "My_Backups" } }))).toEqual([
      expect.stringMatching(/^nats-dr:backup\.bucketName: "My_Backups" is not a bucket name/),
    ]);
    expect(problemsOf(rawConfig("us-east-1", { backup: { retention: 3 } }))).toEqual([
      expect.stringMatching(/^nats-dr:backup: unknown field "retention"/),
    ]);
  });

  it("the OIDC provider is required with Kubernetes and must match its URL", () => {
    expect(problemsOf(rawConfig("eu-central-1", { ...kubernetes, aws: undefined }))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^nats-dr:aws: is not set but nats-dr:kubernetes is; the backup CronJob's IAM role trusts/,
        ),
      ]),
    );
    expect(
      problemsOf(rawConfig("us-east-1", { aws: { oidcProviderArn: "oidc.eks.us-east-1.amazonaws.com/id/X" } })),
    ).toEqual([expect.stringMatching(/^nats-dr:aws\.oidcProviderArn: is not an IAM OIDC provider ARN/)]);
    expect(
      problemsOf(
        rawConfig("us-east-1", {
          aws: { ...requiredAwsConfig.aws, oidcProviderUrl: "https://oidc.eks.us-east-1.amazonaws.com/id/OTHER" },
        }),
      ),
    ).toEqual([
      expect.stringMatching(
        /^nats-dr:aws\.oidcProviderUrl: names issuer "oidc\.eks\.us-east-1\.amazonaws\.com\/id\/OTHER" but oidcProviderArn names/,
      ),
    ]);
    expect(
      parsed(
        rawConfig("us-east-1", {
          aws: {
            ...requiredAwsConfig.aws,
            oidcProviderUrl: "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE0123456789",
          },
        }),
      ).aws,
    ).toBeDefined();
  });

  it("a TCP or HTTP check of the stack's internal load balancer is refused: Route53's checkers cannot reach it", () => {
    for (const type of ["TCP", "HTTP"]) {
      expect(problemsOf(kubernetesRaw("us-east-1", { dns: { ...dns, healthCheck: { type } } }))).toEqual([
        `nats-dr:dns.healthCheck.type: is "${type}" but the client load balancer is internal (nats-dr:kubernetes.loadBalancerAnnotations: service.beta.kubernetes.io/aws-load-balancer-scheme is not "internet-facing"); Route53's health checkers connect from the internet and cannot reach it, so both regions' checks would fail and Route53 would answer as if both were healthy: clients would never move to the standby. Remove healthCheck.type (the stack then creates a CloudWatch alarm on the load balancer's healthy targets and the check follows it) or make the load balancer internet-facing`,
      ]);
    }
    const internetFacing = kubernetesRaw("us-east-1", {
      dns: { ...dns, healthCheck: { type: "TCP" } },
      kubernetes: {
        peerCidrs: ["10.20.0.0/16"],
        loadBalancerAnnotations: {
          ...defaultLoadBalancerAnnotations,
          "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
        },
      },
    });
    expect(parsed(internetFacing).dns!.healthCheck.type).toBe("TCP");
    // With its own servers the stack makes the alarm itself.
    expect(
      parsed(kubernetesRaw("us-east-1", { dns: { ...dns, healthCheck: { type: "CLOUDWATCH_METRIC" } } })).dns!
        .healthCheck.alarmName,
    ).toBeUndefined();
  });

  it("a CloudWatch health check needs its alarm; HTTP checks default to the monitoring port", () => {
    expect(problemsOf(rawConfig("us-east-1", { dns: { ...dns, healthCheck: { type: "CLOUDWATCH_METRIC" } } }))).toEqual(
      [
        expect.stringMatching(
          /^nats-dr:dns\.healthCheck\.alarmName: is not set but type is "CLOUDWATCH_METRIC" and this stack runs no load balancer of its own/,
        ),
      ],
    );
    expect(problemsOf(rawConfig("us-east-1", { dns: { ...dns, healthCheck: { intervalSeconds: 20 } } }))).toEqual([
      "nats-dr:dns.healthCheck.intervalSeconds: must be 10 or 30 (the intervals Route53 offers)",
    ]);
    expect(
      parsed(rawConfig("us-east-1", { dns: { ...dns, healthCheck: { type: "HTTP" } } })).dns!.healthCheck.port,
    ).toBe(8222);
  });
});

describe("optional aws config", () => {
  it("dns may be left out; an empty one still names what is missing", () => {
    expect(parsed(rawConfig("us-east-1", { dns: undefined })).dns).toBeUndefined();
    expect(problemsOf(rawConfig("us-east-1", { dns: {} }))).toEqual([
      expect.stringMatching(/^nats-dr:dns\.hostedZoneId: is not set; set the Route53 hosted zone/),
      expect.stringMatching(/^nats-dr:dns\.hostname: is not set; set the name clients connect to/),
    ]);
  });

  it("backup.enabled is a boolean, true by default; off, Kubernetes needs no nats-dr:aws", () => {
    expect(parsed(rawConfig("us-east-1")).backup.enabled).toBe(true);
    expect(problemsOf(rawConfig("us-east-1", { backup: { enabled: "no" } }))).toEqual([
      "nats-dr:backup.enabled: must be true or false",
    ]);
    const awsProblems = (overrides: Record<string, unknown>) =>
      problemsOf(rawConfig("eu-central-1", { ...kubernetes, aws: undefined, ...overrides })).filter((problem) =>
        problem.startsWith("nats-dr:aws"),
      );
    expect(awsProblems({})).toEqual([
      expect.stringMatching(/^nats-dr:aws: is not set but nats-dr:kubernetes is; the backup CronJob's IAM role/),
    ]);
    expect(awsProblems({ backup: { enabled: false } })).toEqual([]);
  });
});
