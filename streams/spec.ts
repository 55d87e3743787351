// The inputs of the JetStream resources, as the dynamic provider receives them.
//
// Everything the provider acts on is an input (connection, spec, role, peer, timeouts): a dynamic
// provider never sees stack config. Values are canonical (see units.ts) so that equal intent is
// equal input. The schemas are built inside functions that `require("zod")`, because the
// provider is closure-serialized and must not capture module objects.
import type { ZodType } from "zod";
import { nameProblem, subjectProblem } from "./names";
import { canonicalDuration, canonicalSize } from "./units";

export const StreamRoles = { primary: "primary", mirror: "mirror" } as const;
export type StreamRole = (typeof StreamRoles)[keyof typeof StreamRoles];

export const StorageTypes = { file: "file", memory: "memory" } as const;
export type StorageType = (typeof StorageTypes)[keyof typeof StorageTypes];

export const RetentionPolicies = { limits: "limits", interest: "interest", workqueue: "workqueue" } as const;
export type RetentionPolicy = (typeof RetentionPolicies)[keyof typeof RetentionPolicies];

export const DiscardPolicies = { old: "old", new: "new" } as const;
export type DiscardPolicy = (typeof DiscardPolicies)[keyof typeof DiscardPolicies];

export const Compressions = { none: "none", s2: "s2" } as const;
export type Compression = (typeof Compressions)[keyof typeof Compressions];

export const DeliverModes = { pull: "pull", push: "push" } as const;
export type DeliverMode = (typeof DeliverModes)[keyof typeof DeliverModes];

export const AckPolicies = { explicit: "explicit", all: "all", none: "none" } as const;
export type AckPolicy = (typeof AckPolicies)[keyof typeof AckPolicies];

export const DeliverPolicies = { all: "all", new: "new", last: "last", lastPerSubject: "last_per_subject" } as const;
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
}

/** Timeouts and policies of a promotion (mirror -> primary). */
export interface FailoverSpec {
  /** How long to try to reach the peer region before promoting unplanned, ms. @default 3000 */
  readonly peerTimeoutMs: number;
  /** How long to wait for the mirror to hold the fenced peer's last message, ms. @default 30000 */
  readonly catchupTimeoutMs: number;
  /** How long to let the peer's consumers finish acknowledging in-flight messages, ms. @default 5000 */
  readonly consumerDrainTimeoutMs: number;
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
}

/** Outputs of a stream resource beyond its inputs: evidence of what the provider did. */
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
   * Consumers re-positioned from the peer's acknowledgement floor, by name; `unacknowledged` is
   * how many delivered messages the peer still awaited acks for (they will be redelivered).
   */
  readonly consumersPositioned: Record<string, { ackFloor: number; unacknowledged: number }>;
}

export interface DemotionRecord {
  readonly at: string;
  /** Sequence at which the new primary was promoted from this stream's copy. */
  readonly promotedAtSequence: number;
  /** Messages this stream held beyond that point, copied to `orphanStream` before deletion. */
  readonly orphanCount: number;
  readonly orphanStream: string;
  readonly orphanFirstSequence: number;
  readonly orphanLastSequence: number;
}

// ---- validation -----------------------------------------------------------------------------

function refineName(what: "stream" | "consumer") {
  return (name: string, context: { addIssue: (issue: { code: "custom"; message: string }) => void }) => {
    const problem = nameProblem(name, what);
    if (problem) context.addIssue({ code: "custom", message: problem });
  };
}

function zod(): typeof import("zod") {
  return require("zod") as typeof import("zod");
}

function durationSchema() {
  const { z } = zod();
  return z.string().transform((text, context) => {
    const canonical = canonicalDuration(text);
    if (typeof canonical === "string") return canonical;
    context.addIssue({ code: "custom", message: canonical.error });
    return z.NEVER;
  });
}

function sizeSchema() {
  const { z } = zod();
  return z.union([z.string(), z.number()]).transform((text, context) => {
    const canonical = canonicalSize(text);
    if (typeof canonical === "string") return canonical;
    context.addIssue({ code: "custom", message: canonical.error });
    return z.NEVER;
  });
}

function subjectSchema() {
  const { z } = zod();
  return z.string().superRefine((subject, context) => {
    const problem = subjectProblem(subject);
    if (problem) context.addIssue({ code: "custom", message: problem });
  });
}

export function connectionSchema() {
  const { z } = zod();
  return z.object({
    servers: z
      .array(
        z.string().superRefine((url, context) => {
          if (!/^(nats|tls|ws|wss):\/\/[^\s/]+(:\d+)?\/?$/.test(url)) {
            context.addIssue({ code: "custom", message: `"${url}" is not a NATS server URL; write it as nats://host:4222` });
          } else if (/^[a-z]+:\/\/[^/]*@/.test(url)) {
            context.addIssue({
              code: "custom",
              message: "a server URL must not carry user:password; put credentials in the credentials input so they stay secret",
            });
          }
        }),
      )
      .min(1, "give at least one server URL such as nats://127.0.0.1:4222"),
    connectTimeoutMs: z.number().int().positive().max(600_000).default(5000),
    requestTimeoutMs: z.number().int().positive().max(600_000).default(5000),
  });
}

export function credentialsSchema() {
  const { z } = zod();
  return z
    .object({
      user: z.string().min(1).optional(),
      password: z.string().optional(),
      token: z.string().min(1).optional(),
      creds: z.string().min(1).optional(),
    })
    .superRefine((value, context) => {
      const methods = [value.user !== undefined, value.token !== undefined, value.creds !== undefined].filter(Boolean);
      if (methods.length > 1) {
        context.addIssue({ code: "custom", message: "set only one of user/password, token or creds" });
      }
      if (value.password !== undefined && value.user === undefined) {
        context.addIssue({ code: "custom", path: ["user"], message: "a password needs a user; set credentials.user" });
      }
    });
}

export function streamSpecSchema() {
  const { z } = zod();
  return z.object({
    name: z.string().superRefine(refineName("stream")),
    subjects: z.array(subjectSchema()).min(1, "a stream needs at least one subject, such as \"orders.>\""),
    description: z.string().default(""),
    storage: z.enum(StorageTypes).default("file"),
    replicas: z.number().int().min(1).max(5, "JetStream supports at most 5 replicas").default(3),
    retention: z.enum(RetentionPolicies).default("limits"),
    discard: z.enum(DiscardPolicies).default("old"),
    maxAge: durationSchema().default("0"),
    maxBytes: sizeSchema().default("unlimited"),
    maxMsgs: z.number().int().min(-1).default(-1),
    maxMsgsPerSubject: z.number().int().min(-1).default(-1),
    maxMsgSize: sizeSchema().default("unlimited"),
    duplicateWindow: durationSchema().default("2m"),
    denyDelete: z.boolean().default(false),
    denyPurge: z.boolean().default(false),
    allowDirect: z.boolean().default(true),
    compression: z.enum(Compressions).default("none"),
  });
}

export function failoverSchema() {
  const { z } = zod();
  return z.object({
    peerTimeoutMs: z.number().int().positive().max(600_000).default(3000),
    catchupTimeoutMs: z.number().int().positive().max(3_600_000).default(30_000),
    consumerDrainTimeoutMs: z.number().int().min(0).max(600_000).default(5000),
  });
}

function domainSchema() {
  const { z } = zod();
  return z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'a JetStream domain is letters, digits, "-" and "_", e.g. "us-east-1"');
}

export function streamInputsSchema() {
  const { z } = zod();
  return z
    .object({
      connection: connectionSchema(),
      domain: domainSchema(),
      spec: streamSpecSchema(),
      role: z.enum(StreamRoles),
      peerDomain: domainSchema().optional(),
      failover: failoverSchema().default({ peerTimeoutMs: 3000, catchupTimeoutMs: 30_000, consumerDrainTimeoutMs: 5000 }),
      allowDeleteWithMessages: z.boolean().default(false),
    })
    .superRefine((inputs, context) => {
      if (inputs.role === "mirror" && !inputs.peerDomain) {
        context.addIssue({
          code: "custom",
          path: ["peerDomain"],
          message: "a mirror needs peerDomain, the JetStream domain of the region it copies from",
        });
      }
      if (inputs.peerDomain !== undefined && inputs.spec.retention === "workqueue") {
        // A work queue allows one consumer per subject and deletes on ack: consumer positions
        // cannot be carried across regions, and a failover would redo or lose work.
        context.addIssue({
          code: "custom",
          path: ["spec", "retention"],
          message: 'a workqueue stream cannot be replicated between regions; use retention "limits" or "interest", or give the stream a homeRegion so it is not replicated',
        });
      }
      if (inputs.peerDomain !== undefined && inputs.peerDomain === inputs.domain) {
        context.addIssue({
          code: "custom",
          path: ["peerDomain"],
          message: `peerDomain must name the other region, not this stream's own domain "${inputs.domain}"`,
        });
      }
    });
}

export function consumerSpecSchema() {
  const { z } = zod();
  return z
    .object({
      name: z.string().superRefine(refineName("consumer")),
      description: z.string().default(""),
      deliver: z.enum(DeliverModes).default("pull"),
      deliverSubject: subjectSchema().optional(),
      deliverGroup: z.string().superRefine(refineName("consumer")).optional(),
      ackPolicy: z.enum(AckPolicies).default("explicit"),
      ackWait: durationSchema().default("30s"),
      maxDeliver: z.number().int().min(-1).default(5),
      maxAckPending: z.number().int().min(-1).default(1000),
      filterSubjects: z.array(subjectSchema()).default([]),
      deliverPolicy: z.enum(DeliverPolicies).default("all"),
    })
    .superRefine((spec, context) => {
      if (spec.deliver === "push" && !spec.deliverSubject) {
        context.addIssue({ code: "custom", path: ["deliverSubject"], message: "a push consumer needs deliverSubject" });
      }
      if (spec.deliver === "pull" && (spec.deliverSubject || spec.deliverGroup)) {
        context.addIssue({
          code: "custom",
          path: ["deliverSubject"],
          message: "a pull consumer takes no deliverSubject/deliverGroup; remove them or set deliver: push",
        });
      }
      if (spec.maxDeliver === 0) {
        context.addIssue({ code: "custom", path: ["maxDeliver"], message: "maxDeliver must be positive, or -1 for unlimited" });
      }
    });
}

export function consumerInputsSchema() {
  const { z } = zod();
  return z.object({
    connection: connectionSchema(),
    domain: domainSchema(),
    stream: z.string().superRefine(refineName("stream")),
    spec: consumerSpecSchema(),
  });
}

/** Turns zod issues into "path: message" lines a person can act on. */
export function describeIssues(prefix: string, issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string[] {
  return issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join(".");
    return `${path}: ${issue.message}`;
  });
}

/** Validates with a schema built above; returns canonical data or every problem. */
export function validate<T>(schema: ZodType<T>, prefix: string, raw: unknown): { value: T } | { problems: string[] } {
  const result = schema.safeParse(raw);
  if (result.success) return { value: result.data };
  return { problems: describeIssues(prefix, result.error.issues) };
}
