// Options of `npm run status`. Pure: argv and environment in, targets and credentials out.
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import type { RegionTarget, StatusCredentials } from "./collect";

export const STATUS_USAGE = `npm run status -- --region NAME=URL[,URL...] [--region ...] [options]

Health and JetStream status of each region: every server (connect + server info, and
/healthz and the file store's use, reservation and limit when a monitor URL is given), every
stream's role (primary, mirror, fenced), messages, last sequence, mirror lag and last contact,
its retention (bytes against maxBytes, oldest message against maxAge), each consumer's pending
and ack floor, and mirrors whose origin was re-created or diverged (BROKEN).

  --region NAME=URLS   client URLs of a region, e.g. us-east-1=nats://10.0.0.1:4222,nats://10.0.0.2:4222
  --monitor NAME=URLS  monitoring URLs of a region's servers, e.g. us-east-1=http://10.0.0.1:8222
  --domain NAME=DOMAIN JetStream domain of a region (default: the region name)
  --user USER          or NATS_USER; the password from NATS_PASSWORD (or --password)
  --token TOKEN        or NATS_TOKEN
  --creds FILE         or NATS_CREDS: a .creds file
  --timeout MS         per request (default 3000)
  --json               machine-readable output
  -h, --help

Exit status: 0 when every server and monitor is healthy, every region lists its streams and
no mirror is broken, 1 otherwise, 2 on bad options.`;

export interface StatusOptions extends RegionConnectionOptions {
  readonly json: boolean;
}

function pairs(flag: string, items: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of items) {
    const at = item.indexOf("=");
    if (at <= 0 || at === item.length - 1)
      throw new Error(`--${flag} takes NAME=VALUE, e.g. --${flag} us-east-1=...; got "${item}".`);
    out.set(item.slice(0, at), item.slice(at + 1));
  }
  return out;
}

const list = (text: string) =>
  text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);

/** parseArgs options every command that talks to the regions takes (status, orphans). */
export const REGION_OPTIONS = {
  region: { type: "string", multiple: true, default: [] as string[] },
  domain: { type: "string", multiple: true, default: [] as string[] },
  user: { type: "string" },
  password: { type: "string" },
  token: { type: "string" },
  creds: { type: "string" },
  timeout: { type: "string" },
} satisfies ParseArgsOptionsConfig;

/** What parseArgs gives for {@link REGION_OPTIONS}. */
export interface RegionOptionValues {
  readonly region?: readonly string[];
  readonly domain?: readonly string[];
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  readonly creds?: string;
  readonly timeout?: string;
}

/** The regions' servers and the credentials, as --region/--domain/--user/--token/--creds/--timeout give them. */
export interface RegionConnectionOptions {
  readonly targets: readonly RegionTarget[];
  readonly credentials: StatusCredentials;
  readonly credsFile?: string;
  readonly timeoutMs: number;
}

/**
 * Regions, credentials and timeout from parsed flags and the environment; throws a one-line error
 * naming the bad option. `monitors` are the --monitor pairs of a command that takes them.
 */
export function parseRegionConnection(
  values: RegionOptionValues,
  env: NodeJS.ProcessEnv,
  monitors: ReadonlyMap<string, string> = new Map(),
): RegionConnectionOptions {
  const regions = pairs("region", values.region ?? []);
  if (regions.size === 0) throw new Error("give at least one --region NAME=nats://host:4222 (see --help).");
  const domains = pairs("domain", values.domain ?? []);
  for (const name of [...monitors.keys(), ...domains.keys()]) {
    if (!regions.has(name))
      throw new Error(`--monitor/--domain name "${name}", which no --region gives; add --region ${name}=nats://...`);
  }
  const timeoutMs = values.timeout === undefined ? 3000 : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 60_000)
    throw new Error(`--timeout must be whole ms from 100 to 60000; got "${values.timeout}".`);
  const user = values.user ?? env["NATS_USER"];
  const password = values.password ?? env["NATS_PASSWORD"];
  const token = values.token ?? env["NATS_TOKEN"];
  const credsFile = values.creds ?? env["NATS_CREDS"];
  const methods = [user, token, credsFile].filter((value) => value !== undefined && value !== "");
  if (methods.length > 1)
    throw new Error("set only one of --user/NATS_USER, --token/NATS_TOKEN or --creds/NATS_CREDS.");
  const targets = [...regions].map(([region, urls]) => {
    const servers = list(urls);
    for (const url of servers)
      if (!/^(nats|tls):\/\/[^\s/@]+(:\d+)?\/?$/.test(url))
        throw new Error(
          `--region ${region}: "${url}" is not a server URL such as nats://host:4222 (credentials go in --user/NATS_USER, not the URL).`,
        );
    return { region, domain: domains.get(region) ?? region, servers, monitors: list(monitors.get(region) ?? "") };
  });
  const credentials: StatusCredentials = user
    ? { user, ...(password === undefined ? {} : { password }) }
    : token
      ? { token }
      : {};
  return { targets, credentials, ...(credsFile ? { credsFile } : {}), timeoutMs };
}

/** Options, or the usage text; throws a one-line error naming the bad option. */
export function parseStatusArgs(argv: readonly string[], env: NodeJS.ProcessEnv): StatusOptions | { help: string } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      ...REGION_OPTIONS,
      monitor: { type: "string", multiple: true, default: [] },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return { help: STATUS_USAGE };
  return { ...parseRegionConnection(values, env, pairs("monitor", values.monitor ?? [])), json: values.json ?? false };
}
