// Node.js's on-disk compile cache (Node >= 22.1) for what the program loads from here on: its own
// modules (as ts-node transpiled them), zod, nats.js, and @pulumi/aws and @pulumi/kubernetes when
// a component loads them. A flip's `pulumi up` is an RTO, and the second run of the same code
// skips V8's compilation of it. Imported first by infra/index.ts. The cache lives where Node puts
// it (NODE_COMPILE_CACHE, else the OS temp directory); NODE_DISABLE_COMPILE_CACHE=1 turns it off.
import * as nodeModule from "node:module";

nodeModule.enableCompileCache?.();
