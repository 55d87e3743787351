// The generated backup script run for real: real nats-servers, the real `nats` CLI, the upload
// pointed at a local folder (and at S3 through a stand-in `aws` that keeps objects in a folder).
// Every backup is restored into an empty server with `nats stream restore` and compared message by
// message: sequence, subject, data, headers and time.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import type { JetStreamManager, StoredMsg } from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backupStreams, renderBackupScript } from "../../infra/backup";
import { planRegionStreams } from "../../infra/streams";
import { CREDENTIALS, connectApp, makeTempDir, natsCliBinary, removeTempDir, startStandalone } from "../harness";
import type { Standalone } from "../harness";
import { parsed, rawConfig } from "../unit/support";

const TIMESTAMP = "20250102T030405Z";
const config = parsed(rawConfig("eu-central-1"));
const streams = backupStreams(config);

let source: Standalone;
let dir: string;
let nc: NatsConnection;
let jsm: JetStreamManager;

interface RunResult {
  code: number;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr: String(stderr) });
    });
  });
}

const natsEnv = (server: Standalone) => ({
  NATS_URL: server.clientUrl,
  NATS_USER: CREDENTIALS.app.user,
  NATS_PASSWORD: CREDENTIALS.app.password,
  NATS_CLI: natsCliBinary(),
});

function writeScript(name: string, streamNames: readonly string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, renderBackupScript({ region: "eu-central-1", streams: streamNames }), { mode: 0o755 });
  return file;
}

/** A stand-in for the aws CLI: `s3 cp --recursive` and `s3api list-objects-v2` over a folder. */
function writeFakeAws(): string {
  const file = path.join(dir, "fake-aws");
  fs.writeFileSync(
    file,
    `#!/usr/bin/env bash
set -euo pipefail
store="$FAKE_S3"
if [[ "$1 $2" == "s3 cp" ]]; then
  [[ "$3 $4" == "--recursive --only-show-errors" ]] || { echo "fake aws: unexpected $*" >&2; exit 2; }
  src="$5"; dest="\${6#s3://}"
  mkdir -p "$store/$dest" && cp -R "$src/." "$store/$dest"
  if [[ -n "\${FAKE_S3_DROP:-}" ]]; then rm -f "$store/$dest/$FAKE_S3_DROP"; fi
elif [[ "$1 $2" == "s3api list-objects-v2" ]]; then
  bucket="$4"; prefix="$6"
  (cd "$store/$bucket" && find . -type f -path "./$prefix*" | sed 's|^\\./||' | while read -r key; do printf '%s\\t%s\\n' "$key" "$(wc -c < "$key" | tr -d ' ')"; done)
else
  echo "fake aws: unexpected $*" >&2; exit 2
fi
`,
    { mode: 0o755 },
  );
  return file;
}

/** Every message of a stream by sequence; undefined where a sequence was deleted. */
async function messages(manager: JetStreamManager, stream: string): Promise<Map<number, StoredMsg | undefined>> {
  const info = await manager.streams.info(stream);
  const found = new Map<number, StoredMsg | undefined>();
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    found.set(seq, (await manager.streams.getMessage(stream, { seq })) ?? undefined);
  }
  return found;
}

function comparable(message: StoredMsg | undefined) {
  if (message === undefined) return undefined;
  const headerEntries = message.header
    ? [...message.header.keys()].sort().map((key) => [key, message.header.values(key)])
    : [];
  return {
    seq: message.seq,
    subject: message.subject,
    data: Buffer.from(message.data).toString("base64"),
    headers: headerEntries,
    time: message.timestamp,
  };
}

beforeAll(async () => {
  dir = await makeTempDir("backup");
  source = await startStandalone({ name: "backup-source", domain: "eu-central-1" });
  nc = await connectApp(source.clientUrl);
  jsm = await jetstreamManager(nc);
  const js = jsm.jetstream();
  for (const stream of planRegionStreams(config)) {
    await jsm.streams.add({
      name: stream.name,
      subjects: stream.spec.subjects,
      storage: "file",
      num_replicas: 1,
    });
    for (let index = 0; index < 25; index++) {
      const subject = stream.spec.subjects[index % stream.spec.subjects.length]!.replace("*", `item${index}`).replace(
        ">",
        "rest",
      );
      const header = natsHeaders();
      header.set("Nats-Msg-Id", `${stream.name}-${index}`);
      header.append("X-Trace", `trace-${index}`);
      header.append("X-Trace", "second value");
      await js.publish(subject, new Uint8Array([index, 0, 255, ...Buffer.from(`${stream.name} message ${index}`)]), {
        headers: header,
      });
    }
  }
  // Gaps in the sequence must survive too.
  await jsm.streams.deleteMessage("audit", 5);
  await jsm.streams.deleteMessage("events-eu-gdpr", 1);
  await jsm.consumers.add("audit", {
    durable_name: "reporting-consumer",
    ack_policy: "explicit",
    filter_subject: "compliance.*",
  });
});

afterAll(async () => {
  await nc?.close();
  await source?.stop();
  if (dir) await removeTempDir(dir);
});

describe("backup script against real servers", () => {
  it("backs up every eu-central-1 stream to a folder, and each backup restores into an empty server identically", async () => {
    const script = writeScript("backup.sh", streams);
    const target = path.join(dir, "file-target");
    const result = await run("bash", [script], {
      ...natsEnv(source),
      BACKUP_TARGET: `file://${target}`,
      BACKUP_TIMESTAMP: TIMESTAMP,
      NATS_DOMAIN: "eu-central-1",
    });
    expect(result.stderr).toContain(`done: 6 streams backed up to file://${target}/<stream>/${TIMESTAMP}`);
    expect(result.code).toBe(0);
    expect(fs.readdirSync(target).sort()).toEqual(streams);
    for (const stream of streams)
      expect(fs.readdirSync(path.join(target, stream, TIMESTAMP)).sort()).toEqual([
        "SHA256SUMS",
        "backup.json",
        "stream.tar.s2",
      ]);

    const empty = await startStandalone({ name: "restore-target", domain: "eu-central-1" });
    const restoreConnection = await connectApp(empty.clientUrl);
    try {
      const restored = await jetstreamManager(restoreConnection);
      for (const stream of streams) {
        const restore = await run(
          natsCliBinary(),
          ["stream", "restore", "--no-progress", path.join(target, stream, TIMESTAMP)],
          natsEnv(empty),
        );
        expect(restore.code, restore.stderr).toBe(0);
        const [original, copy] = await Promise.all([messages(jsm, stream), messages(restored, stream)]);
        expect(copy.size).toBe(original.size);
        expect([...copy.values()].filter((message) => message !== undefined).length).toBe(
          stream === "audit" || stream === "events-eu-gdpr" ? 24 : 25,
        );
        expect([...copy.values()].map(comparable)).toEqual([...original.values()].map(comparable));
        expect((await restored.streams.info(stream)).config.subjects).toEqual(
          (await jsm.streams.info(stream)).config.subjects,
        );
      }
      expect((await restored.consumers.info("audit", "reporting-consumer")).config.filter_subject).toBe("compliance.*");
    } finally {
      await restoreConnection.close();
      await empty.stop();
    }
  });

  it("uploads to s3://<bucket>/<prefix>/<stream>/<timestamp>/ with the aws CLI and verifies the listing", async () => {
    const store = path.join(dir, "fake-s3");
    const script = writeScript("backup-s3.sh", ["audit", "metrics"]);
    const env = {
      ...natsEnv(source),
      BACKUP_TARGET: "s3://nats-dr-eu-central-1-backups/jetstream",
      BACKUP_TIMESTAMP: TIMESTAMP,
      AWS_CLI: writeFakeAws(),
      FAKE_S3: store,
    };
    const result = await run("bash", [script], env);
    expect(result.code, result.stderr).toBe(0);
    expect(
      fs.readdirSync(path.join(store, "nats-dr-eu-central-1-backups", "jetstream", "audit", TIMESTAMP)).sort(),
    ).toEqual(["SHA256SUMS", "backup.json", "stream.tar.s2"]);
  });

  it("fails loudly when an upload is incomplete or a stream is missing", async () => {
    const store = path.join(dir, "fake-s3-broken");
    const script = writeScript("backup-broken.sh", ["audit"]);
    const broken = await run("bash", [script], {
      ...natsEnv(source),
      BACKUP_TARGET: "s3://bucket/jetstream",
      AWS_CLI: writeFakeAws(),
      FAKE_S3: store,
      FAKE_S3_DROP: "stream.tar.s2",
    });
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toMatch(
      /backup: FAILED: audit: s3:\/\/bucket\/jetstream\/audit\/\d{8}T\d{6}Z does not hold what was backed up/,
    );

    const missing = await run("bash", [writeScript("backup-missing.sh", ["audit", "no-such-stream"])], {
      ...natsEnv(source),
      BACKUP_TARGET: `file://${path.join(dir, "missing")}`,
    });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("backup: FAILED: no-such-stream: nats stream backup exited with");

    const noTarget = await run("bash", [script], natsEnv(source));
    expect(noTarget.code).not.toBe(0);
    expect(noTarget.stderr).toContain("set BACKUP_TARGET to s3://<bucket>/<prefix> or file:///<dir>");
  });
});
