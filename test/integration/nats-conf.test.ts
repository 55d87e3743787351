// renderNatsConf: every variant checked by the real `nats-server -t`, and the text is deterministic.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubernetesTopology } from "../../infra/kubernetes";
import { SecretKeys, credentialSecretData } from "../../infra/kubernetes";
import { NatsAccounts, leafnodeUrl, localTopology, renderNatsConf } from "../../infra/nats";
import type { LocalServerOptions, NatsTopology, TlsFiles } from "../../infra/nats";
import { removeTempDir } from "../harness";
import { deploymentOf, passwords } from "../unit/kubernetes-support";
import { makeCertificates, testNatsConf } from "./nats-conf-support";

const app = { user: "app", password: "app-secret" };
const leaf = { user: "leaf", password: "leaf-secret" };
const base: LocalServerOptions = {
  serverName: "east-1",
  clientPort: 14222,
  monitorPort: 18222,
  storeDir: "/tmp/nats-dr-conf-test",
  domain: "us-east-1",
  users: { app, system: { user: "sys", password: "sys-secret" } },
};
const cluster = { name: "us-east-1", port: 16222, routePorts: [16222, 16223, 16224] };

let certs: TlsFiles & { dir: string };
beforeAll(async () => {
  certs = await makeCertificates();
});
afterAll(async () => {
  await removeTempDir(certs.dir);
});

/** The environment a pod of `region` gets from the Secret (the `conf-` values). */
function podEnv(region: "us-east-1" | "eu-central-1"): Record<string, string> {
  const data = credentialSecretData(deploymentOf(region), passwords);
  return {
    POD_NAME: "nats-0",
    NATS_APP_PASSWORD: data[SecretKeys.conf(SecretKeys.appPassword)]!,
    NATS_SYSTEM_PASSWORD: data[SecretKeys.conf(SecretKeys.systemPassword)]!,
    NATS_LEAFNODE_PASSWORD: data[SecretKeys.conf(SecretKeys.leafnodePassword)]!,
    ...(region === "eu-central-1" ? { NATS_LEAFNODE_URL_1: data[SecretKeys.leafnodeUrl(0)]! } : {}),
  };
}

async function expectValid(text: string, env: Record<string, string> = {}): Promise<void> {
  const result = await testNatsConf(text, env);
  expect(result.output, text).toMatch(/configuration file .* is valid/);
  expect(result.code).toBe(0);
}

describe("nats conf", () => {
  it("a single server passes nats-server -t", async () => {
    const text = renderNatsConf(localTopology(base));
    await expectValid(text);
    expect(text).not.toMatch(/^cluster|^leafnodes/m);
    expect(text).toContain('domain: "us-east-1"');
    expect(text).toContain("system_account: SYS");
  });

  it("a cluster member with 3 routes passes nats-server -t", async () => {
    const text = renderNatsConf(localTopology({ ...base, cluster }));
    await expectValid(text);
    for (const port of cluster.routePorts) expect(text).toContain(`"nats://127.0.0.1:${port}"`);
  });

  it("the listening side accepts user leaf bound to account APP", async () => {
    const text = renderNatsConf(
      localTopology({ ...base, cluster, leafnode: { role: "listen", port: 17422, user: leaf } }),
    );
    await expectValid(text);
    expect(text).toContain('{ user: "leaf", password: "leaf-secret", account: "APP" }');
    expect(text).not.toContain("remotes");
  });

  it("the dialing side has one remote in APP with an explicit reconnect interval", async () => {
    const url = leafnodeUrl("127.0.0.1", 17422, { user: "leaf", password: "p@ss/w:rd" });
    const text = renderNatsConf(
      localTopology({ ...base, domain: "eu-central-1", leafnode: { role: "dial", urls: [url] } }),
    );
    await expectValid(text);
    expect(text).toContain('reconnect: "1s"');
    expect(text).toContain(
      '{ urls: ["nats-leaf://leaf:p%40ss%2Fw%3Ard@127.0.0.1:17422"], account: "APP", ignore_discovered_servers: true }',
    );
    expect(text).not.toMatch(/^\s*listen: "127\.0\.0\.1:17422"/m);
  });

  it("TLS for client, routes and both leafnode sides passes nats-server -t with real certificates", async () => {
    const tls = { certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile };
    const listener = renderNatsConf(
      localTopology({ ...base, cluster, tls, leafnode: { role: "listen", port: 17422, user: leaf } }),
    );
    const dialer = renderNatsConf(
      localTopology({ ...base, tls, leafnode: { role: "dial", urls: [leafnodeUrl("localhost", 17422, leaf)] } }),
    );
    await expectValid(listener);
    await expectValid(dialer);
    expect(listener.match(/^\s*tls \{$/gm)).toHaveLength(3);
    expect(dialer).toMatch(
      /remotes: \[\n\s+\{ urls: \[.*\], account: "APP", ignore_discovered_servers: true, tls: \{ cert_file: ".*tls\.crt", key_file: .*, ca_file: ".*ca\.crt", verify: false \} \}/,
    );
  });

  it("a TLS file that does not exist is rejected (the check reads the files)", async () => {
    const text = renderNatsConf(
      localTopology({
        ...base,
        tls: { certFile: "/nonexistent/tls.crt", keyFile: certs.keyFile, caFile: certs.caFile },
      }),
    );
    const result = await testNatsConf(text);
    expect(result.code).not.toBe(0);
  });

  for (const region of ["us-east-1", "eu-central-1"] as const) {
    it(`the Kubernetes config of ${region} passes nats-server -t with the pod's environment`, async () => {
      const deployment = deploymentOf(region);
      const text = renderNatsConf(kubernetesTopology(deployment));
      // The TLS files live where the pod mounts the Secret; point the check at the generated ones.
      await expectValid(text.replaceAll("/etc/nats-tls/", `${certs.dir}/`), podEnv(region));
      expect(text).toContain("server_name: $POD_NAME");
      expect(text).toContain('{ user: "app", password: $NATS_APP_PASSWORD }');
      expect(text).toContain('"tls://nats-0.nats-headless.nats.svc:6222"');
      expect(text).toContain(`domain: "${region}"`);
      expect(text).toContain('pid_file: "/var/run/nats/nats.pid"');
      expect(text).toContain('lame_duck_duration: "30s"');
      expect(text).toContain('lame_duck_grace_period: "10s"');
      if (region === "us-east-1") {
        expect(text).toContain('listen: "0.0.0.0:7422"');
        expect(text).toContain('{ user: "leaf", password: $NATS_LEAFNODE_PASSWORD, account: "APP" }');
      } else {
        expect(text).toContain(
          '{ urls: [$NATS_LEAFNODE_URL_1], account: "APP", ignore_discovered_servers: true, tls: { cert_file: "/etc/nats-tls/tls.crt"',
        );
        expect(text).not.toContain("7422");
      }
    });
  }

  it("by default TLS covers the leafnode, the routes (verified both ways) and the clients", () => {
    const text = renderNatsConf(kubernetesTopology(deploymentOf("us-east-1")));
    const cluster = text.slice(text.indexOf("cluster {"), text.indexOf("leafnodes {"));
    const leafnodes = text.slice(text.indexOf("leafnodes {"));
    // Routes present and verify certificates against ca.crt: they authenticate each other.
    expect(cluster).toMatch(/tls \{\n\s+cert_file: "\/etc\/nats-tls\/tls\.crt"[\s\S]*verify: true\n/);
    expect(leafnodes).toMatch(/tls \{\n\s+cert_file: "\/etc\/nats-tls\/tls\.crt"/);
  });

  it("the lab opt-out renders plaintext links that pass nats-server -t", async () => {
    const deployment = deploymentOf("us-east-1", { tls: undefined, insecureLabWithoutLinkTls: true });
    const text = renderNatsConf(kubernetesTopology(deployment));
    expect(text).not.toContain("tls");
    await expectValid(text, podEnv("us-east-1"));
  });

  it("the Kubernetes config is rejected without the pod's environment (the references are real)", async () => {
    const result = await testNatsConf(renderNatsConf(kubernetesTopology(deploymentOf("us-east-1"))));
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/variable reference for 'POD_NAME'.*can not be found/);
  });

  it("the Kubernetes config with TLS passes nats-server -t once the Secret's files are in place", async () => {
    const deployment = deploymentOf("us-east-1", { tls: { secretName: "nats-tls", verifyClients: true } });
    const text = renderNatsConf(kubernetesTopology(deployment));
    expect(text.match(/"\/etc\/nats-tls\/tls\.crt"/g)).toHaveLength(3);
    expect(text).toContain('"tls://nats-2.nats-headless.nats.svc:6222"');
    // The files live where the pod mounts the Secret; point the check at the generated ones.
    await expectValid(text.replaceAll("/etc/nats-tls/", `${certs.dir}/`), podEnv("us-east-1"));
  });

  it("same input, same text; key order and list order do not matter", () => {
    const topology = localTopology({ ...base, cluster, leafnode: { role: "listen", port: 17422, user: leaf } });
    const reordered = reverseKeys(topology) as NatsTopology;
    const shuffled: NatsTopology = {
      ...topology,
      accounts: { ...topology.accounts, app: [{ user: "zed", password: "z" }, ...topology.accounts.app] },
      cluster: { ...topology.cluster!, routes: [...topology.cluster!.routes].reverse() },
    };
    const withExtraUser: NatsTopology = {
      ...topology,
      accounts: { ...topology.accounts, app: [...topology.accounts.app, { user: "zed", password: "z" }] },
    };
    const text = renderNatsConf(topology);
    expect(renderNatsConf(topology)).toBe(text);
    expect(renderNatsConf(reordered)).toBe(text);
    expect(renderNatsConf(shuffled)).toBe(renderNatsConf(withExtraUser));
    expect(text).not.toMatch(/[ \t]$/m);
    expect(text.endsWith("}\n")).toBe(true);
    expect(text.indexOf(`${NatsAccounts.app} {`)).toBeLessThan(text.indexOf(`${NatsAccounts.system} {`));
  });

  it("invalid topologies are refused with the field's name", () => {
    const topology = localTopology({ ...base, cluster });
    expect(() => renderNatsConf({ ...topology, lameDuck: { durationSeconds: 5, gracePeriodSeconds: 1 } })).toThrow(
      /lameDuck\.durationSeconds is 5; nats-server needs whole seconds >= 30/,
    );
    expect(() => renderNatsConf({ ...topology, cluster: { ...topology.cluster!, routes: [] } })).toThrow(
      /cluster\.routes is empty/,
    );
    expect(() => renderNatsConf({ ...topology, serverName: { env: "POD-NAME" } })).toThrow(
      /serverName refers to "POD-NAME"/,
    );
    expect(() => renderNatsConf({ ...topology, client: { host: "127.0.0.1", port: 70000 } })).toThrow(
      /client\.port is 70000/,
    );
    expect(() => renderNatsConf({ ...topology, accounts: { system: [app], app: [app] } })).toThrow(
      /user "app" is defined twice/,
    );
    expect(() => renderNatsConf({ ...topology, leafnode: { role: "dial", urls: [], reconnectSeconds: 1 } })).toThrow(
      /leafnode\.urls is empty/,
    );
  });
});

/** A deep copy with every object's keys in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, inner]) => [key, reverseKeys(inner)]),
  );
}
