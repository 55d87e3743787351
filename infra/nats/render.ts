// nats-server.conf from a NatsTopology. Pure and deterministic: blocks and keys come in a fixed
// order, lists are sorted, strings are quoted, no line ends in whitespace. The same text runs in
// the StatefulSet and in local test and drill servers; `nats-server -t` checks every variant in
// the tests.
import { NatsAccounts, confString, isEnvRef } from "./topology";
import type { ConfValue, LeafnodeSettings, Listener, NatsTopology, NatsUser, TlsFiles } from "./topology";

/** The shortest lame_duck_duration nats-server accepts, in seconds. */
export const MIN_LAME_DUCK_SECONDS = 30;

const HEADER = "# nats-server.conf rendered by nats-dr (infra/nats); edit the topology, not this file.";

/** Renders the config file of one server. Throws on a topology nats-server would reject. */
export function renderNatsConf(topology: NatsTopology): string {
  checkTopology(topology);
  const blocks: string[][] = [
    [
      HEADER,
      `server_name: ${value(topology.serverName)}`,
      `listen: ${hostPort(topology.client)}`,
      `http: ${hostPort(topology.monitor)}`,
      ...(topology.pidFile === undefined ? [] : [`pid_file: ${confString(topology.pidFile)}`]),
      // Lame duck: on shutdown stop accepting, wait the grace period, then move clients off
      // gradually over the duration, so a rolling restart does not reconnect everyone at once.
      `lame_duck_duration: ${confString(`${topology.lameDuck.durationSeconds}s`)}`,
      `lame_duck_grace_period: ${confString(`${topology.lameDuck.gracePeriodSeconds}s`)}`,
    ],
  ];
  if (topology.clientTls !== undefined) blocks.push(tlsBlock(topology.clientTls));
  blocks.push(
    block("jetstream", [
      `store_dir: ${confString(topology.jetstream.storeDir)}`,
      `domain: ${confString(topology.jetstream.domain)}`,
      `max_memory_store: ${topology.jetstream.maxMemoryBytes}`,
      `max_file_store: ${topology.jetstream.maxFileBytes}`,
    ]),
  );
  blocks.push(accountsBlock(topology.accounts));
  if (topology.cluster !== undefined) {
    const { cluster } = topology;
    blocks.push(
      block("cluster", [
        `name: ${confString(cluster.name)}`,
        `listen: ${hostPort(cluster.listen)}`,
        // Members reach each other by the routes given; gossiping their (pod) addresses to
        // clients and to the routes would only hand out addresses that change.
        "no_advertise: true",
        ...list("routes", sorted(cluster.routes).map(confString)),
        ...(cluster.tls === undefined ? [] : tlsBlock(cluster.tls)),
      ]),
    );
  }
  if (topology.leafnode !== undefined) blocks.push(leafnodeBlock(topology.leafnode));
  return `${blocks.map((lines) => lines.join("\n")).join("\n\n")}\n`;
}

function accountsBlock(accounts: NatsTopology["accounts"]): string[] {
  // Account names sort as APP, SYS; both always exist so the system account is never the
  // server's generated default and the application's JetStream lives in a named account.
  return [
    `system_account: ${NatsAccounts.system}`,
    ...block("accounts", [
      ...block(NatsAccounts.app, ["jetstream: enabled", ...list("users", usersOf(accounts.app))]),
      ...block(NatsAccounts.system, accounts.system.length === 0 ? [] : list("users", usersOf(accounts.system))),
    ]),
  ];
}

function leafnodeBlock(leafnode: LeafnodeSettings): string[] {
  if (leafnode.role === "listen") {
    return block("leafnodes", [
      `listen: ${hostPort(leafnode.listen)}`,
      // The other region reaches this one through its load balancer; the pod addresses the
      // server would advertise are not reachable from there.
      "no_advertise: true",
      ...block("authorization", list("users", usersOf(leafnode.users, NatsAccounts.app))),
      ...(leafnode.tls === undefined ? [] : tlsBlock(leafnode.tls)),
    ]);
  }
  // Dial only the given URLs (the other region's load balancer): without it the dialer learns
  // the listener's own server addresses and reconnects to them directly after a cut, around
  // the load balancer (seen in the drill). Needs nats-server >= 2.12.
  const remote = [
    `urls: [${sortedValues(leafnode.urls).join(", ")}]`,
    `account: ${confString(NatsAccounts.app)}`,
    "ignore_discovered_servers: true",
  ];
  return block("leafnodes", [
    // A remote is retried forever (nats-server has no attempt limit for leafnode remotes); the
    // interval between attempts is set explicitly so the recovery time after a partition is known.
    `reconnect: ${confString(`${leafnode.reconnectSeconds}s`)}`,
    ...list("remotes", [
      leafnode.tls === undefined
        ? `{ ${remote.join(", ")} }`
        : `{ ${remote.join(", ")}, tls: ${inlineTls(leafnode.tls)} }`,
    ]),
  ]);
}

function usersOf(users: readonly NatsUser[], account?: string): string[] {
  return [...users]
    .sort((a, b) => compare(a.user, b.user))
    .map((user) => {
      const fields = [`user: ${confString(user.user)}`, `password: ${value(user.password)}`];
      if (account !== undefined) fields.push(`account: ${confString(account)}`);
      return `{ ${fields.join(", ")} }`;
    });
}

function tlsFields(tls: TlsFiles): string[] {
  return [
    `cert_file: ${confString(tls.certFile)}`,
    `key_file: ${confString(tls.keyFile)}`,
    `ca_file: ${confString(tls.caFile)}`,
    `verify: ${tls.verify === true}`,
  ];
}

function tlsBlock(tls: TlsFiles): string[] {
  return block("tls", tlsFields(tls));
}

function inlineTls(tls: TlsFiles): string {
  return `{ ${tlsFields(tls).join(", ")} }`;
}

function hostPort(listener: Listener): string {
  return confString(`${listener.host}:${listener.port}`);
}

function value(item: ConfValue): string {
  return isEnvRef(item) ? `$${item.env}` : confString(item);
}

/** Literals first (sorted), then environment references (sorted by name). */
function sortedValues(items: readonly ConfValue[]): string[] {
  const literals = sorted(items.filter((item): item is string => !isEnvRef(item))).map(confString);
  const refs = sorted(items.filter(isEnvRef).map((item) => item.env)).map((name) => `$${name}`);
  return [...literals, ...refs];
}

function block(name: string, lines: readonly string[]): string[] {
  return lines.length === 0 ? [`${name} {}`] : [`${name} {`, ...lines.map((line) => `  ${line}`), "}"];
}

function list(name: string, items: readonly string[]): string[] {
  return [`${name}: [`, ...items.map((item) => `  ${item}`), "]"];
}

function sorted(items: readonly string[]): string[] {
  return [...items].sort(compare);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The mistakes nats-server would only report at start, reported here with the field's name. */
function checkTopology(topology: NatsTopology): void {
  const problems: string[] = [];
  const checkListener = (what: string, listener: Listener) => {
    if (!Number.isInteger(listener.port) || listener.port < 1 || listener.port > 65535) {
      problems.push(`${what}.port is ${listener.port}; use a TCP port from 1 to 65535`);
    }
    if (listener.host.trim() === "") problems.push(`${what}.host is empty; use an interface address such as "0.0.0.0"`);
  };
  const checkValue = (what: string, item: ConfValue) => {
    if (isEnvRef(item) && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(item.env)) {
      problems.push(
        `${what} refers to "${item.env}", which is not an environment variable name (letters, digits, "_")`,
      );
    }
    if (!isEnvRef(item) && item === "") problems.push(`${what} is empty`);
  };
  checkValue("serverName", topology.serverName);
  checkListener("client", topology.client);
  checkListener("monitor", topology.monitor);
  // nats-server's own limits: lame_duck_duration >= 30s, lame_duck_grace_period >= 0.
  const { durationSeconds, gracePeriodSeconds } = topology.lameDuck;
  if (!Number.isInteger(durationSeconds) || durationSeconds < MIN_LAME_DUCK_SECONDS) {
    problems.push(
      `lameDuck.durationSeconds is ${durationSeconds}; nats-server needs whole seconds >= ${MIN_LAME_DUCK_SECONDS}`,
    );
  }
  if (!Number.isInteger(gracePeriodSeconds) || gracePeriodSeconds < 0) {
    problems.push(`lameDuck.gracePeriodSeconds is ${gracePeriodSeconds}; use whole seconds >= 0`);
  }
  const { jetstream } = topology;
  if (!/^[A-Za-z0-9_-]+$/.test(jetstream.domain))
    problems.push(`jetstream.domain "${jetstream.domain}" may hold only letters, digits, "-" and "_"`);
  for (const [what, bytes] of Object.entries({
    maxMemoryBytes: jetstream.maxMemoryBytes,
    maxFileBytes: jetstream.maxFileBytes,
  })) {
    if (!Number.isSafeInteger(bytes) || bytes < 0) problems.push(`jetstream.${what} is ${bytes}; use whole bytes >= 0`);
  }
  const leafUsers = topology.leafnode?.role === "listen" ? topology.leafnode.users : [];
  const users = [...topology.accounts.system, ...topology.accounts.app, ...leafUsers];
  if (topology.accounts.app.length === 0) problems.push("accounts.app has no user; nobody could use JetStream");
  users.forEach((user, index) => {
    if (user.user === "") problems.push(`user #${index + 1} has an empty name`);
    checkValue(`the password of user "${user.user}"`, user.password);
  });
  const names = users.map((user) => user.user);
  for (const name of new Set(names.filter((name, index) => names.indexOf(name) !== index))) {
    problems.push(`user "${name}" is defined twice; nats-server needs unique user names across accounts and leafnodes`);
  }
  if (topology.cluster !== undefined) {
    checkListener("cluster.listen", topology.cluster.listen);
    if (topology.cluster.routes.length === 0) problems.push("cluster.routes is empty; list every member's route URL");
  }
  const leafnode = topology.leafnode;
  if (leafnode?.role === "listen") {
    checkListener("leafnode.listen", leafnode.listen);
    if (leafnode.users.length === 0) problems.push("leafnode.users is empty; the other region could not authenticate");
  }
  if (leafnode?.role === "dial") {
    if (leafnode.urls.length === 0) problems.push("leafnode.urls is empty; give the listening region's URL");
    leafnode.urls.forEach((url, index) => checkValue(`leafnode.urls[${index}]`, url));
    if (!Number.isInteger(leafnode.reconnectSeconds) || leafnode.reconnectSeconds < 1) {
      problems.push(`leafnode.reconnectSeconds is ${leafnode.reconnectSeconds}; use whole seconds >= 1`);
    }
  }
  if (problems.length > 0) throw new Error(`renderNatsConf: invalid topology: ${problems.join("; ")}`);
}
