// Security checks of the servers a stack runs on Kubernetes (nats-dr:kubernetes): the links
// between servers run TLS, and the provider has one password, the servers' own. They read the
// (possibly partly raw) config value defensively, as kubernetesIssues does.
import { isPlainObject } from "../catalog/merge";
import type { Issue } from "./problems";

/** The user of account APP on the servers a stack runs; applications and the provider sign in as it. */
export const KUBERNETES_APP_USER = "app";

/**
 * The leafnode carries every replicated message, and the leafnode password, between the regions;
 * the routes carry a region's stream replication between its servers. Both are TLS unless a lab
 * says loudly that it does without. Routes with TLS also authenticate: nats-server verifies
 * the certificate of every route against ca.crt.
 */
export function linkTlsIssues(value: Record<string, unknown>, kubernetes: Record<string, unknown>): Issue[] {
  const optOut = value["insecureLabWithoutLinkTls"] === true;
  const tls = isPlainObject(value["tls"]) ? value["tls"] : undefined;
  const servers = typeof kubernetes["replicas"] === "number" ? kubernetes["replicas"] : 3;
  const plaintext = [
    ...(tls?.["leafnode"] === false ? ["the leafnode"] : []),
    ...(tls?.["cluster"] === false && servers > 1 ? ["the routes"] : []),
  ];
  const labFix = "or, for a lab only, set nats-dr:insecureLabWithoutLinkTls: true";
  if (optOut) {
    if (value["tls"] === undefined || plaintext.length > 0) return [];
    return [
      {
        path: ["insecureLabWithoutLinkTls"],
        message:
          "is true but nats-dr:tls already covers the leafnode and the routes; remove it (pulumi config rm nats-dr:insecureLabWithoutLinkTls)",
      },
    ];
  }
  if (value["tls"] === undefined) {
    return [
      {
        path: ["tls"],
        message: `is not set but nats-dr:kubernetes is; the leafnode carries every replicated message and its password between the regions in the clear, and the routes the region's replication: set nats-dr:tls.secretName to a Secret in the namespace with tls.crt, tls.key and ca.crt (cert-manager's layout; the certificate needs the usages "server auth" and "client auth", see docs/configuration.md), ${labFix}`,
      },
    ];
  }
  return plaintext.map((link) => ({
    path: ["tls", link === "the leafnode" ? "leafnode" : "cluster"],
    message: `is false; ${link} would run without TLS${link === "the routes" ? " and without certificate authentication" : ", carrying every replicated message and the leafnode password between the regions in the clear"}: remove the setting (TLS is the default) ${labFix}`,
  }));
}

/**
 * One password, one key: with a second key for the provider's copy, a rotation that changed only
 * one would lock the provider out of the servers in the middle of pulumi up.
 */
export function providerCredentialIssues(value: Record<string, unknown>): Issue[] {
  return (["natsUser", "natsPassword", "natsToken", "natsCreds"] as const)
    .filter((key) => value[key] !== undefined)
    .map((key) => ({
      path: [key],
      message: `is set but nats-dr:kubernetes is; the provider signs in to the stack's own servers as user "${KUBERNETES_APP_USER}" with nats-dr:appPassword, so that one key rotates both (docs/configuration.md, "Rotating passwords"): remove it with pulumi config rm nats-dr:${key}`,
    }));
}
