// A few calls to the local kube-apiserver, as kubectl would make them (the harness and the tests
// create Nodes and volumes, read objects and edit them behind Pulumi's back). Bearer token over
// HTTPS, trusting the server's self-signed certificate.
import https from "node:https";

export interface KubeApiOptions {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  readonly token: string;
  /** PEM of the certificate the server presents (its self-signed CA). */
  readonly caPem: string;
}

/** An answer of the API server that was not 2xx: its status and the Status object's message. */
export class KubeApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${path}: HTTP ${status}: ${statusMessage(body)}`);
  }
}

function statusMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === "string" ? parsed.message : body;
  } catch {
    return body;
  }
}

export type Json = Record<string, unknown>;

export class KubeApi {
  constructor(readonly options: KubeApiOptions) {}

  /** GET; undefined when the object does not exist (404). */
  async get(path: string): Promise<Json | undefined> {
    try {
      return await this.request("GET", path);
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** The items of a list, e.g. `/api/v1/namespaces/nats/pods`. */
  async list(path: string): Promise<Json[]> {
    const answer = await this.request("GET", path);
    return (answer["items"] as Json[] | undefined) ?? [];
  }

  create(collection: string, object: Json): Promise<Json> {
    return this.request("POST", collection, object);
  }

  /** A JSON merge patch (`kubectl patch --type merge`). */
  mergePatch(path: string, patch: Json): Promise<Json> {
    return this.request("PATCH", path, patch, "application/merge-patch+json");
  }

  /** DELETE with a propagation policy ("Orphan" is `kubectl delete --cascade=orphan`). */
  delete(path: string, propagationPolicy: "Background" | "Foreground" | "Orphan" = "Background"): Promise<Json> {
    return this.request("DELETE", path, { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy });
  }

  /** /readyz's answer text ("ok" when ready). */
  async readyz(): Promise<string> {
    return this.raw("GET", "/readyz").then((answer) => answer.body);
  }

  async request(method: string, path: string, body?: Json, contentType = "application/json"): Promise<Json> {
    const answer = await this.raw(method, path, body, contentType);
    if (answer.status < 200 || answer.status > 299) throw new KubeApiError(method, path, answer.status, answer.body);
    return JSON.parse(answer.body) as Json;
  }

  private raw(
    method: string,
    path: string,
    body?: Json,
    contentType = "application/json",
  ): Promise<{ status: number; body: string }> {
    const url = new URL(path, this.options.server);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const request = https.request(
        url,
        {
          method,
          ca: this.options.caPem,
          headers: {
            Authorization: `Bearer ${this.options.token}`,
            Accept: "application/json",
            ...(payload === undefined
              ? {}
              : { "Content-Type": contentType, "Content-Length": Buffer.byteLength(payload) }),
          },
          timeout: 30_000,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
          );
          response.on("error", reject);
        },
      );
      request.on("timeout", () => request.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
      request.on("error", reject);
      request.end(payload);
    });
  }
}
