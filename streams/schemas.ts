// Validation of the resources' inputs: zod schemas that canonicalise human units and report
// every problem with its input path and the fix. The schemas are built inside functions that
// `require("zod")`, when the first input is checked.
import type { ZodType } from "zod";
import { nameProblem, subjectProblem } from "./names";
import {
  AckPolicies,
  Compressions,
  DeliverModes,
  DeliverPolicies,
  DiscardPolicies,
  RetentionPolicies,
  StorageTypes,
  StreamRoles,
} from "./spec";
import { canonicalDuration, canonicalSize } from "./units";

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
            context.addIssue({
              code: "custom",
              message: `"${url}" is not a NATS server URL; write it as nats://host:4222`,
            });
          } else if (/^[a-z]+:\/\/[^/]*@/.test(url)) {
            context.addIssue({
              code: "custom",
              message:
                "a server URL must not carry user:password; put credentials in the credentials input so they stay secret",
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
    subjects: z.array(subjectSchema()).min(1, 'a stream needs at least one subject, such as "orders.>"'),
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
    noAck: z.boolean().optional(),
  });
}

export function failoverSchema() {
  const { z } = zod();
  return z.object({
    peerTimeoutMs: z.number().int().positive().max(600_000).default(3000),
    peerSettleMs: z.number().int().min(0).max(600_000).default(15_000),
    catchupTimeoutMs: z.number().int().positive().max(3_600_000).default(30_000),
    consumerDrainTimeoutMs: z.number().int().min(0).max(600_000).default(5000),
    unplannedConsumerRewind: z
      .string()
      .default("unlimited")
      .transform((text, context) => {
        if (text === "unlimited") return text;
        const canonical = canonicalDuration(text);
        if (typeof canonical === "string" && canonical !== "0") return canonical;
        context.addIssue({
          code: "custom",
          message: `"${text}" is not a rewind window; write a duration such as "15m" or "1h", or "unlimited"`,
        });
        return z.NEVER;
      }),
  });
}

function domainSchema() {
  const { z } = zod();
  return z.string().regex(/^[A-Za-z0-9_-]+$/, 'a JetStream domain is letters, digits, "-" and "_", e.g. "us-east-1"');
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
      failover: failoverSchema().default({
        peerTimeoutMs: 3000,
        peerSettleMs: 15_000,
        catchupTimeoutMs: 30_000,
        consumerDrainTimeoutMs: 5000,
        unplannedConsumerRewind: "unlimited",
      }),
      allowDeleteWithMessages: z.boolean().default(false),
      // No default: streams that never set it keep the inputs they had, so no diff appears.
      allowRecreateOverMirror: z.boolean().optional(),
      adopt: z.boolean().optional(),
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
          message:
            'a workqueue stream cannot be replicated between regions; use retention "limits" or "interest", or give the stream a homeRegion so it is not replicated',
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
        context.addIssue({
          code: "custom",
          path: ["maxDeliver"],
          message: "maxDeliver must be positive, or -1 for unlimited",
        });
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
    // No default: consumers created before this input existed keep inputs without it, so no diff.
    allowDeleteWithMessages: z.boolean({ error: () => "must be true or false" }).optional(),
  });
}

/** Where a problem is: a path such as ["spec", "maxAge"]. */
export type IssuePath = ReadonlyArray<PropertyKey>;

/** "spec.maxAge" from ["spec", "maxAge"], under `prefix` when there is one. */
export function dottedPath(prefix: string): (path: IssuePath) => string {
  return (path) => [prefix, ...path.map(String)].filter(Boolean).join(".");
}

/**
 * Turns validation issues into "<path>: <message>" lines a person can act on. `pathOf` writes the
 * path the way the reader names it: dotted input paths for the provider, config key paths
 * (infra/config/problems.ts configPath) for the stack config.
 */
export function describeIssues(
  issues: ReadonlyArray<{ readonly path: IssuePath; readonly message: string }>,
  pathOf: (path: IssuePath) => string = dottedPath(""),
): string[] {
  return issues.map((issue) => `${pathOf(issue.path)}: ${issue.message}`);
}

/** Validates with a schema built above; returns canonical data or every problem. */
export function validate<T>(schema: ZodType<T>, prefix: string, raw: unknown): { value: T } | { problems: string[] } {
  const result = schema.safeParse(raw);
  if (result.success) return { value: result.data };
  return { problems: describeIssues(result.error.issues, dottedPath(prefix)) };
}
