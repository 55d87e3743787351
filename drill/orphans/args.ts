// Options of `npm run orphans`. Pure: argv and environment in, what to do out. The regions'
// servers and credentials are parsed as `npm run status` parses them.
import { parseArgs } from "node:util";
import { parseRegionConnection, REGION_OPTIONS, type RegionConnectionOptions } from "../status/args";
import type { RegionTarget } from "../status/collect";

export const ORPHANS_USAGE = `npm run orphans -- list --region NAME=URL[,URL...] [--region ...] [options]
npm run orphans -- republish --from NAME --to NAME --region NAME=URLS --region NAME=URLS [options]

Orphan streams are what a demotion kept of the messages the old primary had stored and never
replicated (<stream>-orphans-<sequence>, the stack output failoverEvidence.<stream>.pendingOrphans).
"list" shows them per region. "republish" publishes every message of the orphan streams in --from
to its original subject in --to (the active region) with its original Nats-Msg-Id, or, without
one, an id derived from its stream, sequence and time; checks each publish ack and reads every
message back; writes the evidence file; and only then deletes the orphan stream. An orphan stream
with a message that did not verify is kept (exit status 1). A repeat run stores nothing twice:
the active stream's duplicate window catches repeated ids, and the orphan stream's metadata
natsdr.republished-through says how far an earlier run verified.

  --region NAME=URLS   client URLs of a region, e.g. us-east-1=nats://10.0.0.1:4222,nats://10.0.0.2:4222
  --domain NAME=DOMAIN JetStream domain of a region (default: the region name)
  --from NAME          republish: the region holding the orphan streams (the one that was demoted)
  --to NAME            republish: the active region (default: the other --region)
  --stream NAME        only the orphan streams of this stream (repeatable)
  --dry-run            republish: list what would be published, change nothing
  --evidence FILE      republish: where the evidence JSON goes
                       (default orphans-republish-<from>-<time>.json in the current directory)
  --user USER          or NATS_USER; the password from NATS_PASSWORD (or --password)
  --token TOKEN        or NATS_TOKEN
  --creds FILE         or NATS_CREDS: a .creds file
  --timeout MS         per request and publish (default 3000)
  --json               machine-readable output
  -h, --help

Exit status: 0 when done (republish: every orphan stream verified and removed), 1 when an
orphan stream was kept or a region did not answer, 2 on bad options.`;

export const OrphanActions = { list: "list", republish: "republish" } as const;

export type OrphansOptions = RegionConnectionOptions & {
  readonly streams: readonly string[];
  readonly json: boolean;
} & (
    | { readonly action: typeof OrphanActions.list }
    | {
        readonly action: typeof OrphanActions.republish;
        readonly from: RegionTarget;
        readonly to: RegionTarget;
        readonly dryRun: boolean;
        /** Undefined: the command names one (it needs the time). */
        readonly evidenceFile?: string;
      }
  );

/** Options, or the usage text; throws a one-line error naming the bad option. */
export function parseOrphansArgs(argv: readonly string[], env: NodeJS.ProcessEnv): OrphansOptions | { help: string } {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      ...REGION_OPTIONS,
      from: { type: "string" },
      to: { type: "string" },
      stream: { type: "string", multiple: true, default: [] },
      "dry-run": { type: "boolean", default: false },
      evidence: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return { help: ORPHANS_USAGE };
  const [action, ...extra] = positionals;
  if (action !== OrphanActions.list && action !== OrphanActions.republish)
    throw new Error(
      `give the action first, "list" or "republish" (e.g. npm run orphans -- list --region us-east-1=nats://...); got ${action === undefined ? "none" : `"${action}"`}.`,
    );
  if (extra.length > 0) throw new Error(`unexpected argument "${extra[0]}" after ${action}; options start with --.`);
  const connection = parseRegionConnection(values, env);
  const streams = values.stream ?? [];
  for (const stream of streams)
    if (!/^[^\s.*>]+$/.test(stream))
      throw new Error(`--stream "${stream}" is not a stream name (no spaces, dots or wildcards).`);
  const common = { ...connection, streams, json: values.json ?? false };
  if (action === OrphanActions.list) {
    for (const flag of ["from", "to", "evidence"] as const)
      if (values[flag] !== undefined) throw new Error(`--${flag} belongs to republish, not list.`);
    if (values["dry-run"]) throw new Error("--dry-run belongs to republish; list changes nothing anyway.");
    return { ...common, action };
  }
  const named = (flag: "from" | "to", name: string) => {
    const target = connection.targets.find((candidate) => candidate.region === name);
    if (!target) throw new Error(`--${flag} ${name}: no --region ${name}=nats://... gives its servers.`);
    return target;
  };
  if (values.from === undefined)
    throw new Error("republish needs --from NAME, the region holding the orphan streams (the demoted one).");
  const from = named("from", values.from);
  const others = connection.targets.filter((target) => target.region !== from.region);
  if (values.to === undefined && others.length !== 1)
    throw new Error(
      `republish needs --to NAME, the active region; ${others.length === 0 ? "give its --region too" : "more than one other --region is given"}.`,
    );
  const to = values.to === undefined ? others[0]! : named("to", values.to);
  if (to.region === from.region || to.domain === from.domain)
    throw new Error(`--from and --to are both ${from.region} (domain ${from.domain}); --to is the active region.`);
  if (values.evidence === "") throw new Error("--evidence needs a file name.");
  return {
    ...common,
    action,
    from,
    to,
    dryRun: values["dry-run"] ?? false,
    ...(values.evidence === undefined ? {} : { evidenceFile: values.evidence }),
  };
}
