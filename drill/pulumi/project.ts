// A Pulumi project directory for stacks that run the real program outside the repository's own
// stack files: the e2e tests and the drill each get a throwaway one, so their `Pulumi.<stack>.yaml`
// files never land in the checkout. It holds copies of the project files and a link to infra/
// and node_modules/; Node resolves the links to the checkout, so the program, its imports and
// ts-node's compiled files are the checkout's own.
import fs from "node:fs";
import path from "node:path";
import yaml from "js-yaml";
import type { RegionPair } from "../../infra/config/regions";
import { PROJECT_ROOT } from "../local/binaries";

/** Files copied as they are: the project, the package (its `main` is the entry) and the compiler settings. */
const COPIED = ["Pulumi.yaml", "package.json", "tsconfig.json"] as const;
/** Folders linked: the program and the packages it loads. */
const LINKED = ["infra", "streams", "node_modules"] as const;

/**
 * Lays out a project directory in `dir` (created if missing) that runs this checkout's program.
 * With `regionPair`, its Pulumi.yaml declares that pair (and the first of it as activeRegion) as
 * the project defaults, as a user's project in another pair does: `nats-dr:regionPair` is typed
 * `array<string>` there, which a stack setting given as a JSON string would not satisfy.
 */
export function layOutProject(dir: string, root: string = PROJECT_ROOT, regionPair?: RegionPair): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const file of COPIED) fs.copyFileSync(path.join(root, file), path.join(dir, file));
  if (regionPair !== undefined) declarePair(path.join(dir, "Pulumi.yaml"), regionPair);
  for (const folder of LINKED) {
    const link = path.join(dir, folder);
    fs.rmSync(link, { force: true, recursive: false });
    fs.symlinkSync(path.join(root, folder), link, "dir");
  }
  return dir;
}

/** Sets the project defaults of nats-dr:regionPair and nats-dr:activeRegion in a Pulumi.yaml. */
function declarePair(file: string, pair: RegionPair): void {
  const project = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, { default?: unknown }> };
  const config = project.config ?? {};
  const [pairKey, activeKey] = [config["nats-dr:regionPair"], config["nats-dr:activeRegion"]];
  if (pairKey === undefined || activeKey === undefined)
    throw new Error(`${file} declares no nats-dr:regionPair or nats-dr:activeRegion to set the pair in`);
  pairKey.default = [...pair];
  activeKey.default = pair[0];
  fs.writeFileSync(file, yaml.dump(project, { lineWidth: 120 }));
}
