// Topologies of servers on one machine (tests, the local drill): loopback listeners, literal
// passwords, routes and leafnode URLs on 127.0.0.1. The config text still comes from
// renderNatsConf, so a local region runs the same config as a Kubernetes region.
import type { LeafnodeSettings, NatsTopology, TlsFiles } from "./topology";

/** A user name and its password. */
export interface Credentials {
  readonly user: string;
  readonly password: string;
}

/** `nats-leaf://user:password@host:port`, user and password URL-encoded. */
export function leafnodeUrl(host: string, port: number, credentials: Credentials): string {
  return `nats-leaf://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@${host}:${port}`;
}

/** `nats://host:port`, a route URL. */
export function routeUrl(host: string, port: number): string {
  return `nats://${host}:${port}`;
}

/** Options of {@link localTopology}. */
export interface LocalServerOptions {
  readonly serverName: string;
  readonly clientPort: number;
  readonly monitorPort: number;
  /** JetStream store directory. */
  readonly storeDir: string;
  /** JetStream domain (the region). */
  readonly domain: string;
  /** The APP user; the system user is optional (no login as system without it). */
  readonly users: { readonly app: Credentials; readonly system?: Credentials };
  /** Member of a cluster: its name, this server's route port and every member's route port. */
  readonly cluster?: { readonly name: string; readonly port: number; readonly routePorts: readonly number[] };
  /** Listen for the other region on `port` and accept `user`, or dial `urls`. @default no leafnode */
  readonly leafnode?:
    | { readonly role: "listen"; readonly port: number; readonly user: Credentials }
    | { readonly role: "dial"; readonly urls: readonly string[] };
  /** TLS for client, route and leafnode connections. @default none */
  readonly tls?: TlsFiles;
  /** @default 256 MiB */
  readonly maxMemoryBytes?: number;
  /** @default 2 GiB */
  readonly maxFileBytes?: number;
}

const LOOPBACK = "127.0.0.1";

/** The topology of one server on 127.0.0.1 (lame duck at nats-server's minimum, 30 s + 1 s grace). */
export function localTopology(options: LocalServerOptions): NatsTopology {
  const { users, cluster, leafnode, tls } = options;
  let leafnodeSettings: LeafnodeSettings | undefined;
  if (leafnode?.role === "listen") {
    leafnodeSettings = {
      role: "listen",
      listen: { host: LOOPBACK, port: leafnode.port },
      users: [leafnode.user],
      ...(tls === undefined ? {} : { tls }),
    };
  } else if (leafnode?.role === "dial") {
    leafnodeSettings = {
      role: "dial",
      urls: leafnode.urls,
      reconnectSeconds: 1,
      ...(tls === undefined ? {} : { tls }),
    };
  }
  return {
    serverName: options.serverName,
    client: { host: LOOPBACK, port: options.clientPort },
    monitor: { host: LOOPBACK, port: options.monitorPort },
    lameDuck: { durationSeconds: 30, gracePeriodSeconds: 1 },
    jetstream: {
      storeDir: options.storeDir,
      domain: options.domain,
      maxMemoryBytes: options.maxMemoryBytes ?? 256 * 1024 ** 2,
      maxFileBytes: options.maxFileBytes ?? 2 * 1024 ** 3,
    },
    accounts: { system: users.system === undefined ? [] : [users.system], app: [users.app] },
    ...(tls === undefined ? {} : { clientTls: tls }),
    ...(cluster === undefined
      ? {}
      : {
          cluster: {
            name: cluster.name,
            listen: { host: LOOPBACK, port: cluster.port },
            routes: cluster.routePorts.map((port) => routeUrl(LOOPBACK, port)),
            ...(tls === undefined ? {} : { tls }),
          },
        }),
    ...(leafnodeSettings === undefined ? {} : { leafnode: leafnodeSettings }),
  };
}
