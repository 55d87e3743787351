// The typed description of one nats-server that renderNatsConf turns into nats-server.conf. The
// same description serves Kubernetes (values from environment variables set from a Secret) and
// local servers (literal values), so the drill runs exactly the config the StatefulSet runs.

/** The accounts every nats-dr server has: the system account and the application account. */
export const NatsAccounts = { system: "SYS", app: "APP" } as const;
export type NatsAccount = (typeof NatsAccounts)[keyof typeof NatsAccounts];

/**
 * A value read from the server's environment when it loads the config (`$NAME`). nats-server
 * parses the variable's value as config text, so a string must be stored in the variable already
 * quoted: use {@link confString} to produce it (a bare `12345` would become a number and a value
 * with a space would not parse at all).
 */
export interface EnvRef {
  readonly env: string;
}

/** A literal string, or a reference to an environment variable holding a quoted string. */
export type ConfValue = string | EnvRef;

/** `{ env: name }`, for readability at call sites. */
export function env(name: string): EnvRef {
  return { env: name };
}

export function isEnvRef(value: ConfValue): value is EnvRef {
  return typeof value === "object";
}

/**
 * A string as nats-server config text: double-quoted with JSON escaping, which the config lexer
 * reads back unchanged. Also what to put into an environment variable an {@link EnvRef} names.
 */
export function confString(value: string): string {
  return JSON.stringify(value);
}

/** A TCP listener. */
export interface Listener {
  /** Interface to bind, e.g. "0.0.0.0" in a pod or "127.0.0.1" on a laptop. */
  readonly host: string;
  /** TCP port, 1-65535. */
  readonly port: number;
}

/** PEM files of a TLS block; paths as the server sees them. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** CA bundle that signed the peers' certificates. */
  readonly caFile: string;
  /** Require and verify a client certificate from whoever connects. @default false */
  readonly verify?: boolean;
}

/** A user and its password (the password is usually an environment reference). */
export interface NatsUser {
  readonly user: string;
  readonly password: ConfValue;
}

/** JetStream of this server. The domain is the region: mirrors address each other by domain. */
export interface JetStreamSettings {
  /** Store directory; the server keeps its data under `<storeDir>/jetstream`. */
  readonly storeDir: string;
  /** JetStream domain, e.g. "us-east-1". */
  readonly domain: string;
  /** Memory store limit, in bytes. */
  readonly maxMemoryBytes: number;
  /** File store limit, in bytes; keep it below the volume size. */
  readonly maxFileBytes: number;
}

/** The route mesh of a JetStream cluster (3 servers in nats-dr). */
export interface ClusterSettings {
  /** Cluster name; the same on every member. */
  readonly name: string;
  readonly listen: Listener;
  /** Route URLs of every member, this one included (the server skips itself). */
  readonly routes: readonly string[];
  readonly tls?: TlsFiles;
}

/**
 * The region that accepts the leafnode connection. Leafnode users are bound to account APP, so
 * only APP's subjects (JetStream API of the domains included) cross the link.
 */
export interface LeafnodeListen {
  readonly role: "listen";
  readonly listen: Listener;
  /** Users the other region dials with. */
  readonly users: readonly NatsUser[];
  readonly tls?: TlsFiles;
}

/** The region that dials the listening region. Exactly one side dials, so the link cannot loop. */
export interface LeafnodeDial {
  readonly role: "dial";
  /** URLs of the listening region with credentials, e.g. `nats-leaf://leaf:pw@host:7422`. */
  readonly urls: readonly ConfValue[];
  /** Wait between connection attempts, in seconds. */
  readonly reconnectSeconds: number;
  /** Verify the listener with `caFile` (and present cert/key when the listener verifies). */
  readonly tls?: TlsFiles;
}

export type LeafnodeSettings = LeafnodeListen | LeafnodeDial;

/** Everything renderNatsConf needs for one server. */
export interface NatsTopology {
  /** Unique, stable server name; in Kubernetes `env("POD_NAME")`. */
  readonly serverName: ConfValue;
  readonly client: Listener;
  /** HTTP monitoring (health probes, /jsz, the Prometheus exporter). */
  readonly monitor: Listener;
  /** Where the server writes its pid (the config reloader and the lame-duck preStop read it). @default none */
  readonly pidFile?: string;
  /** Lame-duck mode on shutdown: clients are moved off over `durationSeconds`, after `gracePeriodSeconds`. */
  readonly lameDuck: { readonly durationSeconds: number; readonly gracePeriodSeconds: number };
  readonly jetstream: JetStreamSettings;
  /** Users of the system account (may be empty: nobody logs in as system) and of APP. */
  readonly accounts: { readonly system: readonly NatsUser[]; readonly app: readonly NatsUser[] };
  /** TLS for client connections. @default none */
  readonly clientTls?: TlsFiles;
  /** Route mesh. @default standalone server */
  readonly cluster?: ClusterSettings;
  /** The cross-region leafnode. @default none */
  readonly leafnode?: LeafnodeSettings;
}
