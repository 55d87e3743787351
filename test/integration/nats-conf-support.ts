// Helpers for the tests of rendered nats-server configs: real `nats-server -t` and real
// throwaway certificates made with openssl.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { kubernetesTopology, type NatsDeployment } from "../../infra/kubernetes";
import { renderNatsConf, type TlsFiles } from "../../infra/nats";
import { makeTempDir, natsServerBinary } from "../harness";

function run(file: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  return new Promise<{ code: number; output: string }>((resolve) => {
    execFile(
      file,
      [...args],
      { timeout: 15_000, env: options.env ?? process.env, cwd: options.cwd },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, output: `${stdout}${stderr}`.trim() });
      },
    );
  });
}

/**
 * Writes `text` to a temp file and runs `nats-server -t -c <file>` with `env` added to this
 * process's environment. Resolves with the exit code and the server's output.
 */
export async function testNatsConf(
  text: string,
  env: Record<string, string> = {},
): Promise<{ code: number; output: string }> {
  const dir = await makeTempDir("conf-check");
  const file = path.join(dir, "nats.conf");
  await fs.promises.writeFile(file, text);
  return run(natsServerBinary(), ["-t", "-c", file], { env: { ...process.env, ...env } });
}

/**
 * A throwaway CA and a certificate signed by it for localhost / 127.0.0.1, usable by servers
 * and by clients (routes and leafnodes present it both ways). Made with the real openssl.
 */
export async function makeCertificates(): Promise<TlsFiles & { dir: string }> {
  const dir = await makeTempDir("certs");
  const openssl = async (...args: string[]) => {
    const result = await run("openssl", args, { cwd: dir });
    if (result.code !== 0) throw new Error(`openssl ${args.join(" ")} failed:\n${result.output}`);
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "1",
    "-subj",
    "/CN=nats-dr test CA",
  );
  await openssl("req", ...ec, "-keyout", "tls.key", "-out", "tls.csr", "-subj", "/CN=localhost");
  await fs.promises.writeFile(
    path.join(dir, "ext.cnf"),
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n",
  );
  await openssl(
    "x509",
    "-req",
    "-in",
    "tls.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "tls.crt",
    "-days",
    "1",
    "-extfile",
    "ext.cnf",
  );
  return {
    dir,
    certFile: path.join(dir, "tls.crt"),
    keyFile: path.join(dir, "tls.key"),
    caFile: path.join(dir, "ca.crt"),
  };
}

/**
 * The Kubernetes config of `deployment` for a server on this machine: only the listeners, the store
 * and the pid file move here; names and passwords still come from the environment, as in the pod.
 */
export function kubernetesConfOnLoopback(
  deployment: NatsDeployment,
  ports: { readonly client: number; readonly monitor: number; readonly leafnode: number },
  storeDir: string,
): string {
  const topology = kubernetesTopology(deployment);
  return renderNatsConf({
    ...topology,
    client: { host: "127.0.0.1", port: ports.client },
    monitor: { host: "127.0.0.1", port: ports.monitor },
    pidFile: `${storeDir}.pid`,
    jetstream: { ...topology.jetstream, storeDir },
    leafnode:
      topology.leafnode?.role === "listen"
        ? { ...topology.leafnode, listen: { host: "127.0.0.1", port: ports.leafnode } }
        : topology.leafnode!,
  });
}
