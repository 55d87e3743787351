// Stack entry: read and validate the config (stops here on any problem), declare the region.
import { readStackConfig } from "./config";
import { declareRegion } from "./region";

const config = readStackConfig();
const declared = declareRegion(config);

/** Role of each stream in this region ("primary" | "mirror"), by stream name. */
export const streams = declared.jetstream.roles;
/** The stream each durable consumer in this region reads, by consumer name. */
export const consumers = declared.jetstream.consumerStreams;
/** Per stream: lastPromotion, lastDemotion and pendingOrphans, the failover evidence for auditors. */
export const failoverEvidence = declared.jetstream.evidence;
export const region = config.region;
export const activeRegion = config.activeRegion;
/** Host name of this region's NATS load balancer (clients, and the leafnode of the listening region). */
export const natsClientEndpoint = declared.nats?.clientEndpoint;
/** The region's backup bucket; backups are under <prefix>/<stream>/<timestamp>/. */
export const backupBucket = declared.aws?.backupBucket?.bucketName;
/** The streams the backup CronJob (or the script, run by hand) backs up in this region. */
export const backupStreams = declared.aws?.backupStreams ?? [];
/** Weight of this region's client record: 1 while activeRegion is this region, else 0 (docs/dns.md). */
export const dnsWeight = declared.aws?.dns?.weight;
/** The Route53 health check of this region's endpoint. */
export const healthCheckId = declared.aws?.dns?.healthCheck.id;
