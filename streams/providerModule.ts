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
// Instead `__provider` holds a few lines that, in the provider host, register ts-node the way
// Pulumi's language host does for the program (tsconfig.json's `ts-node` section: swc, no
// type-check) and `require` the provider's module. The type token is still
// `pulumi-nodejs:dynamic/<module>:<type>`, so the engine runs these resources with the same
// dynamic provider host and the URNs of existing stacks do not change. The host caches a provider
// by its text, and the text names only paths, so one process loads each module once. The stub
// also turns on Node.js's compile cache (as infra/compileCache.ts does for the program) and
// writes it once the module is loaded, since the engine ends the host without a normal exit: in
// alternating runs of `npm run bench:failover -- --counts "" --engine-counts 1,10` on an idle
// machine, a flip of 1 stream became writable in 2.07-2.38 s against 2.36-2.89 s without the
// cache in either process, 10 streams in 2.54-2.74 s against 2.58-3.86 s (five runs each).
//
// What it changes for an operator: `pulumi refresh` and `pulumi destroy` run the project's
// current provider code (an update always did), which must be in place: at the path recorded in
// the state, or at the same path under the directory `pulumi` runs in (a checkout that moved).
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

/** The project's root: the directory of package.json, tsconfig.json and Pulumi.yaml. */
const PROJECT_ROOT = path.resolve(__dirname, "..");

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
    `  const candidates = [${JSON.stringify(absolute)}, path.join(process.cwd(), fromProject)];`,
    "  const file = candidates.find((candidate) => fs.existsSync(candidate));",
    "  if (file === undefined) {",
    "    throw new Error(",
    '      "nats-dr\'s provider code " + fromProject + " is at neither " + candidates.join(" nor ") +',
    '        ": run pulumi from the nats-dr project directory (npm ci done), the one this stack was last updated from or a copy of it",',
    "    );",
    "  }",
    "  const root = file.slice(0, file.length - fromProject.length);",
    '  const nodeModule = require("module");',
    "  if (nodeModule.enableCompileCache) nodeModule.enableCompileCache();",
    '  if (!process[Symbol.for("ts-node.register.instance")]) {',
    '    const tsNode = require(require.resolve("ts-node", { paths: [root] }));',
    '    tsNode.register({ project: path.join(root, "tsconfig.json") });',
    "  }",
    `  const provider = require(file)[${JSON.stringify(exportName)}];`,
    "  // The engine ends this process without letting Node write the cache at exit.",
    "  if (nodeModule.flushCompileCache) nodeModule.flushCompileCache();",
    "  return provider;",
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
