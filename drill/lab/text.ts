// What the lab prints: the environment for another shell, the summary after `pulumi up` with the
// commands of a failover by hand, and the table of its processes. Pure.
import { peerOf } from "../../infra/config/regions";
import { labRegions, type LabRegion } from "./pair";
import { pulumiEnv, toolPathDirs } from "../pulumi/env";
import { shellWord } from "../shell";
import { statusCommandLine, type StatusRegion } from "../status/command";
import { PROJECT_ROOT } from "../local/binaries";
import { LAB_DIR_ENV, labStackName, type LabPaths } from "./paths";
import type { LabState } from "./state";

export function statusRegions(state: LabState): StatusRegion[] {
  return labRegions.map((region) => ({
    region,
    clientUrls: state.regions[region].servers.map((server) => server.clientUrl),
    monitorUrls: state.regions[region].servers.map((server) => server.monitorUrl),
  }));
}

/**
 * `npm run` as typed in the lab's project dir: the checkout's own, or (a lab elsewhere, whose
 * project dir has no scripts/) the checkout's scripts through `npm --prefix`.
 */
function npmRun(paths: LabPaths): string {
  return paths.projectIsCheckout ? "npm run" : `npm --prefix ${shellWord(PROJECT_ROOT)} run`;
}

/** `npm run -s lab --` as typed in the project dir, naming the lab's folder when it is not the checkout's. */
export function labCommand(paths: LabPaths): string {
  return paths.projectIsCheckout
    ? "npm run -s lab --"
    : `${LAB_DIR_ENV}=${shellWord(paths.dir)} ${npmRun(paths)} -s lab --`;
}

function statusLine(state: LabState, paths: LabPaths): string {
  return statusCommandLine(statusRegions(state), state.users.app, npmRun(paths));
}

/** `export` lines for `eval "$(npm run -s lab -- env)"`; the rest are comments. */
export function envText(state: LabState, paths: LabPaths): string {
  const env = pulumiEnv({ dir: paths.backendDir, passphrase: state.passphrase });
  const names = [
    "PULUMI_BACKEND_URL",
    "PULUMI_CONFIG_PASSPHRASE",
    "PULUMI_SKIP_UPDATE_CHECK",
    "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION",
  ] as const;
  return [
    `# The nats-dr lab's stacks (${labRegions.map(labStackName).join(", ")}): eval "$(${labCommand(paths)} env)"`,
    ...names.map((name) => `export ${name}=${shellWord(env[name]!)}`),
    `export PATH=${shellWord(toolPathDirs().join(":"))}:"$PATH"`,
    `# Run pulumi in the project: cd ${shellWord(paths.projectDir)}`,
    "# Both regions' servers, stream roles, mirror lag and consumers:",
    `# ${statusLine(state, paths)}`,
    "",
  ].join("\n");
}

export interface StackSummary {
  readonly region: LabRegion;
  readonly name: string;
  readonly activeRegion: string;
  /** Role of each stream, from the stack's `streams` output. */
  readonly roles: Readonly<Record<string, string>>;
  /** The engine's summary, e.g. "15 created" or "15 unchanged". */
  readonly changes: string;
  readonly ms: number;
}

function rolesText(roles: Readonly<Record<string, string>>): string {
  const byRole = new Map<string, string[]>();
  for (const [stream, role] of Object.entries(roles).sort(([a], [b]) => a.localeCompare(b)))
    byRole.set(role, [...(byRole.get(role) ?? []), stream]);
  return [...byRole].map(([role, streams]) => `${role}: ${streams.join(", ")}`).join("; ");
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join("  ")
      .trimEnd(),
  );
}

/** Commands, indented, with their comments in one column. */
function commented(lines: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...lines.filter(([, comment]) => comment !== "").map(([command]) => command.length));
  return lines.map(([command, comment]) =>
    comment === "" ? `  ${command}` : `  ${command.padEnd(width)}  # ${comment}`,
  );
}

/** The summary after both stacks ran, and how to fail over (or back) by hand with the real CLI. */
export function readyText(state: LabState, paths: LabPaths, stacks: readonly StackSummary[], totalMs: number): string {
  const rows = [
    ["stack", "activeRegion", "pulumi up", "streams"],
    ...stacks.map((stack) => [
      stack.name,
      stack.activeRegion,
      `${(stack.ms / 1000).toFixed(1)} s, ${stack.changes}`,
      rolesText(stack.roles),
    ]),
  ];
  const active = stacks[0]?.activeRegion === "eu-central-1" ? "eu-central-1" : "us-east-1";
  const target = peerOf(labRegions, active);
  const becoming = labStackName(target);
  const other = labStackName(active);
  return [
    `lab ready in ${(totalMs / 1000).toFixed(1)} s: ${labRegions.map((region) => `${region} ${state.regions[region].servers.map((server) => server.clientUrl).join(",")}`).join("; ")}`,
    "",
    ...table(rows),
    "",
    `Fail over to ${target} by hand with the Pulumi CLI (from any shell):`,
    ...commented([
      [`cd ${shellWord(paths.projectDir)} && eval "$(${labCommand(paths)} env)"`, ""],
      [`pulumi config set nats-dr:activeRegion ${target} --stack ${becoming}`, ""],
      [`pulumi config set nats-dr:activeRegion ${target} --stack ${other}`, ""],
      [`pulumi preview --diff --stack ${becoming}`, "the replicated streams' role: mirror => primary"],
      [`pulumi up --stack ${becoming}`, `promotes them in place: ${target} takes the writes`],
      [`pulumi preview --stack ${other}`, "the same streams replaced: the primaries become mirrors"],
      [`pulumi up --stack ${other}`, ""],
      [statusLine(state, paths), ""],
    ]),
    `Back to ${active}: the same with the regions swapped. Also: ${labCommand(paths)} status | env | down`,
    "",
  ].join("\n");
}

/** One line per process of the lab: the daemon (with the relays) and each server. */
export function processTable(state: LabState, paths: LabPaths, alive: (pid: number) => boolean): string {
  const liveness = (pid: number) => (alive(pid) ? "running" : "gone");
  const rows = [
    ["process", "pid", "state", "ports"],
    [
      "daemon",
      String(state.daemon.pid),
      liveness(state.daemon.pid),
      `leafnode relays ${state.relays.map((relay) => `${relay.port}->${relay.targetPort}`).join(" ")}`,
    ],
    ...labRegions.flatMap((region) =>
      state.regions[region].servers.map((server) => [
        server.name,
        String(server.pid),
        liveness(server.pid),
        `${server.clientUrl} ${server.monitorUrl}`,
      ]),
    ),
  ];
  return [
    `lab in ${paths.dir} (started ${state.startedAt}, base port ${state.basePort}); logs in ${paths.logsDir}`,
    ...table(rows),
    "",
  ].join("\n");
}
