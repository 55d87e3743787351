// npm run orphans -- list|republish --region us-east-1=nats://... --region eu-central-1=nats://... [...]
import fs from "node:fs";
import path from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { parseOrphansArgs, type OrphansOptions } from "./orphans/args";
import { renderOrphanList, renderRepublish, republishSucceeded } from "./orphans/evidence";
import { findOrphanStreams } from "./orphans/find";
import { republishOrphans } from "./orphans/run";
import { connectTarget, resolveCredentials, type RegionTarget } from "./status/collect";

async function main(): Promise<number> {
  let options: OrphansOptions;
  try {
    const parsed = parseOrphansArgs(process.argv.slice(2), process.env);
    if ("help" in parsed) {
      process.stdout.write(`${parsed.help}\n`);
      return 0;
    }
    options = parsed;
  } catch (error) {
    process.stderr.write(`orphans: ${(error as Error).message}\n`);
    return 2;
  }
  const credentials = resolveCredentials(options);
  const open: NatsConnection[] = [];
  const connectTo = async (target: RegionTarget) => {
    const nc = await connectTarget(target, credentials, options.timeoutMs, `nats-dr orphans ${options.action}`).catch(
      (error: unknown) => {
        throw new Error(
          `${target.region} (${target.servers.join(", ")}) did not accept a connection: ${String((error as Error)?.message ?? error)}`,
        );
      },
    );
    open.push(nc);
    return nc;
  };
  const manager = async (target: RegionTarget) =>
    jetstreamManager(await connectTo(target), { domain: target.domain, timeout: options.timeoutMs, checkAPI: false });
  try {
    if (options.action === "list") {
      const regions = [];
      for (const target of options.targets)
        regions.push({
          region: target.region,
          orphans: await findOrphanStreams(await manager(target), options.streams),
        });
      process.stdout.write(options.json ? `${JSON.stringify({ regions }, null, 2)}\n` : renderOrphanList(regions));
      return 0;
    }
    const { from, to } = options;
    const active = await connectTo(to);
    const file =
      options.evidenceFile ?? `orphans-republish-${from.region}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
    const evidence = await republishOrphans(
      { region: from.region, domain: from.domain, jsm: await manager(from) },
      {
        region: to.region,
        domain: to.domain,
        jsm: await jetstreamManager(active, { domain: to.domain, timeout: options.timeoutMs, checkAPI: false }),
        js: jetstream(active, { timeout: options.timeoutMs }),
      },
      {
        streams: options.streams,
        dryRun: options.dryRun,
        publishTimeoutMs: options.timeoutMs,
        ...(options.dryRun ? {} : { record: (record) => writeJson(file, record) }),
      },
    );
    process.stdout.write(
      options.json
        ? `${JSON.stringify(evidence, null, 2)}\n`
        : renderRepublish(evidence, options.dryRun ? undefined : file),
    );
    return republishSucceeded(evidence) ? 0 : 1;
  } finally {
    await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
  }
}

/** Written whole to a temporary name and renamed: an auditor never finds half a file. */
function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(temporary, file);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`orphans: ${String((error as Error)?.message ?? error)}\n`);
    process.exit(1);
  },
);
