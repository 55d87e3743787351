// How the engine gets the code of our dynamic providers: by reference to the project's own files,
// not by closure serialization.
//
// `pulumi.dynamic.Resource` closure-serializes its provider object into each resource's
// `__provider` input, and the engine's dynamic provider host evaluates that text. For the stream
// provider that meant loading the SDK's closure serializer (TypeScript's parser included) and
// walking 132 functions in every preview and update, before the first stream could register:
// 1.2-1.5 s of loading plus 3.3-4.2 s of serializing beside two CPU hogs (0.65-1.4 s serializing
// on an idle machine), inside a failover's RTO, and 210 KB of text stored in every stream's state.
//
// Instead `__provider` holds a few lines that find the project and load the provider's module
// through infra/load.cjs: its build from dist/ when that matches the sources (`npm run build`),
// else the TypeScript through ts-node, registered the way Pulumi's language host did for the
// program (tsconfig.json's `ts-node` section: swc, no type-check). The type token is still
// `pulumi-nodejs:dynamic/<module>:<type>`, so the engine runs these resources with the same
// dynamic provider host and the URNs of existing stacks do not change. The host caches a provider
// by its text, and the text names only paths, so one process loads each module once. The loader
// also turns on Node.js's compile cache and writes it once the module is loaded, since the engine
// ends the host without a normal exit: in alternating runs of `npm run bench:failover -- --counts
// "" --engine-counts 1,10` on an idle machine, a flip of 1 stream became writable in 2.07-2.38 s
// against 2.36-2.89 s without the cache in either process, 10 streams in 2.54-2.74 s against
// 2.58-3.86 s (five runs each).
//
// What it changes for an operator: `pulumi refresh` and `pulumi destroy` run the project's
// current provider code (an update always did), which must be in place: at the path recorded in
// the state, or at the same path under the directory `pulumi` runs in (a checkout that moved).
// A text recorded by an older nats-dr (it registered ts-node itself) still loads the same module.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

/**
 * The project's root: the directory of package.json, tsconfig.json and Pulumi.yaml, above this
 * file both in the sources (streams/) and in the build (dist/streams/).
 */
export function projectRootOf(dir: string): string {
  for (let current = dir; ; current = path.dirname(current)) {
    if (fs.existsSync(path.join(current, "package.json"))) return current;
    if (path.dirname(current) === current)
      throw new Error(`no package.json above ${dir}: not inside the nats-dr project`);
  }
}

const PROJECT_ROOT = projectRootOf(__dirname);

/** The loader the text requires, relative to the project root. */
const LOADER = "infra/load.cjs";

/** The reserved input of a dynamic resource that holds its provider's code. */
export const PROVIDER_KEY = "__provider";

/**
 * Pure: the `__provider` text that loads the export `exportName` of the TypeScript module `file`
 * (absolute, or relative to the project root). The text is a CommonJS module whose `handler()`
 * returns the provider, which is what the dynamic provider host calls.
 */
export function providerModuleText(file: string, exportName: string): string {
  const absolute = path.resolve(PROJECT_ROOT, file);
  const fromProject = path.relative(PROJECT_ROOT, absolute);
  if (fromProject.startsWith("..") || path.isAbsolute(fromProject))
    throw new Error(`a provider module must lie inside the project (${PROJECT_ROOT}); got ${absolute}`);
  return [
    "exports.handler = function () {",
    '  const path = require("path");',
    '  const fs = require("fs");',
    `  const fromProject = ${JSON.stringify(fromProject)};`,
    `  const roots = [${JSON.stringify(PROJECT_ROOT)}, process.cwd()];`,
    "  const root = roots.find(",
    `    (dir) => fs.existsSync(path.join(dir, fromProject)) && fs.existsSync(path.join(dir, ${JSON.stringify(LOADER)})),`,
    "  );",
    "  if (root === undefined) {",
    "    throw new Error(",
    '      "nats-dr\'s provider code " + fromProject + " is at neither " + roots.map((dir) => path.join(dir, fromProject)).join(" nor ") +',
    '        ": run pulumi from the nats-dr project directory (npm ci done), the one this stack was last updated from or a copy of it",',
    "    );",
    "  }",
    `  return require(path.join(root, ${JSON.stringify(LOADER)})).loadProjectModule(root, fromProject).exports[${JSON.stringify(exportName)}];`,
    "};",
    "",
  ].join("\n");
}

/** Where a dynamic resource's provider is: a module of the project and the name of its export. */
export interface ProviderReference {
  /** Relative to the project root, e.g. "streams/streamProvider.ts". */
  readonly file: string;
  readonly exportName: string;
}

/**
 * A resource run by Pulumi's dynamic provider host, as `pulumi.dynamic.Resource` declares one, with
 * the provider given by reference (see the file comment) instead of closure-serialized.
 */
export class ReferencedDynamicResource extends pulumi.CustomResource {
  constructor(
    provider: ProviderReference,
    module: string,
    type: string,
    name: string,
    props: pulumi.Inputs,
    opts?: pulumi.CustomResourceOptions,
  ) {
    if (PROVIDER_KEY in props) throw new Error(`a dynamic resource must not define the ${PROVIDER_KEY} input`);
    super(
      `pulumi-nodejs:dynamic/${module}:${type}`,
      name,
      { ...props, [PROVIDER_KEY]: providerModuleText(provider.file, provider.exportName) },
      opts,
    );
  }
}
