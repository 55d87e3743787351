// Pure mapping between our canonical specs and the JetStream API's wire configuration, in both
// directions: to create/update streams and consumers, and to read drift back from the server.
import type { ConsumerConfig, StreamConfig } from "@nats-io/jetstream";
import type { ConsumerSpec, StreamRole, StreamSpec } from "./spec";
import { durationToNanos, formatDuration, formatSize, sizeToBytes } from "./units";

/** Metadata keys the provider writes on the streams it manages. */
export const MetadataKeys = {
  managed: "natsdr.managed",
  instance: "natsdr.instance",
  promotedAtSequence: "natsdr.promoted-at-seq",
  promotedAt: "natsdr.promoted-at",
  promotedFrom: "natsdr.promoted-from",
  promotionMode: "natsdr.promotion-mode",
  fencedBy: "natsdr.fenced-by",
  fencedAt: "natsdr.fenced-at",
  fencedSubjects: "natsdr.fenced-subjects",
  positionedAt: "natsdr.positioned-after",
  deliverPolicy: "natsdr.deliver-policy",
  pausedWhileMirror: "natsdr.paused-while-mirror",
  mirrorFeed: "natsdr.mirror-feed",
  /**
   * On a mirror (and the primary it is promoted to): the `created` time of the origin stream it
   * was made a mirror of, while it was empty. Tells a re-created origin from the one it copied.
   */
  originCreated: "natsdr.origin-created",
  /** On an orphan stream: "after-promotion" or "whole-stream" (the history had diverged). */
  orphanScope: "natsdr.orphan-scope",
  /** On a push consumer during an unplanned promotion's catch-up (ackCatchUp.ts): its real deliver subject. */
  catchUpDeliverSubject: "natsdr.catch-up-deliver-subject",
} as const;

/** Durable name of the mirror feed: the consumer on an interest stream's primary its mirror reads through. */
export const MIRROR_FEED = "natsdr-mirror-feed";

/**
 * Interest-retention streams are mirrored through a feed (see mirrorFeed.ts); limits streams keep
 * the consumer the server sets up for a mirror by itself.
 */
export function usesMirrorFeed(spec: Pick<StreamSpec, "retention">): boolean {
  return spec.retention === "interest";
}

/** Subject the feed of `stream` in `originDomain` delivers to: one per origin, so two feeds never mix. */
export function mirrorFeedSubject(originDomain: string, stream: string): string {
  return `natsdr.mirror-feed.${originDomain}.${stream}`;
}

/** nats-server accepts exactly 1 s (in ns) as the heartbeat of a flow-control consumer. */
const FEED_HEARTBEAT_NS = 1_000_000_000;

/** In flight before the mirror's flow control answers: a cross-region round trip at tens of thousands/s. */
const FEED_MAX_ACK_PENDING = 10_000;

/** The feed consumer's configuration on the origin stream `stream` in `originDomain`. */
export function mirrorFeedConfig(originDomain: string, stream: string): Partial<ConsumerConfig> {
  return {
    durable_name: MIRROR_FEED,
    name: MIRROR_FEED,
    description: `nats-dr: the mirror of ${stream} in the other region reads through this consumer`,
    ack_policy: "flow_control",
    deliver_policy: "all",
    deliver_subject: mirrorFeedSubject(originDomain, stream),
    flow_control: true,
    idle_heartbeat: FEED_HEARTBEAT_NS,
    max_ack_pending: FEED_MAX_ACK_PENDING,
    metadata: { [MetadataKeys.managed]: "true", [MetadataKeys.mirrorFeed]: "true" },
  };
}

/** True for the feed consumer: it belongs to the stream's role, not to the catalog's consumers. */
export function isMirrorFeed(config: Pick<ConsumerConfig, "metadata" | "durable_name">): boolean {
  return userMetadata(config.metadata)[MetadataKeys.mirrorFeed] === "true" || config.durable_name === MIRROR_FEED;
}

/** The JetStream API prefix of a domain, as a mirror's `external.api` needs it. */
export function domainApiPrefix(domain: string): string {
  return `$JS.${domain}.API`;
}

/** Where fence subjects start; a stream's messages on them are nats-dr's markers, never an application's. */
export const FENCE_SUBJECT_PREFIX = "natsdr.fenced.";

/** The subject a fenced (old) primary is switched to, so it stops capturing application subjects. */
export function fenceSubject(domain: string, stream: string): string {
  return `${FENCE_SUBJECT_PREFIX}${domain}.${stream}`;
}

/** The wire config a stream should have for its role. */
export function streamWireConfig(
  spec: StreamSpec,
  role: StreamRole,
  peerDomain: string | undefined,
  metadata: Record<string, string>,
): Partial<StreamConfig> & { name: string } {
  const config: Partial<StreamConfig> & { name: string } = {
    name: spec.name,
    description: spec.description || undefined,
    storage: spec.storage,
    num_replicas: spec.replicas,
    retention: spec.retention,
    discard: spec.discard,
    max_age: durationToNanos(spec.maxAge),
    max_bytes: sizeToBytes(spec.maxBytes),
    max_msgs: spec.maxMsgs,
    max_msgs_per_subject: spec.maxMsgsPerSubject,
    max_msg_size: sizeToBytes(spec.maxMsgSize),
    duplicate_window: durationToNanos(spec.duplicateWindow),
    deny_delete: spec.denyDelete,
    deny_purge: spec.denyPurge,
    allow_direct: spec.allowDirect,
    compression: spec.compression,
    ...(spec.noAck === true ? { no_ack: true } : {}),
    metadata: { ...metadata, [MetadataKeys.managed]: "true" },
  };
  if (role === "primary") {
    config.subjects = [...spec.subjects];
  } else {
    if (!peerDomain) throw new Error(`stream ${spec.name}: a mirror needs peerDomain`);
    config.subjects = [];
    config.mirror = { name: spec.name, external: { api: domainApiPrefix(peerDomain), deliver: "" } };
    if (usesMirrorFeed(spec)) {
      config.mirror.consumer = { name: MIRROR_FEED, deliver_subject: mirrorFeedSubject(peerDomain, spec.name) };
      // An interest-retention mirror drops every arriving message no local consumer wants: all of
      // them before a demotion has restored the consumers, and for good those of consumers that
      // applications create at runtime. The mirror keeps everything; the promotion switches the
      // stream to interest once its consumers are in place.
      config.retention = "limits";
    }
  }
  return config;
}

/**
 * The spec and role a server's stream config expresses. What a mirror does not carry on the
 * server (subjects: it captures none; the de-duplication window, which some servers drop for
 * mirrors; the interest retention, which a mirror takes only at its promotion) is taken from the
 * `known` spec, so a refreshed mirror shows no false drift.
 */
export function specFromWire(
  config: StreamConfig,
  known: Pick<StreamSpec, "subjects" | "duplicateWindow" | "retention">,
): { spec: StreamSpec; role: StreamRole; peerDomain?: string } {
  const role: StreamRole = config.mirror ? "mirror" : "primary";
  const mirror = role === "mirror";
  const spec: StreamSpec = {
    name: config.name,
    subjects: mirror ? [...known.subjects] : [...(config.subjects ?? [])],
    description: config.description ?? "",
    storage: config.storage,
    replicas: config.num_replicas,
    retention: mirror && config.retention === "limits" && usesMirrorFeed(known) ? known.retention : config.retention,
    discard: config.discard,
    maxAge: formatDuration(config.max_age),
    maxBytes: formatSize(config.max_bytes),
    maxMsgs: config.max_msgs,
    maxMsgsPerSubject: config.max_msgs_per_subject,
    maxMsgSize: formatSize(config.max_msg_size),
    duplicateWindow:
      mirror && !config.duplicate_window ? known.duplicateWindow : formatDuration(config.duplicate_window ?? 0),
    denyDelete: config.deny_delete,
    denyPurge: config.deny_purge,
    allowDirect: config.allow_direct,
    compression: config.compression ?? "none",
    ...(config.no_ack === true ? { noAck: true } : {}),
  };
  const api = config.mirror?.external?.api;
  const peerDomain = api ? /^\$JS\.(.+)\.API$/.exec(api)?.[1] : undefined;
  return peerDomain ? { spec, role, peerDomain } : { spec, role };
}

/** User metadata on a server config, without the keys the server adds itself. */
export function userMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata ?? {}).filter(([key]) => !key.startsWith("_nats")));
}

/** The wire config of a durable consumer. */
export function consumerWireConfig(spec: ConsumerSpec, metadata: Record<string, string> = {}): Partial<ConsumerConfig> {
  const config: Partial<ConsumerConfig> = {
    durable_name: spec.name,
    name: spec.name,
    description: spec.description || undefined,
    ack_policy: spec.ackPolicy,
    ack_wait: durationToNanos(spec.ackWait),
    max_deliver: spec.maxDeliver,
    max_ack_pending: spec.maxAckPending,
    deliver_policy: spec.deliverPolicy,
    replay_policy: "instant",
    metadata: { ...metadata, [MetadataKeys.managed]: "true", [MetadataKeys.deliverPolicy]: spec.deliverPolicy },
  };
  // Both keys are always present (one undefined): an update merges into the server's config,
  // and the server rejects a consumer that has both.
  config.filter_subject = spec.filterSubjects.length === 1 ? spec.filterSubjects[0] : undefined;
  config.filter_subjects = spec.filterSubjects.length > 1 ? [...spec.filterSubjects] : undefined;
  if (spec.deliver === "push") {
    config.deliver_subject = spec.deliverSubject;
    if (spec.deliverGroup) config.deliver_group = spec.deliverGroup;
  }
  return config;
}

/** The consumer spec a server's consumer config expresses. */
export function consumerSpecFromWire(
  config: ConsumerConfig,
  positioned: boolean,
  declared: ConsumerSpec,
): ConsumerSpec {
  const filters = config.filter_subjects ?? (config.filter_subject ? [config.filter_subject] : []);
  const spec: ConsumerSpec = {
    name: config.durable_name ?? config.name ?? "",
    description: config.description ?? "",
    deliver: config.deliver_subject ? "push" : "pull",
    ackPolicy: config.ack_policy as ConsumerSpec["ackPolicy"],
    ackWait: formatDuration(config.ack_wait ?? 0),
    maxDeliver: config.max_deliver ?? -1,
    maxAckPending: config.max_ack_pending ?? -1,
    filterSubjects: [...filters],
    // A consumer the provider re-positioned during a failover starts by sequence on purpose;
    // that is not drift from the declared policy.
    deliverPolicy: positioned ? declared.deliverPolicy : (config.deliver_policy as ConsumerSpec["deliverPolicy"]),
  };
  if (config.deliver_subject)
    return {
      ...spec,
      deliverSubject: config.deliver_subject,
      ...(config.deliver_group ? { deliverGroup: config.deliver_group } : {}),
    };
  return spec;
}
