// One region's part of the client hostname in Route53: a health check on the region's NATS
// endpoint and the one weighted record this stack owns (set identifier = region).
import type * as aws from "@pulumi/aws";
import { awsPackage } from "../packages";
import * as pulumi from "@pulumi/pulumi";
import type { HealthCheckConfig, HealthCheckType } from "../config/aws";
import type { Region } from "../config/regions";
import { clientRecordSpec, healthCheckSpec } from "./records";
import type { HealthCheckSpec } from "./records";

export interface RegionDnsArgs {
  /** The stack's region; the record's set identifier. */
  readonly region: Region;
  /** The region whose record gets ACTIVE_WEIGHT (1); the other gets STANDBY_WEIGHT (0). */
  readonly activeRegion: Region;
  /** Route53 hosted zone id of the client hostname. */
  readonly hostedZoneId: pulumi.Input<string>;
  /** The client hostname, e.g. "nats.example.com". */
  readonly hostname: string;
  /** TTL of the record, seconds. @default 30 (from config) */
  readonly ttl: number;
  /** How Route53 checks the endpoint, its type resolved (healthCheckTypeOf). */
  readonly healthCheck: HealthCheckConfig & { readonly type: HealthCheckType };
  /**
   * CLOUDWATCH_METRIC: the alarm the check follows when the config names none (the stack's
   * NlbHealthAlarm). @default healthCheck.alarmName
   */
  readonly alarmName?: pulumi.Input<string>;
  /** The region's NATS client endpoint: the LoadBalancer hostname the record points at. */
  readonly endpoint: pulumi.Input<string>;
  /**
   * The region's stream resources. The record waits for them, so a stack points DNS at its region
   * only after its streams were promoted (and never when a promotion failed).
   */
  readonly streams: readonly pulumi.Resource[];
  /** The AWS provider of the stack (Route53 is global; any region's provider works). */
  readonly provider: aws.Provider;
}

export class RegionDns extends pulumi.ComponentResource {
  public readonly healthCheck: aws.route53.HealthCheck;
  public readonly record: aws.route53.Record;
  /** The record's weight: 1 in the active region, 0 in the standby region. */
  public readonly weight: number;

  constructor(name: string, args: RegionDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("natsdr:dns:RegionDns", name, {}, opts);
    const { route53 } = awsPackage();
    const spec = clientRecordSpec(args);
    const children = { parent: this, provider: args.provider };
    this.healthCheck = new route53.HealthCheck(
      `${name}-health`,
      {
        ...healthCheckInputs(healthCheckSpec(args.healthCheck, args.region), args.endpoint),
        ...(args.alarmName === undefined ? {} : { cloudwatchAlarmName: args.alarmName }),
        tags: { Name: `${args.hostname} ${args.region}` },
      },
      children,
    );
    this.record = new route53.Record(
      `${name}-record`,
      {
        zoneId: args.hostedZoneId,
        name: spec.name,
        type: spec.type,
        ttl: spec.ttl,
        records: [args.endpoint],
        setIdentifier: spec.setIdentifier,
        weightedRoutingPolicies: [{ weight: spec.weight }],
        healthCheckId: this.healthCheck.id,
        // Never take over a record someone else created under the same identifier.
        allowOverwrite: false,
      },
      pulumi.mergeOptions(children, { dependsOn: [...args.streams] }),
    );
    this.weight = spec.weight;
    this.registerOutputs({ healthCheckId: this.healthCheck.id, recordFqdn: this.record.fqdn, weight: this.weight });
  }
}

/** The HealthCheck inputs: the spec, plus the endpoint as `fqdn` when the check connects to it. */
function healthCheckInputs(spec: HealthCheckSpec, endpoint: pulumi.Input<string>): aws.route53.HealthCheckArgs {
  const { checksEndpoint, ...inputs } = spec;
  return checksEndpoint ? { ...inputs, fqdn: endpoint } : inputs;
}
