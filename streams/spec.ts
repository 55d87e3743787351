// The inputs of the JetStream resources, as the dynamic provider receives them.
//
// Everything the provider acts on is an input (connection, spec, role, peer, timeouts): a dynamic
// provider never sees stack config. Values are canonical (see units.ts) so that equal intent is
// equal input. Their validation lives in schemas.ts.
import type {
  AckPolicy as NatsAckPolicy,
  DeliverPolicy as NatsDeliverPolicy,
  DiscardPolicy as NatsDiscardPolicy,
  RetentionPolicy as NatsRetentionPolicy,
  StorageType as NatsStorageType,
  StoreCompression as NatsStoreCompression,
} from "@nats-io/jetstream";
import type { HistoryCheck } from "./history";

// The values the specs accept, each one of nats.js's own (checked by `satisfies`). Written out
// rather than taken from nats.js's objects, so that the schemas do not load nats.js
// (streams/client.ts), and some accept fewer values than the server knows (no by_start_sequence deliver policy in a spec).

export const StreamRoles = { primary: "primary", mirror: "mirror" } as const;
export type StreamRole = (typeof StreamRoles)[keyof typeof StreamRoles];

export const StorageTypes = { file: "file", memory: "memory" } as const satisfies Record<string, NatsStorageType>;
export type StorageType = (typeof StorageTypes)[keyof typeof StorageTypes];

export const RetentionPolicies = {
  limits: "limits",
  interest: "interest",
  workqueue: "workqueue",
} as const satisfies Record<string, NatsRetentionPolicy>;
export type RetentionPolicy = (typeof RetentionPolicies)[keyof typeof RetentionPolicies];

export const DiscardPolicies = { old: "old", new: "new" } as const satisfies Record<string, NatsDiscardPolicy>;
export type DiscardPolicy = (typeof DiscardPolicies)[keyof typeof DiscardPolicies];

export const Compressions = { none: "none", s2: "s2" } as const satisfies Record<string, NatsStoreCompression>;
export type Compression = (typeof Compressions)[keyof typeof Compressions];

export const DeliverModes = { pull: "pull", push: "push" } as const;
export type DeliverMode = (typeof DeliverModes)[keyof typeof DeliverModes];

export const AckPolicies = { explicit: "explicit", all: "all", none: "none" } as const satisfies Record<
  string,
  NatsAckPolicy
>;
export type AckPolicy = (typeof AckPolicies)[keyof typeof AckPolicies];

export const DeliverPolicies = {
  all: "all",
  new: "new",
  last: "last",
  lastPerSubject: "last_per_subject",
} as const satisfies Record<string, NatsDeliverPolicy>;
export type DeliverPolicy = (typeof DeliverPolicies)[keyof typeof DeliverPolicies];

/** Where and how the provider reaches one region's NATS servers. No secrets here. */
export interface ConnectionSpec {
  /** Server URLs, e.g. ["nats://nats.us-east-1.example.com:4222"]; no user:password in them. */
  readonly servers: string[];
  /** Time to establish a connection, ms. @default 5000 */
  readonly connectTimeoutMs: number;
  /** Time to wait for one JetStream API answer, ms. @default 5000 */
  readonly requestTimeoutMs: number;
}

/** Credentials for the connection; stored as a secret output. Set at most one method. */
export interface CredentialsSpec {
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  /** Contents of a NATS .creds file (JWT + nkey seed). */
  readonly creds?: string;
}

/** A stream in human units, canonical spelling. */
export interface StreamSpec {
  readonly name: string;
  /** Subjects captured when the stream is primary; a mirror keeps them for its promotion. */
  readonly subjects: string[];
  readonly description: string;
  readonly storage: StorageType;
  readonly replicas: number;
  readonly retention: RetentionPolicy;
  readonly discard: DiscardPolicy;
  /** Canonical duration ("7d"), "0" for no limit. */
  readonly maxAge: string;
  /** Canonical size ("10Gi") or "unlimited". */
  readonly maxBytes: string;
  /** -1 for no limit. */
  readonly maxMsgs: number;
  readonly maxMsgsPerSubject: number;
  /** Canonical size or "unlimited". */
  readonly maxMsgSize: string;
  /** Canonical duration of the publish de-duplication window. */
  readonly duplicateWindow: string;
  readonly denyDelete: boolean;
  readonly denyPurge: boolean;
  readonly allowDirect: boolean;
  readonly compression: Compression;
  /**
   * Store without answering publishers (`no_ack`): the server requires it of a stream whose
   * subjects are under `$JS.`, such as the acknowledgement capture. Absent means false.
   */
  readonly noAck?: boolean;
}

/** Timeouts and policies of a promotion (mirror -> primary). */
export interface FailoverSpec {
  /** How long to try to reach the peer region before promoting unplanned, ms. @default 3000 */
  readonly peerTimeoutMs: number;
  /**
   * When the peer's JetStream API is there but does not answer (a leader election after one of
   * its servers died, or a link that drops packets), how long to keep asking before promoting
   * unplanned, ms. @default 15000
   */
  readonly peerSettleMs: number;
  /** How long to wait for the mirror to hold the fenced peer's last message, ms. @default 30000 */
  readonly catchupTimeoutMs: number;
  /** How long to let the peer's consumers finish acknowledging in-flight messages, ms. @default 5000 */
  readonly consumerDrainTimeoutMs: number;
  /**
   * After an unplanned promotion, the standby's durable consumers start at messages stored this
   * long (a duration such as "1h") before the last mirrored message, or, with "unlimited",
   * deliver everything they have not delivered yet (at-least-once; may be the whole retention).
   * @default "unlimited"
   */
  readonly unplannedConsumerRewind: string;
}

export interface StreamResourceInputs {
  readonly connection: ConnectionSpec;
  /** The JetStream domain of the region this stream lives in. */
  readonly domain: string;
  readonly spec: StreamSpec;
  readonly role: StreamRole;
  /** The other region's JetStream domain; required for replicated streams. */
  readonly peerDomain?: string;
  readonly failover: FailoverSpec;
  /** Allow `pulumi destroy` / removal from the catalog to delete a stream holding messages. @default false */
  readonly allowDeleteWithMessages: boolean;
  /**
   * Let `create` make an empty primary although the peer's mirror of this stream still holds the
   * messages of an earlier one (the stream was deleted here). Absent means false.
   */
  readonly allowRecreateOverMirror?: boolean;
  /**
   * Let `create` take over a stream of this name that exists but was not created by nats-dr
   * (adoption.ts), when it already is what the inputs declare. Absent means false.
   */
  readonly adopt?: boolean;
}

export interface ConsumerSpec {
  /** Durable name. */
  readonly name: string;
  readonly description: string;
  readonly deliver: DeliverMode;
  /** Push consumers only: the subject messages are delivered to. */
  readonly deliverSubject?: string;
  /** Push consumers only: queue group. */
  readonly deliverGroup?: string;
  readonly ackPolicy: AckPolicy;
  /** Canonical duration. */
  readonly ackWait: string;
  /** -1 for unlimited. */
  readonly maxDeliver: number;
  readonly maxAckPending: number;
  readonly filterSubjects: string[];
  readonly deliverPolicy: DeliverPolicy;
}

export interface ConsumerResourceInputs {
  readonly connection: ConnectionSpec;
  readonly domain: string;
  readonly stream: string;
  readonly spec: ConsumerSpec;
  /** Let a delete drop the messages of an interest stream only this consumer still reads. @default false */
  readonly allowDeleteWithMessages?: boolean;
}

/**
 * What a promotion did with the acknowledgements captured above one consumer's floor: it started
 * the consumer past the run right above the floor that was all done with (streams/doneRun.ts) and
 * acknowledged again what was done with above that run (streams/ackCatchUp.ts).
 */
export interface CatchUpRecord {
  /** Messages above the floor the old region's consumer had done with, as captured here. */
  readonly captured: number;
  /** Of those, the run right above the floor, verified against the messages here: started past. */
  readonly startedPast: number;
  /** Of those above the run, acknowledged (or terminated) again here: not delivered to the services again. */
  readonly acknowledged: number;
  /** Deliveries during the catch-up that were not done with there, released to the services. */
  readonly released: number;
  /** Whether it reached the last captured message before its time was up (true when nothing was left to catch up). */
  readonly complete: boolean;
}

export interface PromotionRecord {
  readonly mode: "planned" | "unplanned";
  readonly at: string;
  /** Why the mode was chosen, in words. */
  readonly reason: string;
  readonly fromDomain: string;
  /** Last sequence of the fenced peer primary (planned only). */
  readonly peerLastSequence?: number;
  /** Last sequence held by this stream when it was promoted: the RPO boundary. */
  readonly lastMirroredSequence: number;
  /** Time of that message (ISO 8601), or "" for an empty stream. */
  readonly lastMirroredAt: string;
  readonly waitedForCatchupMs: number;
  /**
   * Planned only: whether the promotion made the demoted peer capture the acknowledgements of
   * this stream's consumers (streams/peerCapture.ts): "moved", "already", "no-capture" (the peer
   * keeps none: checkpoints are off there), "late: ..." (still under way a second after the
   * promotion was done: the consumers resumed, the move goes on) or "failed: <why>" (then the
   * capture starts when the peer's stack runs, and an unplanned failover back before that delivers
   * again what was acknowledged meanwhile).
   */
  readonly peerCapture?: string;
  /**
   * Consumers re-positioned, by name. Planned: from the peer's acknowledgement floor;
   * `unacknowledged` is how many delivered messages the peer still awaited acks for (they will be
   * redelivered). Unplanned: from the peer's last checkpoint held here (its floor, when it was
   * stored, and the sequence the consumer starts at), or, without one and with a rewind window,
   * the time they start from.
   */
  readonly consumersPositioned: Record<
    string,
    | {
        ackFloor: number;
        unacknowledged: number;
        /** What the old region had acknowledged above the floor, acknowledged again here (ackCatchUp.ts). */
        acknowledgedAgain?: CatchUpRecord;
      }
    | {
        checkpointFloor: number;
        checkpointAt: string;
        startSequence: number;
        /** What the old region had acknowledged above the floor, acknowledged again here (ackCatchUp.ts). */
        acknowledgedAgain?: CatchUpRecord;
      }
    | { startTime: string }
  >;
}

export interface DemotionRecord {
  readonly at: string;
  /** Sequence at which the new primary was promoted from this stream's copy. */
  readonly promotedAtSequence: number;
  /**
   * Whether this stream's messages up to that point were shown to be in the new primary. When
   * not ("diverged": e.g. this stream was re-created after the peer's mirror was made;
   * "unproven"), every message was kept aside, not only those above promotedAtSequence.
   */
  readonly history: HistoryCheck;
  /** Messages kept: beyond promotedAtSequence, or all of them; copied to `orphanStream` before deletion. */
  readonly orphanCount: number;
  readonly orphanStream: string;
  readonly orphanFirstSequence: number;
  readonly orphanLastSequence: number;
}

/** Evidence of a mirror replaced because it held another history than its origin's. */
export interface MirrorRepairRecord {
  readonly at: string;
  /** Last sequence the replaced mirror held. */
  readonly replacedLastSequence: number;
  /** The comparison with the origin that showed the mirror diverged. */
  readonly history: HistoryCheck;
  /** Messages the replaced mirror held, copied to `orphanStream` before it was deleted. */
  readonly orphanCount: number;
  readonly orphanStream: string;
  readonly orphanFirstSequence: number;
  readonly orphanLastSequence: number;
}
