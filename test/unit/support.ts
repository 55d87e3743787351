// Shared helpers for the unit tests: raw config builders and a recording Pulumi mock.
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "../../infra/config";
import type { RawStackConfig, StackConfig } from "../../infra/config";

export const servers = {
  "us-east-1": ["nats://nats.us-east-1.internal:4222"],
  "eu-central-1": ["nats://nats.eu-central-1.internal:4222"],
};

/** The AWS keys every stack must set (`nats-dr:aws`, `nats-dr:dns`), as in the stack files. */
export const requiredAwsConfig = {
  aws: {
    oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE0123456789",
  },
  dns: { hostedZoneId: "Z0123456789EXAMPLE", hostname: "nats.example.com" },
};

/** A valid raw config for `region`, with `overrides` laid over it. */
export function rawConfig(
  region: "us-east-1" | "eu-central-1",
  overrides: Record<string, unknown> = {},
): RawStackConfig {
  return {
    region,
    activeRegion: "us-east-1",
    regions: { [region]: { servers: servers[region] } },
    ...requiredAwsConfig,
    ...overrides,
  };
}

export function parsed(raw: unknown): StackConfig {
  const result = parseStackConfig(raw);
  if ("problems" in result) throw new Error(`unexpected problems:\n${result.problems.join("\n")}`);
  return result.config;
}

export function problemsOf(raw: unknown): string[] {
  const result = parseStackConfig(raw);
  if ("config" in result) throw new Error("expected configuration problems, got a valid config");
  return result.problems;
}

export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}

/** Mocks that echo inputs as state and record every registration, in order. */
export function recordingMocks(registrations: Registration[]): pulumi.runtime.Mocks {
  return {
    newResource: (args) => {
      registrations.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
      return { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
    },
    call: (args) => args.inputs as Record<string, unknown>,
  };
}

/** The inputs without the serialized dynamic provider, which says nothing about our intent. */
export function withoutProvider(inputs: Record<string, unknown>): Record<string, unknown> {
  const { __provider: _provider, ...rest } = inputs;
  return rest;
}

const isSecretValue = (value: unknown): value is { value: unknown } =>
  typeof value === "object" &&
  value !== null &&
  (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;

/** True when the recorded input value arrived at the engine marked secret. */
export function isSecretInput(value: unknown): boolean {
  return isSecretValue(value);
}

/** The recorded value with every secret subtree replaced by "[secret]": what is stored in plain text. */
export function plainText(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => (isSecretValue(inner) ? "[secret]" : inner));
}
