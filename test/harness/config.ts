/**
 * nats-server config text for the harness topologies. Pure functions: same input, same text.
 * Every server gets a name, a client listener and an http monitor on 127.0.0.1, JetStream
 * (with an optional domain) and, unless `auth: false`, the accounts below.
 */

/** Users in the harness configs. `leaf` is what the other region dials the leafnode with. */
export const CREDENTIALS = {
  sys: { user: "sys", password: "sys-secret" },
  app: { user: "app", password: "app-secret" },
  leaf: { user: "leaf", password: "leaf-secret" },
} as const;

/** Account names in the harness configs. */
export const ACCOUNTS = {
  system: "SYS",
  app: "APP",
} as const;

/** A JetStream cluster of servers joined by routes. */
export interface ClusterConfig {
  /** Cluster name; the same on every member. */
  readonly name: string;
  /** This server's route port. */
  readonly port: number;
  /** Route ports of all members (this one included; the server skips itself). */
  readonly routePorts: readonly number[];
}

/** Options of {@link renderServerConfig}. */
export interface ServerConfigOptions {
  readonly serverName: string;
  readonly clientPort: number;
  readonly monitorPort: number;
  /** JetStream store directory (the server appends "/jetstream"). */
  readonly storeDir: string;
  /** JetStream domain. @default no domain */
  readonly domain?: string;
  /** Accounts SYS (system account) and APP (JetStream) with users; false: no auth at all. @default true */
  readonly auth?: boolean;
  /** Clustered JetStream. @default standalone */
  readonly cluster?: ClusterConfig;
  /** Accept leafnode connections on this port (not advertised to the leafnodes). */
  readonly leafnodeListenPort?: number;
  /** Dial these leafnode URLs (see {@link leafnodeUrl}), bound to the APP account. */
  readonly leafnodeRemoteUrls?: readonly string[];
}

/** JetStream limits of every harness server. */
export const JETSTREAM_LIMITS = { maxMem: "256MB", maxFile: "2GB" } as const;

/** `nats-leaf://leaf:leaf-secret@127.0.0.1:<port>` (without credentials when `auth` is false). */
export function leafnodeUrl(port: number, auth = true): string {
  const { user, password } = CREDENTIALS.leaf;
  const userInfo = auth ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}@` : "";
  return `nats-leaf://${userInfo}127.0.0.1:${port}`;
}

/** Renders one server's config file. */
export function renderServerConfig(options: ServerConfigOptions): string {
  const auth = options.auth ?? true;
  const blocks: string[] = [
    [
      `# nats-dr test harness: ${options.serverName}`,
      `server_name: ${q(options.serverName)}`,
      `listen: ${q(`127.0.0.1:${options.clientPort}`)}`,
      `http: ${q(`127.0.0.1:${options.monitorPort}`)}`,
    ].join("\n"),
    renderJetStream(options),
  ];
  if (auth) {
    blocks.push(renderAccounts());
  }
  if (options.cluster !== undefined) {
    blocks.push(renderCluster(options.cluster));
  }
  const leafnodes = renderLeafnodes(options, auth);
  if (leafnodes !== undefined) {
    blocks.push(leafnodes);
  }
  return `${blocks.join("\n\n")}\n`;
}

function renderJetStream(options: ServerConfigOptions): string {
  return block("jetstream", [
    `store_dir: ${q(options.storeDir)}`,
    ...(options.domain === undefined ? [] : [`domain: ${q(options.domain)}`]),
    `max_mem: ${JETSTREAM_LIMITS.maxMem}`,
    `max_file: ${JETSTREAM_LIMITS.maxFile}`,
  ]);
}

function renderAccounts(): string {
  const user = (u: { user: string; password: string }): string => `{ user: ${q(u.user)}, password: ${q(u.password)} }`;
  return [
    `system_account: ${ACCOUNTS.system}`,
    block("accounts", [
      ...block(ACCOUNTS.system, [...list("users", [user(CREDENTIALS.sys)])]).split("\n"),
      ...block(ACCOUNTS.app, [
        "jetstream: enabled",
        ...list("users", [user(CREDENTIALS.app), user(CREDENTIALS.leaf)]),
      ]).split("\n"),
    ]),
  ].join("\n");
}

function renderCluster(cluster: ClusterConfig): string {
  return block("cluster", [
    `name: ${q(cluster.name)}`,
    `listen: ${q(`127.0.0.1:${cluster.port}`)}`,
    ...list(
      "routes",
      cluster.routePorts.map((port) => q(`nats-route://127.0.0.1:${port}`)),
    ),
  ]);
}

function renderLeafnodes(options: ServerConfigOptions, auth: boolean): string | undefined {
  const lines: string[] = [];
  if (options.leafnodeListenPort !== undefined) {
    lines.push(`listen: ${q(`127.0.0.1:${options.leafnodeListenPort}`)}`);
    // Leafnodes must use only the URLs they were given (the harness relay), never a
    // gossiped direct address, or cutting the relay would not partition the regions.
    lines.push("no_advertise: true");
  }
  const urls = options.leafnodeRemoteUrls ?? [];
  if (urls.length > 0) {
    const fields = [`urls: [${urls.map(q).join(", ")}]`];
    if (auth) {
      fields.push(`account: ${ACCOUNTS.app}`);
    }
    // Belt and braces with no_advertise on the listener: dial only through the relay. Servers
    // before 2.12 do not know the option (the old-server test runs one).
    if (process.env["NATS_DR_HARNESS_OLD_SERVER"] !== "1") fields.push("ignore_discovered_servers: true");
    lines.push(...list("remotes", [`{ ${fields.join(", ")} }`]));
  }
  return lines.length === 0 ? undefined : block("leafnodes", lines);
}

function block(name: string, lines: readonly string[]): string {
  return [`${name} {`, ...lines.map((line) => `  ${line}`), "}"].join("\n");
}

function list(name: string, items: readonly string[]): string[] {
  return [`${name}: [`, ...items.map((item) => `  ${item}`), "]"];
}

/** A double-quoted config string (JSON escaping is valid nats-server config syntax). */
function q(value: string): string {
  return JSON.stringify(value);
}
