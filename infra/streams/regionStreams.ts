// The JetStream streams and consumers of one region, as planned by planRegionStreams.
import * as pulumi from "@pulumi/pulumi";
import { JetStreamConsumer, JetStreamStream } from "../../streams";
import type {
  ConnectionSpec,
  CredentialsSpec,
  DemotionRecord,
  FailoverSpec,
  HistoryCheck,
  MirrorRepairRecord,
  PeerFenceRecord,
  PromotionRecord,
  StreamRole,
  StreamSpec,
} from "../../streams";
import type { PlannedStream } from "./plan";

export interface RegionStreamsArgs {
  /**
   * The streams to declare with their roles and consumers, from planRegionStreams. A plain value,
   * not an Input: it decides which resources exist, so it must be known at preview.
   */
  readonly streams: readonly PlannedStream[];
  /** Servers of this region and timeouts (ms). */
  readonly connection: pulumi.Input<ConnectionSpec>;
  /** How to authenticate; passed on as a secret. @default no authentication */
  readonly credentials?: pulumi.Input<CredentialsSpec>;
  /** JetStream domain of this region, e.g. "us-east-1". */
  readonly domain: pulumi.Input<string>;
  /** Promotion timeouts (ms). @default { peerTimeoutMs: 3000, peerSettleMs: 15000, catchupTimeoutMs: 30000, consumerDrainTimeoutMs: 5000, unplannedConsumerRewind: "unlimited" } */
  readonly failover?: pulumi.Input<FailoverSpec>;
  /**
   * Let removing a stream from the catalog delete it while it holds messages, and removing a
   * consumer of an interest stream drop the messages only it still reads. @default false
   */
  readonly allowDeleteWithMessages?: boolean;
  /** Streams that may be created empty although the peer's mirror holds an earlier one's messages. @default [] */
  readonly allowRecreateOverMirror?: readonly string[];
  /** Streams that exist but were not created by nats-dr, to take over as they are. @default [] */
  readonly adoptStreams?: readonly string[];
  /**
   * The stream that keeps the peer region's consumer checkpoints here (planCheckpoints), declared
   * as an unreplicated primary. @default none (checkpoints off)
   */
  readonly checkpointStream?: StreamSpec;
  /**
   * The stream that captures the catalog consumers' acknowledgements here (planCheckpoints).
   * @default none (checkpoints off)
   */
  readonly ackStream?: StreamSpec;
}

/** One JetStreamStream per planned stream and one JetStreamConsumer per consumer, in one region. */
export class RegionStreams extends pulumi.ComponentResource {
  /** Stream resources by stream name. */
  public readonly streams: Readonly<Record<string, JetStreamStream>>;
  /** Consumer resources by consumer name. */
  public readonly consumers: Readonly<Record<string, JetStreamConsumer>>;
  /** The stream keeping the peer's consumer checkpoints; undefined with checkpoints off. */
  public readonly checkpointStream: JetStreamStream | undefined;
  /** The stream capturing the consumers' acknowledgements; undefined with checkpoints off. */
  public readonly ackStream: JetStreamStream | undefined;
  /** Role of each stream in this region, by stream name, as the provider reports it. */
  public readonly roles: pulumi.Output<Record<string, StreamRole>>;
  /** The stream each consumer reads, by consumer name. */
  public readonly consumerStreams: pulumi.Output<Record<string, string>>;
  /**
   * The failover evidence of each stream, by stream name: its last promotion and demotion (mode,
   * sequences, times, orphans) and the orphan streams still waiting in this region.
   */
  public readonly evidence: pulumi.Output<Record<string, StreamEvidence>>;

  constructor(name: string, args: RegionStreamsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("natsdr:streams:RegionStreams", name, {}, opts);
    const streams: Record<string, JetStreamStream> = {};
    const consumers: Record<string, JetStreamConsumer> = {};
    for (const planned of args.streams) {
      const stream = new JetStreamStream(
        `${name}-stream-${planned.name}`,
        {
          connection: args.connection,
          credentials: args.credentials,
          domain: args.domain,
          spec: planned.spec,
          role: planned.role,
          peerDomain: planned.peerDomain,
          failover: args.failover,
          allowDeleteWithMessages: args.allowDeleteWithMessages,
          // Only when listed: other streams keep the inputs they had, so no diff appears.
          ...(args.allowRecreateOverMirror?.includes(planned.name) ? { allowRecreateOverMirror: true } : {}),
          ...(args.adoptStreams?.includes(planned.name) ? { adopt: true } : {}),
        },
        // A component's dependsOn does not reach its children: pass it on, so the streams wait
        // for the servers on a first `pulumi up`.
        { parent: this, ...(opts?.dependsOn === undefined ? {} : { dependsOn: opts.dependsOn }) },
      );
      streams[planned.name] = stream;
      for (const consumer of planned.consumers) {
        consumers[consumer.name] = new JetStreamConsumer(
          `${name}-consumer-${consumer.name}`,
          {
            connection: args.connection,
            credentials: args.credentials,
            domain: args.domain,
            stream: planned.name,
            spec: consumer.spec,
            // Only when set: consumers keep the inputs they had, so no diff appears.
            ...(args.allowDeleteWithMessages === true ? { allowDeleteWithMessages: true } : {}),
          },
          { parent: this, dependsOn: [stream] },
        );
      }
    }
    // Not catalog streams: no consumers, no peer, no role flip. The peer's checkpointer writes
    // the checkpoints; the servers write the acknowledgements.
    const supporting = (suffix: string, spec: StreamSpec | undefined, after: pulumi.Resource[] = []) =>
      spec === undefined
        ? undefined
        : new JetStreamStream(
            `${name}-${suffix}`,
            {
              connection: args.connection,
              credentials: args.credentials,
              domain: args.domain,
              spec,
              role: "primary",
              // No failover settings: it is never promoted, so a change of them must not touch it.
              allowDeleteWithMessages: true,
            },
            { parent: this, dependsOn: [...dependsOnOf(opts), ...after] },
          );
    this.checkpointStream = supporting("checkpoints", args.checkpointStream);
    // The capture moves with the roles (planCheckpoints), so it changes only once every catalog
    // stream has: a flip whose promotion is refused leaves it as it was, and an unplanned
    // promotion reads what was captured while the capture still runs.
    this.ackStream = supporting("acks", args.ackStream, Object.values(streams));
    this.streams = streams;
    this.consumers = consumers;
    this.roles = pulumi.output(mapValues(streams, (resource) => resource.role));
    this.consumerStreams = pulumi.output(mapValues(consumers, (resource) => resource.stream));
    this.evidence = pulumi.output(
      mapValues(streams, (resource) =>
        pulumi
          .all([
            resource.lastPromotion,
            resource.lastDemotion,
            resource.pendingOrphans,
            resource.originCheck,
            resource.lastMirrorRepair,
            resource.lastPeerFence,
          ])
          .apply(([lastPromotion, lastDemotion, pendingOrphans, originCheck, lastMirrorRepair, lastPeerFence]) =>
            streamEvidence({
              lastPromotion,
              lastDemotion,
              pendingOrphans,
              originCheck,
              lastMirrorRepair,
              lastPeerFence,
            }),
          ),
      ),
    );
    this.registerOutputs({ roles: this.roles, consumerStreams: this.consumerStreams, evidence: this.evidence });
  }
}

/** What a stream's stack output says about its failovers; absent parts are left out. */
export interface StreamEvidence {
  readonly lastPromotion?: PromotionRecord;
  readonly lastDemotion?: DemotionRecord;
  /** Orphan streams of this stream still waiting in this region, with their message counts. */
  readonly pendingOrphans: readonly { readonly stream: string; readonly messages: number }[];
  /** A mirror found (by a refresh) holding another history than its origin's; `pulumi up` repairs it. */
  readonly originCheck?: HistoryCheck;
  /** The last repair of such a mirror. */
  readonly lastMirrorRepair?: MirrorRepairRecord;
  /** The last fence of the peer's old primary that came back writable after an unplanned failover. */
  readonly lastPeerFence?: PeerFenceRecord;
}

/** The evidence output of one stream. Pure. */
export function streamEvidence(parts: {
  readonly lastPromotion: PromotionRecord | undefined;
  readonly lastDemotion: DemotionRecord | undefined;
  readonly pendingOrphans: readonly { stream: string; messages: number }[] | undefined;
  readonly originCheck: HistoryCheck | undefined;
  readonly lastMirrorRepair: MirrorRepairRecord | undefined;
  readonly lastPeerFence?: PeerFenceRecord | undefined;
}): StreamEvidence {
  const { lastPromotion, lastDemotion, pendingOrphans, originCheck, lastMirrorRepair, lastPeerFence } = parts;
  return {
    ...(lastPromotion === undefined ? {} : { lastPromotion }),
    ...(lastDemotion === undefined ? {} : { lastDemotion }),
    pendingOrphans: pendingOrphans ?? [],
    ...(originCheck === undefined ? {} : { originCheck }),
    ...(lastMirrorRepair === undefined ? {} : { lastMirrorRepair }),
    ...(lastPeerFence === undefined ? {} : { lastPeerFence }),
  };
}

/**
 * The resources a component's options make it wait for, as a list to add to. An Output of a list
 * is kept as one element: the SDK gathers dependencies through nested lists and Outputs alike.
 */
function dependsOnOf(opts: pulumi.ComponentResourceOptions | undefined): pulumi.Input<pulumi.Resource>[] {
  const dependsOn = opts?.dependsOn;
  if (dependsOn === undefined) return [];
  return Array.isArray(dependsOn) ? dependsOn : [dependsOn as pulumi.Input<pulumi.Resource>];
}

function mapValues<T, U>(record: Record<string, T>, map: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value)]));
}
