// Input series for `promtool test rules`, shaped like what Prometheus stores from the pinned
// exporter behind our PodMonitor: the exporter's own labels (collector/jsz.go, healthz.go, the
// flattened /varz) plus the target labels the operator adds and the `region` the PodMonitor sets.
export const REGION = "eu-central-1";
export const PEER = "us-east-1";

export type Labels = Record<string, string>;

/** The labels Prometheus adds to every series of the exporter in pod nats-<index>. */
export function target(index: number, region = REGION): Labels {
  return {
    region,
    namespace: "nats",
    pod: `nats-${index}`,
    container: "exporter",
    endpoint: "metrics",
    job: "nats/nats",
    instance: `10.0.0.${index + 10}:7777`,
  };
}

/** /varz and /healthz series: the server name is the exporter's server_id (-use_internal_server_name). */
export function serverLabels(index: number, extra: Labels = {}): Labels {
  return { ...target(index), server_id: `nats-${index}`, ...extra };
}

/** /jsz server labels; the meta leader is nats-0 unless `metaLeader` says otherwise. */
export function jszServer(index: number, metaLeader = "nats-0"): Labels {
  return {
    ...target(index),
    server_id: `nats-${index}`,
    server_name: `nats-${index}`,
    cluster: `nats-${REGION}`,
    domain: REGION,
    meta_leader: metaLeader,
    is_meta_leader: String(metaLeader === `nats-${index}`),
  };
}

/** /jsz stream labels as reported by server `index`; the stream leader is nats-1 unless given. */
export function jszStream(index: number, stream: string, streamLeader = "nats-1"): Labels {
  return {
    ...jszServer(index),
    account: "APP",
    account_name: "APP",
    account_id: "APP",
    stream_name: stream,
    stream_leader: streamLeader,
    is_stream_leader: String(streamLeader === `nats-${index}`),
    stream_raft_group: `S-R3F-${stream}`,
  };
}

/** The mirror series' extra labels (a cross-domain mirror names the origin's API prefix). */
export function jszMirror(index: number, stream: string): Labels {
  return { ...jszStream(index, stream), mirror_name: stream, mirror_api: `$JS.${PEER}.API`, mirror_deliver: "" };
}

/** /jsz consumer labels. */
export function jszConsumer(index: number, stream: string, consumer: string, consumerLeader = "nats-1"): Labels {
  return {
    ...jszStream(index, stream),
    consumer_name: consumer,
    consumer_leader: consumerLeader,
    is_consumer_leader: String(consumerLeader === `nats-${index}`),
    consumer_desc: "",
  };
}

/** The series selector text promtool reads: `name{a="b",...}`. */
export function series(name: string, labels: Labels): string {
  const body = Object.entries(labels)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(",");
  return `${name}{${body}}`;
}

export interface InputSeries {
  readonly series: string;
  /** promtool's expanding notation, e.g. "1x60" or "0+30x60". */
  readonly values: string;
}

export function input(name: string, labels: Labels, values: string): InputSeries {
  return { series: series(name, labels), values };
}

/** The same series on the three servers of the region. */
export function onServers(make: (index: number) => InputSeries): InputSeries[] {
  return [0, 1, 2].map(make);
}
