// The `npm run status` command line for regions one can see from here (the drill's, the lab's), with
// the credentials it needs in front, ready to paste into a shell.
import { shellWord } from "../shell";

export interface StatusRegion {
  readonly region: string;
  readonly clientUrls: readonly string[];
  readonly monitorUrls: readonly string[];
}

/** @param npmRun how npm runs this project's scripts from where the line is typed @default "npm run" */
export function statusCommandLine(
  regions: readonly StatusRegion[],
  app: { readonly user: string; readonly password: string },
  npmRun = "npm run",
): string {
  const flags = regions.flatMap((region) => [
    `--region ${shellWord(`${region.region}=${region.clientUrls.join(",")}`)}`,
    `--monitor ${shellWord(`${region.region}=${region.monitorUrls.join(",")}`)}`,
  ]);
  return `NATS_USER=${shellWord(app.user)} NATS_PASSWORD=${shellWord(app.password)} ${npmRun} status -- ${flags.join(" ")}`;
}
