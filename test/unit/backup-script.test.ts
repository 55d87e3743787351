// The generated backup script: deterministic, a pure function of the region's streams, valid bash.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { backupStreams, renderBackupScript } from "../../infra/backup";
import { parsed, rawConfig } from "./support";

describe("backup script", () => {
  it("the streams of a region: replicated ones everywhere, GDPR ones only in eu-central-1, whatever is active", () => {
    for (const active of ["us-east-1", "eu-central-1"] as const) {
      expect(backupStreams(parsed(rawConfig("us-east-1", { activeRegion: active })))).toEqual([
        "audit",
        "events",
        "metrics",
        "notifications",
      ]);
      expect(backupStreams(parsed(rawConfig("eu-central-1", { activeRegion: active })))).toEqual([
        "audit",
        "audit-eu-gdpr",
        "events",
        "events-eu-gdpr",
        "metrics",
        "notifications",
      ]);
    }
  });

  it("the same streams give the same text, byte for byte", () => {
    const input = { region: "eu-central-1", streams: backupStreams(parsed(rawConfig("eu-central-1"))) };
    const text = renderBackupScript(input);
    expect(renderBackupScript({ ...input, streams: [...input.streams] })).toBe(text);
    expect(text).toContain("${BACKUP_TIMESTAMP:-$(date -u +%Y%m%dT%H%M%SZ)}"); // the time is taken at run time
    expect(text.split("\n")[0]).toBe("#!/usr/bin/env bash");
    expect(text).toContain("\nset -euo pipefail\n");
    expect(text).toContain("\nSTREAMS=(audit audit-eu-gdpr events events-eu-gdpr metrics notifications)\n");
    expect(text).toContain('"$nats_cli" stream backup --no-progress');
    expect(text).toContain('"$aws_cli" s3 cp --recursive --only-show-errors "$1" "s3://$bucket/$key_prefix$2/"');
    expect(text).toContain('"$aws_cli" s3api list-objects-v2 --bucket "$bucket" --prefix "$key_prefix$1/"');
  });

  it("is valid bash", () => {
    const text = renderBackupScript({ region: "us-east-1", streams: ["audit", "events"] });
    expect(() => execFileSync("bash", ["-n"], { input: text })).not.toThrow();
  });

  it("refuses stream names that are not JetStream names, and an empty list", () => {
    expect(() => renderBackupScript({ region: "us-east-1", streams: ["events; rm -rf /"] })).toThrow(
      /is not a valid stream name/,
    );
    expect(() => renderBackupScript({ region: "us-east-1", streams: [] })).toThrow(/nothing to back up/);
  });
});
