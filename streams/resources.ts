// The Pulumi resource classes for JetStream streams and consumers.
//
// The engine's dynamic provider host runs them; each names its provider by module and export
// (providerModule.ts), so the program does not load the providers' code at all.
import * as pulumi from "@pulumi/pulumi";
import { ReferencedDynamicResource, type ProviderReference } from "./providerModule";
import type { HistoryCheck } from "./history";
import type { PeerFenceRecord } from "./returnedPeer";
import type {
  ConnectionSpec,
  ConsumerSpec,
  CredentialsSpec,
  DemotionRecord,
  FailoverSpec,
  MirrorRepairRecord,
  PromotionRecord,
  StreamRole,
  StreamSpec,
} from "./spec";

const STREAM_PROVIDER: ProviderReference = { file: "streams/streamProvider.ts", exportName: "streamProvider" };
const CONSUMER_PROVIDER: ProviderReference = { file: "streams/consumerProvider.ts", exportName: "consumerProvider" };

export interface JetStreamStreamArgs {
  /** Where this region's NATS servers are. */
  readonly connection: pulumi.Input<ConnectionSpec>;
  /** How to authenticate; always stored as a secret. @default no authentication */
  readonly credentials?: pulumi.Input<CredentialsSpec>;
  /** JetStream domain of this region, e.g. "us-east-1". */
  readonly domain: pulumi.Input<string>;
  /** The stream, in canonical human units (see streams/units.ts). */
  readonly spec: pulumi.Input<StreamSpec>;
  /** "primary" (accepts publishes) or "mirror" (copies the peer domain's stream of the same name). */
  readonly role: pulumi.Input<StreamRole>;
  /** JetStream domain of the other region. Required for replicated streams. */
  readonly peerDomain?: pulumi.Input<string>;
  /** Promotion timeouts. @default { peerTimeoutMs: 3000, peerSettleMs: 15000, catchupTimeoutMs: 30000, consumerDrainTimeoutMs: 5000, unplannedConsumerRewind: "unlimited" } */
  readonly failover?: pulumi.Input<FailoverSpec>;
  /** Let a delete drop a stream that still holds messages. @default false */
  readonly allowDeleteWithMessages?: pulumi.Input<boolean>;
  /**
   * Let a create make this stream empty although the peer's mirror of it holds an earlier
   * stream's messages. @default false (refused, see docs/failover.md)
   */
  readonly allowRecreateOverMirror?: pulumi.Input<boolean>;
  /**
   * Let a create take over a stream of this name that exists but was not created by nats-dr, when
   * it already is what the other inputs declare (streams/adoption.ts). @default false (refused)
   */
  readonly adopt?: pulumi.Input<boolean>;
}

export class JetStreamStream extends ReferencedDynamicResource {
  declare public readonly spec: pulumi.Output<StreamSpec>;
  declare public readonly role: pulumi.Output<StreamRole>;
  declare public readonly domain: pulumi.Output<string>;
  /** Evidence of the last promotion of this stream (mirror -> primary). */
  declare public readonly lastPromotion: pulumi.Output<PromotionRecord | undefined>;
  /** Evidence of the last demotion (primary -> mirror) and the orphaned messages it preserved. */
  declare public readonly lastDemotion: pulumi.Output<DemotionRecord | undefined>;
  /** Orphan streams of this stream waiting for an operator (found when it became a mirror). */
  declare public readonly pendingOrphans: pulumi.Output<{ stream: string; messages: number }[] | undefined>;
  /** Set by a refresh when this mirror holds another history than its origin's; `pulumi up` repairs it. */
  declare public readonly originCheck: pulumi.Output<HistoryCheck | undefined>;
  /** Evidence of the last repair of this mirror (replaced, its messages kept aside). */
  declare public readonly lastMirrorRepair: pulumi.Output<MirrorRepairRecord | undefined>;
  /** Evidence of the last fence of the peer's returned old primary (after an unplanned failover). */
  declare public readonly lastPeerFence: pulumi.Output<PeerFenceRecord | undefined>;

  constructor(name: string, args: JetStreamStreamArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      STREAM_PROVIDER,
      "natsdr",
      "JetStreamStream",
      name,
      {
        ...args,
        credentials: pulumi.secret(args.credentials ?? {}),
        peerDomain: args.peerDomain,
        failover: args.failover,
        allowDeleteWithMessages: args.allowDeleteWithMessages ?? false,
        lastPromotion: undefined,
        lastDemotion: undefined,
        pendingOrphans: undefined,
        originCheck: undefined,
        lastMirrorRepair: undefined,
        lastPeerFence: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["credentials"] }),
    );
  }
}

export interface JetStreamConsumerArgs {
  readonly connection: pulumi.Input<ConnectionSpec>;
  /** @default no authentication */
  readonly credentials?: pulumi.Input<CredentialsSpec>;
  readonly domain: pulumi.Input<string>;
  /** Name of the stream the consumer reads. */
  readonly stream: pulumi.Input<string>;
  readonly spec: pulumi.Input<ConsumerSpec>;
  /**
   * Let a delete drop the messages of an interest stream that only this consumer still reads.
   * @default false (refused)
   */
  readonly allowDeleteWithMessages?: pulumi.Input<boolean>;
}

export class JetStreamConsumer extends ReferencedDynamicResource {
  declare public readonly spec: pulumi.Output<ConsumerSpec>;
  declare public readonly stream: pulumi.Output<string>;

  constructor(name: string, args: JetStreamConsumerArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      CONSUMER_PROVIDER,
      "natsdr",
      "JetStreamConsumer",
      name,
      { ...args, credentials: pulumi.secret(args.credentials ?? {}) },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["credentials"] }),
    );
  }
}
