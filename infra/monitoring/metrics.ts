// The series the alert rules and the dashboard use, and where each comes from. Names are those the
// pinned exporter (natsio/prometheus-nats-exporter 0.20.1, started with -prefix=nats) and
// kube-state-metrics emit, read from their sources (collector/jsz.go, healthz.go, leafz.go and the
// flattened /varz of collector.go; kube-state-metrics' cronjob metrics); docs/monitoring.md lists
// them with their labels. The recording rules in rules.ts add the natsdr:* series.

/** The exporter's metric prefix (its -prefix flag), replacing "gnatsd" and "jetstream". */
export const EXPORTER_PREFIX = "nats";

/** Exporter series: /healthz, /varz (flattened JSON), /leafz and /jsz?consumers=true&config=true&raft=true. */
export const ExporterMetrics = {
  /** 1 when /healthz answered "ok", else 0; label value: "ok", an error status, or "unreachable". */
  healthStatus: `${EXPORTER_PREFIX}_healthz_status_value`,
  /** Resident memory of the server, bytes. */
  memory: `${EXPORTER_PREFIX}_varz_mem`,
  /** CPU use of the server, percent of one core. */
  cpu: `${EXPORTER_PREFIX}_varz_cpu`,
  /** Messages the server received / sent since start (counters in value, exported as gauges). */
  inMessages: `${EXPORTER_PREFIX}_varz_in_msgs`,
  outMessages: `${EXPORTER_PREFIX}_varz_out_msgs`,
  /** Leafnode connections of the server (the link between the regions). */
  leafnodes: `${EXPORTER_PREFIX}_varz_leafnodes`,
  /** File store bytes used and the server's max_file_store. */
  storeUsed: `${EXPORTER_PREFIX}_varz_jetstream_stats_storage`,
  storeMax: `${EXPORTER_PREFIX}_varz_jetstream_config_max_storage`,
  /** Round trip time of each leafnode connection, seconds, from /leafz. */
  leafnodeRtt: `${EXPORTER_PREFIX}_leafz_conn_rtt`,
  /** Streams the server hosts; labels meta_leader, is_meta_leader. */
  serverStreams: `${EXPORTER_PREFIX}_server_total_streams`,
  /** Per stream and hosting server; labels stream_name, stream_leader, is_stream_leader. */
  streamMessages: `${EXPORTER_PREFIX}_stream_total_messages`,
  streamBytes: `${EXPORTER_PREFIX}_stream_total_bytes`,
  streamLastSeq: `${EXPORTER_PREFIX}_stream_last_seq`,
  /** maxBytes / maxMsgs of the stream; -1 for no limit. */
  streamLimitBytes: `${EXPORTER_PREFIX}_stream_limit_bytes`,
  streamLimitMessages: `${EXPORTER_PREFIX}_stream_limit_messages`,
  /** Only for mirrors: messages behind, and ns since the last contact with the origin (-1: none). */
  mirrorLag: `${EXPORTER_PREFIX}_stream_mirror_lag`,
  mirrorActive: `${EXPORTER_PREFIX}_stream_mirror_active_duration_ns`,
  /** Per consumer; labels consumer_name, consumer_leader, is_consumer_leader. */
  consumerPending: `${EXPORTER_PREFIX}_consumer_num_pending`,
  consumerAckPending: `${EXPORTER_PREFIX}_consumer_num_ack_pending`,
  consumerRedelivered: `${EXPORTER_PREFIX}_consumer_num_redelivered`,
} as const;

/** kube-state-metrics series of the backup CronJob (labels namespace, cronjob). */
export const KubeStateMetrics = {
  cronJobLastSuccess: "kube_cronjob_status_last_successful_time",
  cronJobCreated: "kube_cronjob_created",
} as const;

/** Series the stack's recording rules publish (rules.ts). */
export const RecordedSeries = {
  /** 1 per region stack; labels region, active_region: the activeRegion its last `pulumi up` ran with. */
  stackActiveRegion: "natsdr:stack_active_region:info",
  /** 1 per catalog stream of the region; label role: what the stack declares ("primary" | "mirror"). */
  declaredRole: "natsdr:stream_declared_role:info",
  /** 1 per catalog stream the servers hold; label role: "mirror" when it has a mirror, else "primary". */
  observedRole: "natsdr:stream_observed_role:info",
  /** Messages a mirror is behind, over the rate it receives them: seconds behind (estimate). */
  mirrorLagSeconds: "natsdr:stream_mirror_lag:seconds",
} as const;

/** Every series name the rules and the dashboard may use. */
export const knownSeries: ReadonlySet<string> = new Set([
  ...Object.values(ExporterMetrics),
  ...Object.values(KubeStateMetrics),
  ...Object.values(RecordedSeries),
]);

/** Streams a demotion or a mirror repair keeps for an operator: `<stream>-orphans-<n>`, `<stream>-diverged-<n>`. */
export const KEPT_STREAM_PATTERN = ".+-(orphans|diverged)-[0-9]+";
