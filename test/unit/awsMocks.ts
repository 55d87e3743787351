// Pulumi mocks for the AWS and Kubernetes side: they record every registration with the provider
// it was sent to, and answer the outputs AWS and Kubernetes would compute (ARNs, a load balancer
// hostname) so the components' derived values are real strings.
import type * as pulumi from "@pulumi/pulumi";

export interface FullRegistration {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  /** "urn::id" of the provider the resource was registered with, when one was given. */
  readonly provider: string | undefined;
}

export const ACCOUNT = "123456789012";

/** Outputs that are not inputs, by resource type. */
function computedState(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  region: string,
): Record<string, unknown> {
  switch (type) {
    case "aws:s3/bucket:Bucket":
      return { arn: `arn:aws:s3:::${String(inputs["bucket"])}` };
    case "aws:iam/role:Role":
      return { arn: `arn:aws:iam::${ACCOUNT}:role/${name}` };
    case "kubernetes:core/v1:Service": {
      const spec = inputs["spec"] as { type?: string } | undefined;
      return spec?.type === "LoadBalancer"
        ? {
            status: {
              loadBalancer: { ingress: [{ hostname: `${name}-0123456789abcdef.elb.${region}.amazonaws.com` }] },
            },
          }
        : {};
    }
    default:
      return {};
  }
}

/** What AWS answers the data sources the program reads (the client NLB and its listener). */
function invokeResult(token: string, inputs: Record<string, unknown>, region: string): Record<string, unknown> {
  const elb = `arn:aws:elasticloadbalancing:${region}:${ACCOUNT}`;
  switch (token) {
    case "aws:lb/getLoadBalancer:getLoadBalancer":
      return { ...inputs, arn: `${elb}:loadbalancer/net/${String(inputs["name"])}/50dc6c495c0c9188` };
    case "aws:lb/getListener:getListener":
      return {
        ...inputs,
        defaultActions: [
          { type: "forward", targetGroupArn: `${elb}:targetgroup/k8s-nats-client-6d0ecf831e/9683b2d02a6cabee` },
        ],
      };
    default:
      return inputs;
  }
}

/** Mocks that record every registration; `region` is the one AWS names in hostnames and ARNs. */
export function fullRecordingMocks(
  registrations: FullRegistration[],
  onRegister?: () => void,
  region = "us-east-1",
): pulumi.runtime.Mocks {
  return {
    newResource: (args) => {
      const inputs = args.inputs as Record<string, unknown>;
      registrations.push({ type: args.type, name: args.name, inputs, provider: args.provider });
      onRegister?.();
      // The id of a named Kubernetes object or S3 bucket is its name, as the real providers report it.
      const id =
        typeof inputs["bucket"] === "string" && args.type === "aws:s3/bucket:Bucket"
          ? inputs["bucket"]
          : `${args.name}-id`;
      return { id, state: { ...inputs, ...computedState(args.type, args.name, inputs, region) } };
    },
    call: (args) => invokeResult(args.token, args.inputs as Record<string, unknown>, region),
  };
}

/** The registration named `name`; throws when there is none, so a test says what is missing. */
export function named(registrations: readonly FullRegistration[], name: string): FullRegistration {
  const found = registrations.find((entry) => entry.name === name);
  if (!found)
    throw new Error(`no resource named "${name}"; registered: ${registrations.map((entry) => entry.name).join(", ")}`);
  return found;
}

/** The JSON text of an input (policies are sent as JSON strings), parsed. */
export function parsedJson(value: unknown): unknown {
  if (typeof value !== "string") throw new Error(`expected JSON text, got ${JSON.stringify(value)}`);
  return JSON.parse(value) as unknown;
}
