// What one region's stack declares in Route53, as pure values: its health check and its one
// weighted record of the client hostname. docs/dns.md explains why weighted records with weights
// 1 (active) and 0 (standby) and not failover records.
import type { HealthCheckConfig, HealthCheckType } from "../config/aws";
import type { Region } from "../config/regions";
import type { ModelRecord } from "./model";

/** Weight of the active region's record: it answers while healthy. */
export const ACTIVE_WEIGHT = 1;
/** Weight of the standby region's record: it answers only when no active record is healthy. */
export const STANDBY_WEIGHT = 0;

export interface ClientRecordSpec {
  /** The client hostname, e.g. "nats.example.com". */
  readonly name: string;
  /** CNAME: the value is the region's load balancer hostname. */
  readonly type: "CNAME";
  /** The stack's region: each stack owns exactly the record with its own region as identifier. */
  readonly setIdentifier: Region;
  /** ACTIVE_WEIGHT in activeRegion, STANDBY_WEIGHT elsewhere. */
  readonly weight: number;
  /** Seconds. */
  readonly ttl: number;
}

/** The record a region's stack owns. Only `weight` depends on activeRegion. */
export function clientRecordSpec(input: {
  region: Region;
  activeRegion: Region;
  hostname: string;
  ttl: number;
}): ClientRecordSpec {
  return {
    name: input.hostname,
    type: "CNAME",
    setIdentifier: input.region,
    weight: input.region === input.activeRegion ? ACTIVE_WEIGHT : STANDBY_WEIGHT,
    ttl: input.ttl,
  };
}

/** The inputs of the region's aws.route53.HealthCheck (without the endpoint, an Output). */
export type HealthCheckSpec =
  | {
      readonly type: "TCP" | "HTTP";
      /** The endpoint is checked: `fqdn` is the region's client endpoint. */
      readonly checksEndpoint: true;
      readonly port: number;
      /** HTTP only. */
      readonly resourcePath?: string;
      readonly requestInterval: number;
      readonly failureThreshold: number;
    }
  | {
      readonly type: "CLOUDWATCH_METRIC";
      readonly checksEndpoint: false;
      readonly cloudwatchAlarmName: string;
      readonly cloudwatchAlarmRegion: Region;
      /** A region whose alarm has no data (its CloudWatch is down with it) counts as unhealthy. */
      readonly insufficientDataHealthStatus: "Unhealthy";
    };

/** The Route53 health check of `check` (its type resolved, see healthCheckTypeOf). Pure. */
export function healthCheckSpec(check: HealthCheckConfig & { type: HealthCheckType }, region: Region): HealthCheckSpec {
  if (check.type === "CLOUDWATCH_METRIC") {
    return {
      type: check.type,
      checksEndpoint: false,
      cloudwatchAlarmName: check.alarmName ?? "",
      cloudwatchAlarmRegion: region,
      insufficientDataHealthStatus: "Unhealthy",
    };
  }
  return {
    type: check.type,
    checksEndpoint: true,
    port: check.port,
    ...(check.type === "HTTP" ? { resourcePath: check.path } : {}),
    requestInterval: check.intervalSeconds,
    failureThreshold: check.failureThreshold,
  };
}

/** The record as the Route53 model sees it (tests replay stack runs with it). */
export function toModelRecord(spec: ClientRecordSpec, endpoint: string, healthCheckId: string): ModelRecord {
  return {
    name: spec.name,
    type: spec.type,
    setIdentifier: spec.setIdentifier,
    policy: { kind: "weighted", weight: spec.weight },
    healthCheckId,
    values: [endpoint],
  };
}

/** What a region looks like from Route53's side, for checkVerdict. */
export interface CheckedRegion {
  /** Its servers answer (and its NLB has healthy targets). */
  readonly up: boolean;
  /** Route53's checkers, which connect from the internet, reach its client endpoint. */
  readonly reachableFromInternet: boolean;
}

/**
 * Whether Route53 counts `spec` healthy for `region`. An endpoint check (TCP, HTTP) passes only
 * when the checkers reach a live endpoint; a CloudWatch check follows the alarm on the NLB's
 * healthy targets, which is in ALARM when none is healthy or no data arrives. Pure model.
 */
export function checkVerdict(spec: HealthCheckSpec, region: CheckedRegion): boolean {
  return spec.checksEndpoint ? region.up && region.reachableFromInternet : region.up;
}
