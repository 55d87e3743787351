// One scenario per alert for `promtool test rules`: series shaped like the exporter's output on
// which the alert must fire within its stated `for` (and not before), and healthy series on which
// it stays silent. The rules are those of a standby region (eu-central-1, activeRegion us-east-1):
// events and audit are mirrors, events-eu-gdpr is a home-region primary.
import type { AlertingRule, RuleGroup, RuleInput } from "../../infra/monitoring";
import { defaultMonitoringConfig } from "../../infra/config";
import type { InputSeries, Labels } from "./series";
import { PEER, REGION, input, jszConsumer, jszMirror, jszServer, jszStream, onServers, serverLabels } from "./series";

export const ruleInput: RuleInput = {
  region: REGION,
  activeRegion: PEER,
  replicas: 3,
  streams: [
    { name: "audit", role: "mirror" },
    { name: "events", role: "mirror" },
    { name: "events-eu-gdpr", role: "primary" },
  ],
  backup: { namespace: "nats", cronJob: "nats-backup", intervalSeconds: 3600 },
  checkpoints: { stream: "natsdr-checkpoints", windowSeconds: 120 },
  thresholds: defaultMonitoringConfig().thresholds,
  runbookUrl: "https://docs.example.com/nats-dr/monitoring.md",
};

export interface Scenario {
  readonly alert: string;
  /** Series on which it fires. */
  readonly failing: readonly InputSeries[];
  /** Last evaluation at which it has not fired yet (the `for` has not elapsed). */
  readonly silentAt: string;
  /** Evaluation at which it fires. */
  readonly firesAt: string;
  /** Labels of the firing alert(s) beyond alertname, and the rendered summary. */
  readonly expected: readonly { readonly labels: Labels; readonly summary: string }[];
  /** Series of a healthy region on which it stays silent at `firesAt`. */
  readonly healthy: readonly InputSeries[];
  /** Series interval; 15s (the default scrape interval) unless given. */
  readonly interval?: string;
}

const N = "x80"; // 20 minutes of 15 s samples
const healthz = (value: (index: number) => string, sample: (index: number) => string) =>
  onServers((index) => input("nats_healthz_status_value", serverLabels(index, { value: value(index) }), sample(index)));
const allOk = healthz(
  () => "ok",
  () => `1${N}`,
);
const stream = (
  name: string,
  metric: string,
  value: string,
  labels: (index: number) => Labels = (index) => jszStream(index, name),
) => onServers((index) => input(metric, labels(index), value));

export function scenarios(): Scenario[] {
  const critical = { severity: "critical", region: REGION };
  const warning = { severity: "warning", region: REGION };
  return [
    {
      alert: "NatsDrServersDown",
      failing: healthz(
        (index) => (index === 2 ? "unreachable" : "ok"),
        (index) => `${index === 2 ? 0 : 1}${N}`,
      ),
      silentAt: "1m45s",
      firesAt: "2m15s",
      expected: [{ labels: warning, summary: `2 of 3 NATS servers in ${REGION} answer` }],
      healthy: allOk,
    },
    {
      alert: "NatsDrQuorumLost",
      failing: healthz(
        (index) => (index === 0 ? "ok" : "unreachable"),
        (index) => `${index === 0 ? 1 : 0}${N}`,
      ),
      silentAt: "45s",
      firesAt: "1m15s",
      expected: [
        { labels: critical, summary: `only 1 of 3 NATS servers in ${REGION} answer: JetStream has no majority` },
      ],
      healthy: healthz(
        (index) => (index === 2 ? "unreachable" : "ok"),
        (index) => `${index === 2 ? 0 : 1}${N}`,
      ),
    },
    {
      alert: "NatsDrServerUnhealthy",
      failing: healthz(
        (index) => (index === 1 ? "unavailable" : "ok"),
        (index) => `${index === 1 ? 0 : 1}${N}`,
      ),
      silentAt: "4m45s",
      firesAt: "5m15s",
      expected: [
        {
          labels: { ...serverLabels(1, { value: "unavailable" }), severity: "warning" },
          summary: `NATS server nats-1 in ${REGION} reports /healthz "unavailable"`,
        },
      ],
      healthy: allOk,
    },
    {
      alert: "NatsDrMetaLeaderMissing",
      failing: onServers((index) => input("nats_server_total_streams", jszServer(index, ""), `3${N}`)),
      silentAt: "45s",
      firesAt: "1m15s",
      expected: [{ labels: critical, summary: `JetStream in ${REGION} has no meta leader` }],
      healthy: onServers((index) => input("nats_server_total_streams", jszServer(index), `3${N}`)),
    },
    {
      alert: "NatsDrStreamNoLeader",
      failing: stream("events-eu-gdpr", "nats_stream_total_messages", `10${N}`, (index) =>
        jszStream(index, "events-eu-gdpr", ""),
      ),
      silentAt: "45s",
      firesAt: "1m15s",
      expected: [
        {
          labels: { ...critical, stream_name: "events-eu-gdpr" },
          summary: `stream events-eu-gdpr in ${REGION} has no leader (no quorum of its replicas)`,
        },
      ],
      healthy: stream("events-eu-gdpr", "nats_stream_total_messages", `10${N}`),
    },
    {
      alert: "NatsDrConsumerNoLeader",
      failing: onServers((index) =>
        input("nats_consumer_num_pending", jszConsumer(index, "events-eu-gdpr", "gdpr-processor", ""), `0${N}`),
      ),
      silentAt: "45s",
      firesAt: "1m15s",
      expected: [
        {
          labels: { ...critical, stream_name: "events-eu-gdpr", consumer_name: "gdpr-processor" },
          summary: `consumer gdpr-processor of stream events-eu-gdpr in ${REGION} has no leader`,
        },
      ],
      healthy: onServers((index) =>
        input("nats_consumer_num_pending", jszConsumer(index, "events-eu-gdpr", "gdpr-processor"), `0${N}`),
      ),
    },
    {
      alert: "NatsDrLeafnodeDown",
      failing: onServers((index) => input("nats_varz_leafnodes", serverLabels(index), `0${N}`)),
      silentAt: "45s",
      firesAt: "1m15s",
      expected: [{ labels: critical, summary: `no leafnode connection between ${REGION} and the other region` }],
      healthy: onServers((index) => input("nats_varz_leafnodes", serverLabels(index), `1${N}`)),
    },
    {
      alert: "NatsDrMirrorLagging",
      failing: stream("events", "nats_stream_mirror_lag", `5000${N}`, (index) => jszMirror(index, "events")),
      silentAt: "1m45s",
      firesAt: "2m15s",
      expected: [
        {
          labels: { ...warning, stream_name: "events" },
          summary: `mirror events in ${REGION} is 5000 messages behind its primary`,
        },
      ],
      healthy: stream("events", "nats_stream_mirror_lag", `10${N}`, (index) => jszMirror(index, "events")),
    },
    {
      // 500 messages behind while 2 messages a second arrive: about 250 s behind, once the 5 minute
      // rate window is full (before, rate() reads less and the estimate is higher, so it fires as soon).
      alert: "NatsDrMirrorBehind",
      failing: [
        ...stream("events", "nats_stream_mirror_lag", `500${N}`, (index) => jszMirror(index, "events")),
        ...stream("events", "nats_stream_last_seq", `1000+30${N}`),
      ],
      silentAt: "1m45s",
      firesAt: "7m30s",
      expected: [
        {
          labels: { ...warning, stream_name: "events" },
          summary: `mirror events in ${REGION} is about 4m 10s behind its primary`,
        },
      ],
      healthy: [
        ...stream("events", "nats_stream_mirror_lag", `10${N}`, (index) => jszMirror(index, "events")),
        ...stream("events", "nats_stream_last_seq", `1000+30${N}`),
      ],
    },
    {
      alert: "NatsDrMirrorInactive",
      failing: [
        ...stream("events", "nats_stream_mirror_active_duration_ns", `45000000000${N}`, (index) =>
          jszMirror(index, "events"),
        ),
        // -1: the mirror never had contact.
        ...stream("audit", "nats_stream_mirror_active_duration_ns", `-1${N}`, (index) => jszMirror(index, "audit")),
      ],
      silentAt: "45s",
      firesAt: "1m15s",
      expected: ["audit", "events"].map((name) => ({
        labels: { ...critical, stream_name: name },
        summary: `mirror ${name} in ${REGION} has no contact with its primary`,
      })),
      healthy: stream("events", "nats_stream_mirror_active_duration_ns", `2000000000${N}`, (index) =>
        jszMirror(index, "events"),
      ),
    },
    {
      alert: "NatsDrMirrorFeedBacklog",
      failing: onServers((index) =>
        input("nats_consumer_num_pending", jszConsumer(index, "events-eu-gdpr", "natsdr-mirror-feed"), `5000${N}`),
      ),
      silentAt: "4m45s",
      firesAt: "5m15s",
      expected: [
        {
          labels: { ...warning, stream_name: "events-eu-gdpr" },
          summary: `primary events-eu-gdpr in ${REGION} keeps 5000 messages its mirror has not stored`,
        },
      ],
      healthy: onServers((index) =>
        input("nats_consumer_num_pending", jszConsumer(index, "events-eu-gdpr", "natsdr-mirror-feed"), `3${N}`),
      ),
    },
    {
      // The consumer of the mirror "events" piles up too, but nobody reads a mirror before a failover.
      alert: "NatsDrConsumerPending",
      failing: [
        ...onServers((index) =>
          input("nats_consumer_num_pending", jszConsumer(index, "events-eu-gdpr", "gdpr-processor"), `20000${N}`),
        ),
        ...onServers((index) =>
          input("nats_consumer_num_pending", jszConsumer(index, "events", "events-processor"), `20000${N}`),
        ),
        ...stream("events", "nats_stream_mirror_lag", `0${N}`, (index) => jszMirror(index, "events")),
      ],
      silentAt: "4m45s",
      firesAt: "5m15s",
      expected: [
        {
          labels: { ...warning, stream_name: "events-eu-gdpr", consumer_name: "gdpr-processor" },
          summary: `consumer gdpr-processor of events-eu-gdpr in ${REGION} has 20000 messages pending`,
        },
      ],
      healthy: onServers((index) =>
        input("nats_consumer_num_pending", jszConsumer(index, "events-eu-gdpr", "gdpr-processor"), `12${N}`),
      ),
    },
    {
      // 10 more redeliveries every 15 s: 200 within 5 minutes; delta() passes 100 after about
      // 2.5 minutes of a new series, then the 5 minute for.
      alert: "NatsDrRedeliveriesRising",
      failing: onServers((index) =>
        input("nats_consumer_num_redelivered", jszConsumer(index, "events-eu-gdpr", "gdpr-processor"), `0+10${N}`),
      ),
      silentAt: "7m",
      firesAt: "8m30s",
      expected: [
        {
          labels: { ...warning, stream_name: "events-eu-gdpr", consumer_name: "gdpr-processor" },
          summary: `consumer gdpr-processor of events-eu-gdpr in ${REGION} redelivers more and more messages`,
        },
      ],
      healthy: onServers((index) =>
        input("nats_consumer_num_redelivered", jszConsumer(index, "events-eu-gdpr", "gdpr-processor"), `0+1${N}`),
      ),
    },
    {
      alert: "NatsDrStreamNearMaxBytes",
      failing: [
        ...stream("events-eu-gdpr", "nats_stream_total_bytes", `900${N}`),
        ...stream("events-eu-gdpr", "nats_stream_limit_bytes", `1000${N}`),
      ],
      silentAt: "4m45s",
      firesAt: "5m15s",
      expected: [
        {
          labels: { ...warning, stream_name: "events-eu-gdpr" },
          summary: `stream events-eu-gdpr in ${REGION} uses 90% of its maxBytes`,
        },
      ],
      // -1 is "no limit".
      healthy: [
        ...stream("events-eu-gdpr", "nats_stream_total_bytes", `900${N}`),
        ...stream("events-eu-gdpr", "nats_stream_limit_bytes", `-1${N}`),
        ...stream("audit", "nats_stream_total_bytes", `500${N}`),
        ...stream("audit", "nats_stream_limit_bytes", `1000${N}`),
      ],
    },
    {
      alert: "NatsDrStreamNearMaxMessages",
      failing: [
        ...stream("events-eu-gdpr", "nats_stream_total_messages", `85${N}`),
        ...stream("events-eu-gdpr", "nats_stream_limit_messages", `100${N}`),
      ],
      silentAt: "4m45s",
      firesAt: "5m15s",
      expected: [
        {
          labels: { ...warning, stream_name: "events-eu-gdpr" },
          summary: `stream events-eu-gdpr in ${REGION} holds 85% of its maxMsgs`,
        },
      ],
      healthy: [
        ...stream("events-eu-gdpr", "nats_stream_total_messages", `85${N}`),
        ...stream("events-eu-gdpr", "nats_stream_limit_messages", `-1${N}`),
      ],
    },
    {
      alert: "NatsDrFileStoreNearFull",
      failing: [
        input("nats_varz_jetstream_stats_storage", serverLabels(0), `85${N}`),
        input("nats_varz_jetstream_config_max_storage", serverLabels(0), `100${N}`),
      ],
      silentAt: "4m45s",
      firesAt: "5m15s",
      expected: [
        {
          labels: { ...serverLabels(0), severity: "warning" },
          summary: `NATS server nats-0 in ${REGION} uses 85% of its file store`,
        },
      ],
      healthy: [
        input("nats_varz_jetstream_stats_storage", serverLabels(0), `50${N}`),
        input("nats_varz_jetstream_config_max_storage", serverLabels(0), `100${N}`),
      ],
    },
    {
      // audit is declared a mirror but has no mirror: its demotion did not finish.
      alert: "NatsDrRoleMismatch",
      failing: [
        ...stream("audit", "nats_stream_total_messages", `5${N}`),
        ...stream("events", "nats_stream_total_messages", `5${N}`),
        ...stream("events", "nats_stream_mirror_lag", `0${N}`, (index) => jszMirror(index, "events")),
        ...stream("events-eu-gdpr", "nats_stream_total_messages", `5${N}`),
      ],
      silentAt: "9m45s",
      firesAt: "10m15s",
      expected: [
        {
          labels: { ...warning, stream_name: "audit", role: "mirror" },
          summary: `stream audit in ${REGION} is declared mirror but the servers do not hold it as one`,
        },
      ],
      healthy: [
        ...stream("audit", "nats_stream_total_messages", `5${N}`),
        ...stream("audit", "nats_stream_mirror_lag", `0${N}`, (index) => jszMirror(index, "audit")),
        ...stream("events", "nats_stream_total_messages", `5${N}`),
        ...stream("events", "nats_stream_mirror_lag", `0${N}`, (index) => jszMirror(index, "events")),
        ...stream("events-eu-gdpr", "nats_stream_total_messages", `5${N}`),
      ],
    },
    {
      alert: "NatsDrKeptMessagesPending",
      failing: stream("events-orphans-1042", "nats_stream_total_messages", `6${N}`),
      silentAt: "4m45s",
      firesAt: "5m15s",
      expected: [
        {
          labels: { ...warning, stream_name: "events-orphans-1042" },
          summary: `6 messages in events-orphans-1042 (${REGION}) wait for an operator`,
        },
      ],
      healthy: [
        ...stream("events-orphans-1042", "nats_stream_total_messages", `0${N}`),
        ...stream("events", "nats_stream_total_messages", `6${N}`),
      ],
    },
    {
      // The peer's checkpointer stopped: the stream's last sequence stays put. Pending from the
      // second sample on (a delta needs two), firing 2 minutes later.
      alert: "NatsDrCheckpointsStale",
      failing: stream("natsdr-checkpoints", "nats_stream_last_seq", `500${N}`),
      silentAt: "2m",
      firesAt: "2m30s",
      expected: [
        { labels: warning, summary: `no consumer checkpoint of the other region has reached ${REGION} for 2m` },
      ],
      // Four consumers, one checkpoint a second each.
      healthy: stream("natsdr-checkpoints", "nats_stream_last_seq", `0+60${N}`),
    },
    {
      // Hourly backups; the last success at time 0 is two intervals old after 2 h.
      alert: "NatsDrBackupStale",
      interval: "1m",
      failing: [input("kube_cronjob_status_last_successful_time", kubeState(), "0x180")],
      silentAt: "2h4m",
      firesAt: "2h6m",
      expected: [
        { labels: warning, summary: `the last successful backup of ${REGION} is older than 2h (twice its schedule)` },
      ],
      healthy: [input("kube_cronjob_status_last_successful_time", kubeState(), "0x59 3600x59 7200x60")],
    },
    {
      alert: "NatsDrFailoverHalfDone",
      failing: [input("natsdr:stack_active_region:info", { region: PEER, active_region: REGION }, `1${N}`)],
      silentAt: "9m45s",
      firesAt: "10m15s",
      expected: [
        {
          labels: { severity: "warning" },
          summary: "the region stacks were last run with different activeRegion values",
        },
      ],
      healthy: [input("natsdr:stack_active_region:info", { region: PEER, active_region: PEER }, `1${N}`)],
    },
    {
      // audit has no mirror here and is the primary in us-east-1 too (fenced or split brain).
      alert: "NatsDrTwoPrimaries",
      failing: [
        ...stream("audit", "nats_stream_total_messages", `5${N}`),
        input("natsdr:stream_observed_role:info", { region: PEER, stream_name: "audit", role: "primary" }, `1${N}`),
        input("natsdr:stack_active_region:info", { region: PEER, active_region: PEER }, `1${N}`),
      ],
      silentAt: "4m45s",
      firesAt: "5m15s",
      expected: [
        {
          labels: { severity: "critical", stream_name: "audit" },
          summary: "stream audit is a primary in both regions",
        },
      ],
      healthy: [
        ...stream("audit", "nats_stream_total_messages", `5${N}`),
        ...stream("audit", "nats_stream_mirror_lag", `0${N}`, (index) => jszMirror(index, "audit")),
        input("natsdr:stream_observed_role:info", { region: PEER, stream_name: "audit", role: "primary" }, `1${N}`),
        input("natsdr:stack_active_region:info", { region: PEER, active_region: PEER }, `1${N}`),
      ],
    },
    {
      // events is a mirror here and us-east-1 reports no events at all.
      alert: "NatsDrNoPrimary",
      failing: [
        ...stream("events", "nats_stream_total_messages", `5${N}`),
        ...stream("events", "nats_stream_mirror_lag", `0${N}`, (index) => jszMirror(index, "events")),
        input("natsdr:stack_active_region:info", { region: PEER, active_region: PEER }, `1${N}`),
      ],
      silentAt: "1m45s",
      firesAt: "2m15s",
      expected: [
        {
          labels: { severity: "critical", stream_name: "events" },
          summary: "stream events has no primary in any region",
        },
      ],
      healthy: [
        ...stream("events", "nats_stream_total_messages", `5${N}`),
        ...stream("events", "nats_stream_mirror_lag", `0${N}`, (index) => jszMirror(index, "events")),
        input("natsdr:stream_observed_role:info", { region: PEER, stream_name: "events", role: "primary" }, `1${N}`),
        input("natsdr:stack_active_region:info", { region: PEER, active_region: PEER }, `1${N}`),
      ],
    },
  ];
}

function kubeState(): Labels {
  return {
    namespace: "nats",
    cronjob: "nats-backup",
    job: "kube-state-metrics",
    instance: "10.0.9.9:8080",
    container: "kube-state-metrics",
  };
}

/** The alert rule named `alert` in `groups`. */
export function alertRuleOf(groups: readonly RuleGroup[], alert: string): AlertingRule {
  for (const group of groups) for (const rule of group.rules) if ("alert" in rule && rule.alert === alert) return rule;
  throw new Error(`no alert ${alert} in the rules`);
}

/** The promtool test file of the scenarios over `rulesFile`. */
export function promtoolTests(groups: readonly RuleGroup[], list: readonly Scenario[], rulesFile: string): object {
  const expectation = (scenario: Scenario) => {
    const rule = alertRuleOf(groups, scenario.alert);
    return scenario.expected.map(({ labels, summary }) => ({
      exp_labels: labels,
      exp_annotations: { ...rule.annotations, summary },
    }));
  };
  return {
    rule_files: [rulesFile],
    evaluation_interval: "15s",
    tests: list.flatMap((scenario) => [
      {
        name: `${scenario.alert} fires`,
        interval: scenario.interval ?? "15s",
        input_series: scenario.failing,
        alert_rule_test: [
          { eval_time: scenario.silentAt, alertname: scenario.alert, exp_alerts: [] },
          { eval_time: scenario.firesAt, alertname: scenario.alert, exp_alerts: expectation(scenario) },
        ],
      },
      {
        name: `${scenario.alert} stays silent`,
        interval: scenario.interval ?? "15s",
        input_series: scenario.healthy,
        alert_rule_test: [{ eval_time: scenario.firesAt, alertname: scenario.alert, exp_alerts: [] }],
      },
    ]),
  };
}
