// Runs the whole program (infra/index.ts) under mocks with a complete stack config (NATS on
// Kubernetes, the AWS keys, credentials). Shared by the program tests and bench/preview.ts.
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_REGION_PAIR } from "../../infra/config";
import type { Region, RegionPair } from "../../infra/config";
import { fullRecordingMocks } from "./awsMocks";
import type { FullRegistration } from "./awsMocks";

/** Config keys whose values are secrets. */
export const programSecretKeys = ["nats-dr:appPassword", "nats-dr:leafnodePassword"];

/**
 * The config map Pulumi would hand the program of `stack` with `activeRegion`, in a project of
 * `pair` (set as nats-dr:regionPair unless it is the default, which Pulumi.yaml gives).
 */
export function programConfig(
  stack: Region,
  activeRegion: Region,
  pair: RegionPair = DEFAULT_REGION_PAIR,
): Record<string, string> {
  const [listener] = pair;
  const listens = stack === listener;
  return {
    ...(pair === DEFAULT_REGION_PAIR ? {} : { "nats-dr:regionPair": JSON.stringify(pair) }),
    "aws:region": stack,
    "nats-dr:region": stack,
    "nats-dr:activeRegion": activeRegion,
    "nats-dr:regions": JSON.stringify({ [stack]: { servers: [`nats://nats-lb.${stack}.example.com:4222`] } }),
    "nats-dr:dns": JSON.stringify({ hostedZoneId: "Z0123456789EXAMPLE", hostname: "nats.example.com" }),
    "nats-dr:aws": JSON.stringify({
      oidcProviderArn: `arn:aws:iam::123456789012:oidc-provider/oidc.eks.${stack}.amazonaws.com/id/EXAMPLE0123456789`,
    }),
    // As in the stack files: eu-central-1's default catalog needs 150Gi volumes (capacity check).
    "nats-dr:kubernetes": JSON.stringify(listens ? { peerCidrs: ["10.20.0.0/16"] } : { storageSize: "150Gi" }),
    "nats-dr:leafnode": JSON.stringify(listens ? {} : { listenerHosts: [`nats-lb.${listener}.example.com`] }),
    "nats-dr:tls": JSON.stringify({ secretName: "nats-tls" }),
    "nats-dr:appPassword": "app-pa55word",
    "nats-dr:leafnodePassword": "leaf-pa55word",
  };
}

/** Waits until no registration arrived for a few turns of the event loop. */
export async function settle(registrations: readonly FullRegistration[]): Promise<void> {
  let quiet = 0;
  let seen = -1;
  while (quiet < 5) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    quiet = registrations.length === seen ? quiet + 1 : 0;
    seen = registrations.length;
  }
}

/**
 * Runs the program as `pulumi preview` of `stack` would and returns every registration, keyed by
 * "<type>::<name>". `freshModules` must give a fresh module graph (vitest: vi.resetModules) so the
 * program runs again; `load` imports infra/index.ts.
 */
export async function runProgram(
  stack: Region,
  activeRegion: Region,
  load: () => Promise<unknown>,
  /** Config values to set instead; `undefined` removes the key. */
  overrides: Record<string, string | undefined> = {},
  onRegister?: () => void,
  pair: RegionPair = DEFAULT_REGION_PAIR,
): Promise<Map<string, FullRegistration>> {
  const registrations: FullRegistration[] = [];
  await pulumi.runtime.setMocks(fullRecordingMocks(registrations, onRegister, stack), "nats-dr", stack, true);
  const config = Object.entries({ ...programConfig(stack, activeRegion, pair), ...overrides }).filter(
    (entry): entry is [string, string] => entry[1] !== undefined,
  );
  pulumi.runtime.setAllConfig(Object.fromEntries(config), programSecretKeys);
  await load();
  await settle(registrations);
  const byKey = new Map<string, FullRegistration>();
  for (const registration of registrations) {
    const key = `${registration.type}::${registration.name}`;
    if (byKey.has(key)) throw new Error(`${key} registered twice`);
    byKey.set(key, registration);
  }
  return byKey;
}
