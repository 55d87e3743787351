// Stack entry: read and validate the config (stops here on any problem), declare the region.
import { readStackConfig } from "./config";
import { declareRegion } from "./region";

const config = readStackConfig();
const declared = declareRegion(config);

/** Role of each stream in this region ("primary" | "mirror"), by stream name. */
export const streams = declared.jetstream.roles;
/** The stream each durable consumer in this region reads, by consumer name. */
export const consumers = declared.jetstream.consumerStreams;
export const region = config.region;
export const activeRegion = config.activeRegion;
