// The CloudWatch alarm the region's Route53 health check follows by default. The client load
// balancer is internal (an NLB the AWS Load Balancer Controller makes for the LoadBalancer
// Service), so Route53's checkers, which connect from the internet, cannot check it themselves.
// The alarm watches the NLB's HealthyHostCount of the client port's target group: in ALARM when
// no server passes the NLB's health check, and when the metric is missing (a dead region
// publishes none), so a dead region's record stops being answered with nobody running anything.
import type * as aws from "@pulumi/aws";
import { awsPackage } from "../packages";
import * as pulumi from "@pulumi/pulumi";
import type { Region } from "../config/regions";

/**
 * The NLB's name in its DNS name: "<name>-<hex id>.elb.<region>.amazonaws.com", or undefined when
 * `hostname` is not an AWS load balancer's. Pure.
 */
export function nlbNameOfHostname(hostname: string): string | undefined {
  return /^([a-z0-9][a-z0-9-]*)-[0-9a-f]+\.elb\.[a-z0-9-]+\.amazonaws\.com$/i.exec(hostname)?.[1];
}

/** "arn:...:loadbalancer/net/n/id" -> "net/n/id"; "arn:...:targetgroup/n/id" -> "targetgroup/n/id". Pure. */
export function arnSuffix(arn: string): string {
  return arn.replace(/^arn:[^:]*:elasticloadbalancing:[^:]*:[^:]*:(loadbalancer\/)?/, "");
}

/** The alarm's inputs without its dimensions (they come from the load balancer). Pure. */
export function nlbAlarmSpec(input: { readonly name: string; readonly region: Region; readonly minutes: number }) {
  return {
    name: input.name,
    alarmDescription: `No healthy NATS server behind the client load balancer of ${input.region} (or no data): Route53 stops answering ${input.region}.`,
    namespace: "AWS/NetworkELB",
    metricName: "HealthyHostCount",
    statistic: "Minimum",
    period: 60,
    evaluationPeriods: input.minutes,
    threshold: 1,
    comparisonOperator: "LessThanThreshold",
    treatMissingData: "breaching",
  } as const;
}

export interface NlbHealthAlarmArgs {
  readonly region: Region;
  /** The client load balancer's DNS name (the NatsCluster's clientEndpoint). */
  readonly endpoint: pulumi.Input<string>;
  /** The NATS client port: its listener's target group is the one watched. @default 4222 */
  readonly clientPort?: number;
  /** Alarm name, unique in the account and region. */
  readonly alarmName: string;
  /** Minutes without a healthy target before the alarm fires. @default 3 */
  readonly minutes?: number;
  readonly provider: aws.Provider;
}

export class NlbHealthAlarm extends pulumi.ComponentResource {
  public readonly alarm: aws.cloudwatch.MetricAlarm;
  public readonly alarmName: pulumi.Output<string>;

  constructor(name: string, args: NlbHealthAlarmArgs, opts?: pulumi.ComponentResourceOptions) {
    super("natsdr:dns:NlbHealthAlarm", name, {}, opts);
    const { cloudwatch, lb } = awsPackage();
    const invoke = { provider: args.provider, parent: this };
    const loadBalancer = pulumi.output(args.endpoint).apply((hostname) => {
      const nlb = nlbNameOfHostname(hostname);
      if (nlb === undefined) {
        throw new Error(
          `the client endpoint "${hostname}" is not an AWS load balancer's DNS name, so no alarm on its healthy targets can be made; set nats-dr:dns.healthCheck.alarmName to an alarm of yours, or type "TCP" for an endpoint Route53 reaches from the internet`,
        );
      }
      return lb.getLoadBalancerOutput({ name: nlb }, invoke);
    });
    const listener = lb.getListenerOutput({ loadBalancerArn: loadBalancer.arn, port: args.clientPort ?? 4222 }, invoke);
    const targetGroupArn = listener.defaultActions.apply((actions) => actions[0]?.targetGroupArn ?? "");
    this.alarm = new cloudwatch.MetricAlarm(
      `${name}-alarm`,
      {
        ...nlbAlarmSpec({ name: args.alarmName, region: args.region, minutes: args.minutes ?? 3 }),
        dimensions: { LoadBalancer: loadBalancer.arn.apply(arnSuffix), TargetGroup: targetGroupArn.apply(arnSuffix) },
      },
      { parent: this, provider: args.provider },
    );
    this.alarmName = this.alarm.name;
    this.registerOutputs({ alarmName: this.alarmName });
  }
}
