// npm run status -- --region us-east-1=nats://... --region eu-central-1=nats://... [--json]
import { parseStatusArgs } from "./status/args";
import { collectStatus, isHealthy, resolveCredentials } from "./status/collect";
import { renderStatus } from "./status/render";

async function main(): Promise<number> {
  let options;
  try {
    options = parseStatusArgs(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`status: ${(error as Error).message}\n`);
    return 2;
  }
  if ("help" in options) {
    process.stdout.write(`${options.help}\n`);
    return 0;
  }
  const status = await collectStatus(options.targets, resolveCredentials(options), options.timeoutMs);
  process.stdout.write(
    options.json
      ? `${JSON.stringify({ at: new Date().toISOString(), healthy: isHealthy(status), regions: status }, null, 2)}\n`
      : renderStatus(status),
  );
  return isHealthy(status) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`status: ${String((error as Error)?.stack ?? error)}\n`);
    process.exit(2);
  },
);
