// Issue 8, item 6, against a real nats-server running the Kubernetes config with the Secret's
// environment: why the provider's new credentials must wait for the servers, and that the order
// one `pulumi up` runs (Secret, then the rolling update the credentials checksum causes, then the
// streams, which depend on the StatefulSet) never locks the provider out.
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SecretKeys, credentialSecretData } from "../../infra/kubernetes";
import { credentialsChecksum } from "../../infra/kubernetes/statefulSetSpec";
import { streamProvider, type StreamState } from "../../streams/streamProvider";
import { freePort, startServer, type ServerHandle } from "../harness";
import { checked, rawStreamInputs } from "../support/provider";
import { deploymentOf } from "../unit/kubernetes-support";
import { kubernetesConfOnLoopback } from "./nats-conf-support";

const before = { app: "app-before-rotation", leafnode: "leaf-before", system: "sys-before" };
const after = { app: "app-after-rotation", leafnode: "leaf-after", system: "sys-after" };

// One server, plaintext (the lab opt-out): the subject here is the passwords.
const deployment = deploymentOf("us-east-1", {
  tls: undefined,
  insecureLabWithoutLinkTls: true,
  kubernetes: { replicas: 1, peerCidrs: ["10.20.0.0/16"] },
  catalog: { mode: "replace", streams: { rotated: { subjects: ["rotated.*"], replicas: 1, maxBytes: "16Mi" } } },
});

/** The pod's environment from the Secret's data, as the StatefulSet maps it. */
function podEnv(passwords: typeof before): Record<string, string> {
  const data = credentialSecretData(deployment, passwords);
  return {
    POD_NAME: "nats-0",
    NATS_APP_PASSWORD: data[SecretKeys.conf(SecretKeys.appPassword)]!,
    NATS_SYSTEM_PASSWORD: data[SecretKeys.conf(SecretKeys.systemPassword)]!,
    NATS_LEAFNODE_PASSWORD: data[SecretKeys.conf(SecretKeys.leafnodePassword)]!,
  };
}

let server: ServerHandle;
const saved = { ...process.env };

/** The server process takes this environment at its next start, as a pod does from the Secret. */
function useEnv(env: Record<string, string>) {
  Object.assign(process.env, env);
}

beforeAll(async () => {
  const [client, monitor, leaf] = [await freePort(), await freePort(), await freePort()];
  useEnv(podEnv(before));
  server = await startServer({
    name: "rotation",
    configText: ({ storeDir }) => kubernetesConfOnLoopback(deployment, { client, monitor, leafnode: leaf }, storeDir),
  });
}, 60_000);

afterAll(async () => {
  await server?.dispose();
  for (const key of Object.keys(podEnv(before))) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

const inputs = (password: string) =>
  checked<StreamState>(
    streamProvider,
    rawStreamInputs(
      { domain: "us-east-1", clientUrls: [server.clientUrl] },
      undefined,
      "primary",
      { name: "rotated", subjects: ["rotated.*"], maxBytes: "16Mi" },
      { credentials: { user: "app", password } },
    ),
  );

const signsIn = async (password: string) => {
  try {
    await (await connect({ servers: server.clientUrl, user: "app", pass: password, reconnect: false })).close();
    return true;
  } catch {
    return false;
  }
};

describe("secret rotation", { timeout: 120_000 }, () => {
  test("the provider's new password works only after the servers restarted with the new Secret", async () => {
    const created = await streamProvider.create(await inputs(before.app));
    // The rotation changes the Secret and the pod template's checksum, not the config text.
    expect(credentialsChecksum(credentialSecretData(deployment, after))).not.toBe(
      credentialsChecksum(credentialSecretData(deployment, before)),
    );
    useEnv(podEnv(after));
    // Servers still running with the old environment: a provider that ran now would be locked out.
    await expect(streamProvider.update("id", created.outs, await inputs(after.app))).rejects.toThrow(
      /Authorization Violation|authentication|authorization/i,
    );
    // The rolling update: the server restarts and reads the new Secret.
    await server.stop();
    await server.start();
    expect(await signsIn(before.app)).toBe(false);
    expect(await signsIn(after.app)).toBe(true);
    // Then the streams (they depend on the StatefulSet) sign in with the new password.
    const updated = await streamProvider.update("id", created.outs, await inputs(after.app));
    expect(updated.outs.instance).toBe(created.outs.instance);
  });
});
