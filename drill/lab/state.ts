// The state file of a running lab, written by its daemon once both regions are up: what `env`,
// `status` and `down` need (pids, URLs, credentials, the stacks' passphrase). Mode 0600: it holds
// the servers' passwords.
import { labRegions } from "./pair";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

const credentials = z.strictObject({ user: z.string(), password: z.string() });

const server = z.strictObject({
  name: z.string(),
  pid: z.number().int().positive(),
  clientUrl: z.string(),
  monitorUrl: z.string(),
  configFile: z.string(),
  logFile: z.string(),
});

const region = z.strictObject({ domain: z.string(), servers: z.array(server).min(1) });

export const labStateSchema = z.strictObject({
  version: z.literal(1),
  startedAt: z.string(),
  /** The lab's folder when it started; its processes name it on their command lines. */
  dir: z.string(),
  basePort: z.number().int(),
  /** PULUMI_CONFIG_PASSPHRASE of the lab's stacks: one per lab, made when it starts. */
  passphrase: z.string().min(16),
  daemon: z.strictObject({ pid: z.number().int().positive(), logFile: z.string() }),
  users: z.strictObject({ app: credentials, system: credentials, leaf: credentials }),
  regions: z.strictObject({ [labRegions[0]]: region, [labRegions[1]]: region }),
  /** The TCP relays (in the daemon) the dialing region's leafnodes go through. */
  relays: z.array(z.strictObject({ port: z.number().int(), targetPort: z.number().int() })),
});

export type LabState = z.infer<typeof labStateSchema>;

/** The state, or undefined when the file does not exist; throws when it is not a lab state file. */
export function readLabState(file: string): LabState | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not JSON (${(error as Error).message}).`, { cause: error });
  }
  const parsed = labStateSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `${file} is not a lab state file of this version: ${parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}.`,
    );
  return parsed.data;
}

/** Writes the state atomically (a reader sees the old file or the whole new one). */
export function writeLabState(file: string, state: LabState): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}`);
  fs.writeFileSync(temp, `${JSON.stringify(labStateSchema.parse(state), null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temp, file);
}
