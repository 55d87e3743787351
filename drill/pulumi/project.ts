// A Pulumi project directory for stacks that run the real program outside the repository's own
// stack files: the e2e tests and the drill each get a throwaway one, so their `Pulumi.<stack>.yaml`
// files never land in the checkout. It holds copies of the project files and a link to infra/
// and node_modules/; Node resolves the links to the checkout, so the program, its imports and
// ts-node's compiled files are the checkout's own.
import fs from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../local/binaries";

/** Files copied as they are: the project, the package (its `main` is the entry) and the compiler settings. */
const COPIED = ["Pulumi.yaml", "package.json", "tsconfig.json"] as const;
/** Folders linked: the program and the packages it loads. */
const LINKED = ["infra", "streams", "node_modules"] as const;

/** Lays out a project directory in `dir` (created if missing) that runs this checkout's program. */
export function layOutProject(dir: string, root: string = PROJECT_ROOT): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const file of COPIED) fs.copyFileSync(path.join(root, file), path.join(dir, file));
  for (const folder of LINKED) {
    const link = path.join(dir, folder);
    fs.rmSync(link, { force: true, recursive: false });
    fs.symlinkSync(path.join(root, folder), link, "dir");
  }
  return dir;
}
