import { connect, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";
import { CREDENTIALS } from "./config";

/**
 * Connects to the given servers as user `app` (account APP). `options` override the harness
 * defaults (for example `name`, `reconnect`, `timeout`).
 */
export function connectApp(
  urls: string | readonly string[],
  options: Partial<NodeConnectionOptions> = {},
): Promise<NatsConnection> {
  return connect({
    servers: typeof urls === "string" ? urls : [...urls],
    user: CREDENTIALS.app.user,
    pass: CREDENTIALS.app.password,
    ...options,
  });
}
