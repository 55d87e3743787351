// The alert and recording rules of one region's stack, as Prometheus rule groups. Pure: the
// PrometheusRule (or the rules file of the ConfigMap) holds exactly what this returns, and
// `promtool check rules` / `promtool test rules` run on it in the tests. Every selector names the
// region (the PodMonitor sets the label), so a ruler that loads both stacks' rules counts nothing
// twice. docs/monitoring.md explains each alert and its first action.
import { dump } from "js-yaml";
import type { StreamRole } from "../../streams";
import { MIRROR_FEED } from "../../streams/wire";
import type { MonitoringConfig, Region } from "../config";
import { ExporterMetrics as M, KEPT_STREAM_PATTERN, KubeStateMetrics as K, RecordedSeries as R } from "./metrics";

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  /** Prometheus duration ("2m"). */
  readonly for: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: { readonly summary: string; readonly description: string; readonly runbook_url: string };
}

export type Rule = RecordingRule | AlertingRule;

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly Rule[];
}

export const Severities = { warning: "warning", critical: "critical" } as const;

/** What the rules of a region depend on. */
export interface RuleInput {
  readonly region: Region;
  /** The activeRegion the stack runs with. */
  readonly activeRegion: Region;
  /** Servers of the region (nats-dr:kubernetes.replicas). */
  readonly replicas: number;
  /** The catalog streams of the region with the role the stack declares. */
  readonly streams: readonly { readonly name: string; readonly role: StreamRole }[];
  /** The backup CronJob, when the stack declares one. */
  readonly backup?: {
    readonly namespace: string;
    readonly cronJob: string;
    /** Longest time between two scheduled runs, seconds. */
    readonly intervalSeconds: number;
  };
  /** The stream keeping the other region's consumer checkpoints here, when checkpoints are on. */
  readonly checkpoints?: {
    readonly stream: string;
    /** How long without a new checkpoint counts as stopped, seconds (at least 2 minutes). */
    readonly windowSeconds: number;
  };
  readonly thresholds: MonitoringConfig["thresholds"];
  /** Base of the runbook links (docs/monitoring.md). */
  readonly runbookUrl: string;
}

/** "90" -> "90s", "300" -> "5m": the Prometheus duration of whole seconds. */
export function promDuration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** `metric{label="value",...}`; a key ending in "!=", "=~" or "!~" uses that operator. */
function select(metric: string, matchers: Readonly<Record<string, string>>): string {
  const parts = Object.entries(matchers).map(([key, value]) => {
    const [, label, operator] = /^(.*?)(!=|=~|!~)?$/.exec(key)!;
    return `${label}${operator ?? "="}${JSON.stringify(value)}`;
  });
  return `${metric}{${parts.join(",")}}`;
}

/** Anchor of an alert's section in docs/monitoring.md (GitHub lower-cases headings). */
export function runbookLink(base: string, alert: string): string {
  return `${base}#${alert.toLowerCase()}`;
}

function alertRule(
  input: RuleInput,
  alert: string,
  spec: { expr: string; for: string; severity: keyof typeof Severities; summary: string; description: string },
  labels: Readonly<Record<string, string>> = { region: input.region },
): AlertingRule {
  return {
    alert,
    expr: spec.expr,
    for: spec.for,
    labels: { severity: spec.severity, ...labels },
    annotations: {
      summary: spec.summary,
      description: spec.description,
      runbook_url: runbookLink(input.runbookUrl, alert),
    },
  };
}

function recordedGroup(input: RuleInput): RuleGroup {
  const region = input.region;
  const names = input.streams.map((stream) => stream.name).join("|");
  const rules: Rule[] = [
    { record: R.stackActiveRegion, expr: "vector(1)", labels: { region, active_region: input.activeRegion } },
    ...input.streams.map((stream) => ({
      record: R.declaredRole,
      expr: "vector(1)",
      labels: { region, stream_name: stream.name, role: stream.role },
    })),
  ];
  if (names !== "") {
    const catalog = { region, "stream_name=~": names };
    rules.push(
      {
        record: R.observedRole,
        expr: `group by (region, stream_name) (${select(M.mirrorLag, catalog)})`,
        labels: { role: "mirror" },
      },
      {
        record: R.observedRole,
        expr: `group by (region, stream_name) (${select(M.streamMessages, catalog)}) unless on (region, stream_name) ${select(M.mirrorLag, { region })}`,
        labels: { role: "primary" },
      },
    );
  }
  // A stalled mirror receives nothing: its rate floors at 0.001/s, so any lag then reads as very far behind.
  const leader = { region, is_stream_leader: "true" };
  rules.push({
    record: R.mirrorLagSeconds,
    expr: `max by (region, stream_name) (${select(M.mirrorLag, leader)}) / on (region, stream_name) clamp_min(max by (region, stream_name) (rate(${select(M.streamLastSeq, leader)}[5m])), 0.001)`,
  });
  return { name: `nats-dr-${region}-recorded`, rules };
}

function serverAlerts(input: RuleInput): AlertingRule[] {
  const { region, replicas } = input;
  const quorum = Math.floor(replicas / 2) + 1;
  const answering = `(count(${select(M.healthStatus, { region, "value!=": "unreachable" })}) or vector(0))`;
  const alerts = [
    alertRule(input, "NatsDrServersDown", {
      expr: `${answering} < ${replicas}`,
      for: "2m",
      severity: "warning",
      summary: `{{ $value }} of ${replicas} NATS servers in ${region} answer`,
      description: `Fewer NATS servers answer their monitoring port in ${region} than nats-dr:kubernetes.replicas (${replicas}). JetStream keeps working while ${quorum} answer.`,
    }),
  ];
  if (replicas > 1) {
    alerts.push(
      alertRule(input, "NatsDrQuorumLost", {
        expr: `${answering} < ${quorum}`,
        for: "1m",
        severity: "critical",
        summary: `only {{ $value }} of ${replicas} NATS servers in ${region} answer: JetStream has no majority`,
        description: `JetStream in ${region} needs ${quorum} of ${replicas} servers; streams with replicas there take no writes. If ${region} is the active region and cannot recover quickly, fail over (docs/failover.md).`,
      }),
    );
  }
  alerts.push(
    alertRule(input, "NatsDrServerUnhealthy", {
      expr: `${select(M.healthStatus, { region, "value!~": "ok|unreachable" })} == 0`,
      for: "5m",
      severity: "warning",
      summary: `NATS server {{ $labels.server_id }} in ${region} reports /healthz "{{ $labels.value }}"`,
      description: `The server answers but is not healthy (JetStream not current, e.g. still catching up after a restart) for 5 minutes.`,
    }),
    alertRule(input, "NatsDrMetaLeaderMissing", {
      expr: `count(${select(M.serverStreams, { region })}) unless count(${select(M.serverStreams, { region, is_meta_leader: "true" })})`,
      for: "1m",
      severity: "critical",
      summary: `JetStream in ${region} has no meta leader`,
      description: `No server in ${region} is the JetStream meta leader: streams and consumers cannot be created, changed or failed over.`,
    }),
  );
  // A single server has no RAFT groups: the exporter leaves the leader labels empty there.
  if (replicas > 1) {
    alerts.push(
      alertRule(input, "NatsDrStreamNoLeader", {
        expr: `count by (stream_name) (${select(M.streamMessages, { region, stream_leader: "" })}) > 0`,
        for: "1m",
        severity: "critical",
        summary: `stream {{ $labels.stream_name }} in ${region} has no leader (no quorum of its replicas)`,
        description: `The stream takes no writes and its mirror or consumers make no progress until a majority of its replicas is back.`,
      }),
      alertRule(input, "NatsDrConsumerNoLeader", {
        expr: `count by (stream_name, consumer_name) (${select(M.consumerPending, { region, consumer_leader: "" })}) > 0`,
        for: "1m",
        severity: "critical",
        summary: `consumer {{ $labels.consumer_name }} of stream {{ $labels.stream_name }} in ${region} has no leader`,
        description: `The consumer delivers nothing until a majority of its replicas is back.`,
      }),
    );
  }
  alerts.push(
    alertRule(input, "NatsDrLeafnodeDown", {
      expr: `(sum(${select(M.leafnodes, { region })}) or vector(0)) == 0`,
      for: "1m",
      severity: "critical",
      summary: `no leafnode connection between ${region} and the other region`,
      description: `No server in ${region} has a leafnode connection: mirrors receive nothing and a planned failover cannot reach the peer (it would run unplanned).`,
    }),
  );
  return alerts;
}

function mirrorAndConsumerAlerts(input: RuleInput): AlertingRule[] {
  const { region, thresholds } = input;
  const leader = { region, is_stream_leader: "true" };
  const consumerLeader = { region, is_consumer_leader: "true" };
  const onMirrors = `unless on (stream_name) group by (stream_name) (${select(M.mirrorLag, { region })})`;
  const active = `max by (stream_name) (${select(M.mirrorActive, leader)})`;
  return [
    alertRule(input, "NatsDrMirrorLagging", {
      expr: `max by (stream_name) (${select(M.mirrorLag, leader)}) > ${thresholds.mirrorLagMessages}`,
      for: "2m",
      severity: "warning",
      summary: `mirror {{ $labels.stream_name }} in ${region} is {{ $value }} messages behind its primary`,
      description: `More than ${thresholds.mirrorLagMessages} messages (nats-dr:monitoring.thresholds.mirrorLagMessages) are not yet in the mirror; an unplanned failover now would lose about that many.`,
    }),
    alertRule(input, "NatsDrMirrorBehind", {
      expr: `${select(R.mirrorLagSeconds, { region })} > ${thresholds.mirrorLagTime}`,
      for: "2m",
      severity: "warning",
      summary: `mirror {{ $labels.stream_name }} in ${region} is about {{ $value | humanizeDuration }} behind its primary`,
      description: `The mirror's lag over the rate it receives messages exceeds ${promDuration(thresholds.mirrorLagTime)} (nats-dr:monitoring.thresholds.mirrorLagTime): the RPO of an unplanned failover.`,
    }),
    alertRule(input, "NatsDrMirrorInactive", {
      expr: `${active} > ${thresholds.mirrorInactive * 1e9} or ${active} < 0`,
      for: "1m",
      severity: "critical",
      summary: `mirror {{ $labels.stream_name }} in ${region} has no contact with its primary`,
      description: `The mirror heard nothing from its origin for more than ${promDuration(thresholds.mirrorInactive)} (nats-dr:monitoring.thresholds.mirrorInactive), or never: it is broken or the other region is unreachable.`,
    }),
    alertRule(input, "NatsDrMirrorFeedBacklog", {
      expr: `max by (stream_name) (${select(M.consumerPending, { ...consumerLeader, consumer_name: MIRROR_FEED })}) > ${thresholds.mirrorLagMessages}`,
      for: "5m",
      severity: "warning",
      summary: `primary {{ $labels.stream_name }} in ${region} keeps {{ $value }} messages its mirror has not stored`,
      description: `The ${MIRROR_FEED} consumer of this interest stream holds messages for the other region's mirror; the stream grows towards its limits while the mirror does not take them.`,
    }),
    alertRule(input, "NatsDrConsumerPending", {
      expr: `max by (stream_name, consumer_name) (${select(M.consumerPending, { ...consumerLeader, "consumer_name!=": MIRROR_FEED })}) > ${thresholds.consumerPendingMessages} ${onMirrors}`,
      for: "5m",
      severity: "warning",
      summary: `consumer {{ $labels.consumer_name }} of {{ $labels.stream_name }} in ${region} has {{ $value }} messages pending`,
      description: `More than ${thresholds.consumerPendingMessages} messages (nats-dr:monitoring.thresholds.consumerPendingMessages) wait for the consumer on a primary. Consumers of mirrors are left out: nobody reads them until a failover.`,
    }),
    alertRule(input, "NatsDrRedeliveriesRising", {
      expr: `max by (stream_name, consumer_name) (delta(${select(M.consumerRedelivered, consumerLeader)}[5m])) > ${thresholds.redeliveries} ${onMirrors}`,
      for: "5m",
      severity: "warning",
      summary: `consumer {{ $labels.consumer_name }} of {{ $labels.stream_name }} in ${region} redelivers more and more messages`,
      description: `More than ${thresholds.redeliveries} messages (nats-dr:monitoring.thresholds.redeliveries) became redeliveries within 5 minutes: the application fails to acknowledge within ack_wait.`,
    }),
  ];
}

function storageAlerts(input: RuleInput): AlertingRule[] {
  const { region } = input;
  const percent = input.thresholds.usedPercent;
  const leader = { region, is_stream_leader: "true" };
  const nearLimit = (used: string, limit: string) =>
    `max by (stream_name) (${select(used, leader)}) / max by (stream_name) (${select(limit, leader)} > 0) * 100 > ${percent}`;
  return [
    alertRule(input, "NatsDrStreamNearMaxBytes", {
      expr: nearLimit(M.streamBytes, M.streamLimitBytes),
      for: "5m",
      severity: "warning",
      summary: `stream {{ $labels.stream_name }} in ${region} uses {{ $value | printf "%.0f" }}% of its maxBytes`,
      description: `At the limit the stream discards old messages (discard "old") or refuses publishes (discard "new"). Threshold: nats-dr:monitoring.thresholds.usedPercent (${percent}).`,
    }),
    alertRule(input, "NatsDrStreamNearMaxMessages", {
      expr: nearLimit(M.streamMessages, M.streamLimitMessages),
      for: "5m",
      severity: "warning",
      summary: `stream {{ $labels.stream_name }} in ${region} holds {{ $value | printf "%.0f" }}% of its maxMsgs`,
      description: `At the limit the stream discards old messages (discard "old") or refuses publishes (discard "new"). Threshold: nats-dr:monitoring.thresholds.usedPercent (${percent}).`,
    }),
    alertRule(input, "NatsDrFileStoreNearFull", {
      expr: `${select(M.storeUsed, { region })} / (${select(M.storeMax, { region })} > 0) * 100 > ${percent}`,
      for: "5m",
      severity: "warning",
      summary: `NATS server {{ $labels.server_id }} in ${region} uses {{ $value | printf "%.0f" }}% of its file store`,
      description: `JetStream refuses new messages on every stream of the server when its max_file_store is full. Raise nats-dr:kubernetes.storageSize (and jetstream.maxFile) or lower stream limits.`,
    }),
  ];
}

function failoverAlerts(input: RuleInput): AlertingRule[] {
  const { region } = input;
  const alerts = [
    alertRule(input, "NatsDrRoleMismatch", {
      expr: `${select(R.declaredRole, { region })} unless on (region, stream_name, role) ${select(R.observedRole, { region })}`,
      for: "10m",
      severity: "warning",
      summary: `stream {{ $labels.stream_name }} in ${region} is declared {{ $labels.role }} but the servers do not hold it as one`,
      description: `For 10 minutes the stream has been missing or in the other role than the ${region} stack declares: its last pulumi up did not finish (a demotion whose new primary did not answer deletes nothing), or it was changed by hand.`,
    }),
    alertRule(input, "NatsDrKeptMessagesPending", {
      expr: `max by (stream_name) (${select(M.streamMessages, { region, is_stream_leader: "true", "stream_name=~": KEPT_STREAM_PATTERN })}) > 0`,
      for: "5m",
      severity: "warning",
      summary: `{{ $value }} messages in {{ $labels.stream_name }} (${region}) wait for an operator`,
      description: `A demotion (orphans) or a mirror repair (diverged) kept messages the active primary may lack. Re-publish or discard them, then delete the stream (docs/failover.md).`,
    }),
  ];
  if (input.checkpoints) {
    const { stream, windowSeconds } = input.checkpoints;
    const window = promDuration(windowSeconds);
    // Every replica's last sequence counts (a single server has no leader label): one that grew is enough.
    const held = select(M.streamLastSeq, { region, stream_name: stream });
    alerts.push(
      alertRule(input, "NatsDrCheckpointsStale", {
        expr: `max(delta(${held}[${window}])) <= 0 or absent(${held})`,
        for: "2m",
        severity: "warning",
        summary: `no consumer checkpoint of the other region has reached ${region} for ${window}`,
        description: `The stream ${stream} in ${region} stores no new checkpoint: the other region's checkpointer (Deployment nats-checkpointer) stopped, or the leafnode is down. An unplanned failover to ${region} now starts its consumers at the last checkpoint held and delivers again everything acknowledged since.`,
      }),
    );
  }
  if (input.backup) {
    const { namespace, cronJob, intervalSeconds } = input.backup;
    const job = { namespace, cronjob: cronJob };
    const limit = 2 * intervalSeconds;
    alerts.push(
      alertRule(input, "NatsDrBackupStale", {
        expr: `time() - max(${select(K.cronJobLastSuccess, job)}) > ${limit} or (time() - max(${select(K.cronJobCreated, job)}) > ${limit} unless max(${select(K.cronJobLastSuccess, job)}))`,
        for: "5m",
        severity: "warning",
        summary: `the last successful backup of ${region} is older than ${promDuration(limit)} (twice its schedule)`,
        description: `CronJob ${namespace}/${cronJob} has not completed a run for two scheduled intervals (or never since it was created). Read the logs of its last Job.`,
      }),
    );
  }
  return alerts;
}

/**
 * Rules that compare the regions. They fire only where the series of both regions' stacks meet
 * (a global Prometheus, Thanos or federation), and are the same in both stacks so Alertmanager
 * merges their alerts.
 */
function crossRegionGroup(input: RuleInput): RuleGroup {
  const bothRegions = `and on () count(count by (region) (${R.stackActiveRegion})) > 1`;
  const global = {};
  return {
    name: "nats-dr-cross-region",
    rules: [
      alertRule(
        input,
        "NatsDrFailoverHalfDone",
        {
          expr: `count(count by (active_region) (${R.stackActiveRegion})) > 1`,
          for: "10m",
          severity: "warning",
          summary: "the region stacks were last run with different activeRegion values",
          description:
            "A failover is half done: one stack ran with the new activeRegion, the other not yet (its streams stay fenced or primary). Run pulumi up in the stack that still has the old activeRegion.",
        },
        global,
      ),
      alertRule(
        input,
        "NatsDrTwoPrimaries",
        {
          expr: `count by (stream_name) (${select(R.observedRole, { role: "primary" })}) > 1 ${bothRegions}`,
          for: promDuration(input.thresholds.twoPrimaries),
          severity: "critical",
          summary: "stream {{ $labels.stream_name }} is a primary in both regions",
          description: `For ${promDuration(input.thresholds.twoPrimaries)} (nats-dr:monitoring.thresholds.twoPrimaries) both regions hold the stream without a mirror: the old primary is fenced by a planned failover whose second stack has not run, or both take writes (split brain). Run the stack of the region that is not activeRegion.`,
        },
        global,
      ),
      alertRule(
        input,
        "NatsDrNoPrimary",
        {
          expr: `group by (stream_name) (${select(R.observedRole, { role: "mirror" })}) unless on (stream_name) group by (stream_name) (${select(R.observedRole, { role: "primary" })}) ${bothRegions}`,
          for: "2m",
          severity: "critical",
          summary: "stream {{ $labels.stream_name }} has no primary in any region",
          description:
            "Only mirrors of the stream exist: publishes to its subjects are stored nowhere. A failover stopped between demotion and promotion, or the primary was deleted. Run the active region's stack.",
        },
        global,
      ),
    ],
  };
}

/** Every rule group of the region, in a fixed order. Pure. */
export function renderRuleGroups(input: RuleInput): RuleGroup[] {
  return [
    recordedGroup(input),
    {
      name: `nats-dr-${input.region}`,
      rules: [
        ...serverAlerts(input),
        ...mirrorAndConsumerAlerts(input),
        ...storageAlerts(input),
        ...failoverAlerts(input),
      ],
    },
    crossRegionGroup(input),
  ];
}

/** The rules file Prometheus loads (`rule_files`), deterministic YAML. */
export function renderRulesFile(groups: readonly RuleGroup[]): string {
  return dump({ groups }, { lineWidth: -1, noRefs: true, sortKeys: false });
}

/** Every alert name of the groups. */
export function alertNames(groups: readonly RuleGroup[]): string[] {
  return groups.flatMap((group) => group.rules.flatMap((rule) => ("alert" in rule ? [rule.alert] : [])));
}
