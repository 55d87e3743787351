// The drill's --server-nice: a nats-server started with a niceness has it in every thread, the
// ones the Go runtime starts later included (renicing a running server changes its first only).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { natsServerBinary } from "../../drill/local/binaries";
import { orphanSafeCommand, spawnLogged } from "../../drill/local/cleanup";
import { eventually } from "../support/provider";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nats-dr-nice-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The niceness of every thread of `pid` (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNiceness(pid: number): number[] {
  return fs.readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
  });
}

describe("region niceness", () => {
  it("without a niceness the command is the server's own", () => {
    const command = orphanSafeCommand("/bin/true", ["-x"]);
    expect(command.args.slice(-2)).toEqual(["/bin/true", "-x"]);
    expect(command.args).not.toContain("/usr/bin/nice");
  });

  it.runIf(process.platform === "linux")("every thread of a server started at niceness 7 has 7", async () => {
    const { child, exited } = spawnLogged(
      natsServerBinary(),
      ["-p", "-1", "-a", "127.0.0.1"],
      dir,
      path.join(dir, "server.log"),
      7,
    );
    try {
      const pid = child.pid!;
      // The Go runtime starts its threads as it goes; wait until there are several.
      const threads = await eventually("four threads or more", async () => {
        const niceness = threadNiceness(pid);
        return niceness.length >= 4 && niceness;
      });
      expect(new Set(threads)).toEqual(new Set([7]));
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
  });
});
