// Fixtures for the tests of the NATS-on-Kubernetes part: a valid config with `nats-dr:kubernetes`
// set, and the deployment it yields.
import * as pulumi from "@pulumi/pulumi";
import type { DefaultRegion, StackConfig } from "../../infra/config";
import { natsDeployment } from "../../infra/kubernetes";
import type { NatsDeployment } from "../../infra/kubernetes";
import { parsed, rawConfig } from "./support";

/** Passwords chosen to break naive quoting: a number, quotes, spaces, URL delimiters. */
export const passwords = { app: 'app "pa55" word', leafnode: "leaf:p@ss/w#rd", system: "12345" } as const;

/** A raw config of `region` that runs NATS on Kubernetes, with `overrides` laid over it. */
export function kubernetesRaw(region: DefaultRegion, overrides: Record<string, unknown> = {}) {
  return rawConfig(region, {
    kubernetes: {
      // As in the stack files: eu-central-1 holds the mirrors and the EU-only streams (capacity.ts).
      ...(region === "eu-central-1" ? { storageSize: "150Gi" } : {}),
      peerCidrs: ["10.20.0.0/16"],
      allowedClientNamespaces: ["apps"],
      allowedClientCidrs: ["10.30.0.0/16"],
    },
    leafnode: { listenerHosts: ["nats-leaf.us-east-1.example.com"] },
    // As production needs it: the leafnode and the routes run TLS (nats-dr:insecureLabWithoutLinkTls).
    tls: { secretName: "nats-tls" },
    appPassword: pulumi.secret(passwords.app),
    leafnodePassword: pulumi.secret(passwords.leafnode),
    systemPassword: pulumi.secret(passwords.system),
    ...overrides,
  });
}

export function kubernetesConfig(region: DefaultRegion, overrides: Record<string, unknown> = {}): StackConfig {
  return parsed(kubernetesRaw(region, overrides));
}

/** The deployment of `region` for the fixture config. */
export function deploymentOf(region: DefaultRegion, overrides: Record<string, unknown> = {}): NatsDeployment {
  const config = kubernetesConfig(region, overrides);
  return natsDeployment(config, config.kubernetes!);
}
