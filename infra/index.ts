// Stack entry: read and validate the config (stops here on any problem), declare the region and
// export its outputs (infra/outputs.ts says what each one is).
import { readStackConfig } from "./config";
import { stackOutputs } from "./outputs";
import { declareRegion } from "./region";

const config = readStackConfig();
export = stackOutputs(config, declareRegion(config));
