import { execFile, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { natsServerBinary } from "./binaries";
import { makeTempDir, regionNiceness, removeTempDir, spawnLogged } from "./cleanup";
import { healthz } from "./monitor";
import { settlesWithin, sleep } from "./wait";

/** Directories the harness prepares for a server before rendering its config. */
export interface ServerDirs {
  /** Holds the config file, the log file and the store. */
  readonly tempDir: string;
  /** `<tempDir>/store`; use it as the JetStream `store_dir`. */
  readonly storeDir: string;
}

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /** Server name; names the temp dir, the config and log files and appears in errors. */
  readonly name: string;
  /**
   * The config file's text, or a function of the server's directories that returns it. The
   * config must enable the http monitor; the harness reads the client and monitor ports from
   * the server's log, so `-1` (random) ports work too (they change on restart).
   */
  readonly configText: string | ((dirs: ServerDirs) => string);
  /** Use this dir instead of a new one; it is then kept by dispose(). @default new temp dir */
  readonly tempDir?: string;
  /** Where stdout and stderr go (appended). @default `<tempDir>/<name>.log` */
  readonly logFile?: string;
  /** Bound for the server to answer /healthz with 200, in ms. @default 30_000 */
  readonly readyTimeoutMs?: number;
}

/** A running (or stopped, restartable) nats-server process. */
export interface ServerHandle {
  readonly name: string;
  /** `nats://127.0.0.1:<clientPort>` */
  readonly clientUrl: string;
  readonly clientPort: number;
  readonly monitorPort: number;
  readonly tempDir: string;
  readonly storeDir: string;
  readonly configFile: string;
  /** stdout and stderr of every run of this server, appended. */
  readonly logFile: string;
  readonly running: boolean;
  /** Process id of the running server; undefined when stopped. */
  readonly pid: number | undefined;
  /** SIGTERM, wait for exit; SIGKILL if it has not exited after 10 s. No-op when stopped. */
  stop(): Promise<void>;
  /** SIGKILL, wait for exit (a crash). No-op when stopped. */
  kill(): Promise<void>;
  /** Starts the server again with the same config and store; resolves when /healthz is 200. */
  start(): Promise<void>;
  /** stop(), then remove the temp dir if the harness created it. */
  dispose(): Promise<void>;
  /** The last `lines` lines of the log file. */
  logTail(lines?: number): string;
}

const STOP_GRACE_MS = 10_000;

/**
 * Tests the config with `nats-server -t`, starts the server with its output in a log file and
 * waits until `/healthz` answers 200. Members of a JetStream cluster only become healthy once
 * a meta leader exists, so start cluster members together (Promise.all).
 */
export async function startServer(options: StartServerOptions): Promise<ServerHandle> {
  const ownsTempDir = options.tempDir === undefined;
  const tempDir = options.tempDir ?? (await makeTempDir(options.name));
  const dirs: ServerDirs = { tempDir, storeDir: path.join(tempDir, "store") };
  const configText = typeof options.configText === "function" ? options.configText(dirs) : options.configText;
  const server = new NatsServerProcess(
    options.name,
    dirs,
    options.logFile ?? path.join(tempDir, `${options.name}.log`),
    ownsTempDir,
    options.readyTimeoutMs ?? 30_000,
  );
  try {
    await fs.promises.writeFile(server.configFile, configText);
    await testConfig(server.configFile, configText);
    await server.start();
  } catch (err) {
    await server.dispose();
    throw err;
  }
  return server;
}

/** Runs `nats-server -t -c <file>`; throws with the server's output if it rejects the file. */
async function testConfig(configFile: string, configText: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile(natsServerBinary(), ["-t", "-c", configFile], { timeout: 15_000 }, (err, stdout, stderr) => {
      if (err === null) {
        resolve();
        return;
      }
      const output = `${stdout}${stderr}`.trim();
      reject(new Error(`nats-server -t rejected ${configFile}:\n${output}\n--- config ---\n${configText}`));
    });
  });
}

interface Run {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

class NatsServerProcess implements ServerHandle {
  readonly configFile: string;
  readonly tempDir: string;
  readonly storeDir: string;
  private run: Run | undefined;
  private ports: { client: number; monitor: number } | undefined;
  private runCount = 0;

  constructor(
    readonly name: string,
    dirs: ServerDirs,
    readonly logFile: string,
    private readonly ownsTempDir: boolean,
    private readonly readyTimeoutMs: number,
  ) {
    this.tempDir = dirs.tempDir;
    this.storeDir = dirs.storeDir;
    this.configFile = path.join(dirs.tempDir, `${name}.conf`);
  }

  get clientPort(): number {
    return this.knownPorts().client;
  }

  get monitorPort(): number {
    return this.knownPorts().monitor;
  }

  get clientUrl(): string {
    return `nats://127.0.0.1:${this.clientPort}`;
  }

  get running(): boolean {
    return this.run !== undefined && isAlive(this.run.child);
  }

  get pid(): number | undefined {
    return this.running ? this.run?.child.pid : undefined;
  }

  async start(): Promise<void> {
    if (this.running) {
      throw new Error(`nats-server ${this.name} is already running.`);
    }
    this.runCount += 1;
    fs.appendFileSync(this.logFile, `--- nats-dr harness: start #${this.runCount} of ${this.name} ---\n`);
    const logOffset = fs.statSync(this.logFile).size;
    const { child, exited } = spawnLogged(
      natsServerBinary(),
      ["-c", this.configFile],
      this.tempDir,
      this.logFile,
      regionNiceness(),
    );
    this.run = { child, exited };
    try {
      await this.waitReady(child, logOffset);
    } catch (err) {
      await this.kill();
      throw err;
    }
  }

  async stop(): Promise<void> {
    const run = this.run;
    if (run === undefined || !isAlive(run.child)) {
      return;
    }
    run.child.kill("SIGTERM");
    if (!(await settlesWithin(run.exited, STOP_GRACE_MS))) {
      run.child.kill("SIGKILL");
      await run.exited;
    }
  }

  async kill(): Promise<void> {
    const run = this.run;
    if (run === undefined || !isAlive(run.child)) {
      return;
    }
    run.child.kill("SIGKILL");
    await run.exited;
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsTempDir) {
      await removeTempDir(this.tempDir);
    }
  }

  logTail(lines = 30): string {
    try {
      return fs.readFileSync(this.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  private knownPorts(): { client: number; monitor: number } {
    if (this.ports === undefined) {
      throw new Error(`nats-server ${this.name} has not reported its ports yet; await startServer() first.`);
    }
    return this.ports;
  }

  /** Reads the ports from the log, then polls /healthz until 200, the process exits or time is up. */
  private async waitReady(child: ChildProcess, logOffset: number): Promise<void> {
    const deadline = Date.now() + this.readyTimeoutMs;
    let last = "no ports in the log yet";
    while (Date.now() < deadline) {
      if (!isAlive(child)) {
        throw this.startError(`exited during startup (code ${child.exitCode}, signal ${child.signalCode})`);
      }
      const log = readFrom(this.logFile, logOffset);
      const client = /Listening for client connections on \S+:(\d+)/.exec(log);
      const monitor = /Starting http(?:s)? monitor on \S+:(\d+)/.exec(log);
      if (monitor === null && /Server is ready/.test(log)) {
        throw this.startError("has no http monitor; add `http: 127.0.0.1:<port>` to its config");
      }
      if (client !== null && monitor !== null) {
        this.ports = { client: Number(client[1]), monitor: Number(monitor[1]) };
        try {
          const health = await healthz(this.ports.monitor);
          if (health.httpStatus === 200) {
            return;
          }
          last = `/healthz answered ${health.httpStatus} ${health.error ?? health.status}`;
        } catch (err) {
          last = `/healthz failed: ${err instanceof Error ? err.message : String(err)}`;
        }
      }
      await sleep(50);
    }
    throw this.startError(`was not healthy within ${this.readyTimeoutMs} ms (${last})`);
  }

  private startError(what: string): Error {
    return new Error(`nats-server ${this.name} ${what}. Log ${this.logFile} ends with:\n${this.logTail()}`);
  }
}

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null && child.pid !== undefined;
}

function readFrom(file: string, offset: number): string {
  const text = fs.readFileSync(file);
  return text.subarray(offset).toString("utf8");
}
