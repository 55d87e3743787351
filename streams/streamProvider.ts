// The dynamic provider of JetStream streams (primary or mirror).
//
// The engine's dynamic provider host loads this module by reference (providerModule.ts) and runs
// this object in a separate process. Everything it acts on is an input.
import type * as pulumi from "@pulumi/pulumi";
import type { StreamInfo } from "@nats-io/jetstream";
import { adoptionRefusal } from "./adoption";
import { inSession, isNotFound, type Session } from "./client";
import { demoteToMirror } from "./demotion";
import { diffStreamInputs } from "./diff";
import { hedged } from "./hedge";
import { checkInputs, containsUnknown, pickInputs } from "./checking";
import { observeLive, reopenFencedPrimary, type LiveStream, type ReopenOutcome } from "./reopen";
import {
  mirrorReadsAsDeclared,
  prepareFeedForNewMirror,
  rebuildMirror,
  removeMirrorFeed,
  requireMirrorFeedSupport,
} from "./mirrorFeed";
import { checkMirrorOrigin, originIdentity, provenOriginIdentity, refuseRecreateOverMirror } from "./origin";
import { listOrphanStreams } from "./orphans";
import { promoteMirror } from "./promotion";
import { credentialsSchema, streamInputsSchema } from "./schemas";
import type { HistoryCheck } from "./history";
import { repairMirror } from "./mirrorRepair";
import { fenceReturnedPeer, type PeerFenceRecord } from "./returnedPeer";
import type {
  CredentialsSpec,
  DemotionRecord,
  MirrorRepairRecord,
  PromotionRecord,
  StreamResourceInputs,
} from "./spec";
import { MetadataKeys, MIRROR_FEED, specFromWire, streamWireConfig, usesMirrorFeed, userMetadata } from "./wire";

/** What the provider stores: the inputs plus evidence of what it did. */
export interface StreamState extends StreamResourceInputs {
  readonly credentials?: CredentialsSpec;
  /** Identity of the server stream this resource created; tells a replaced stream apart. */
  readonly instance: string;
  readonly lastPromotion?: PromotionRecord;
  readonly lastDemotion?: DemotionRecord;
  /** Orphan streams of this stream found in its domain when it was created as a mirror. */
  readonly pendingOrphans?: { stream: string; messages: number }[];
  /**
   * Set by `read` (refresh) on a mirror that holds another history than its origin's (the
   * origin was re-created): the next `pulumi up` replaces the mirror, keeping its messages.
   */
  readonly originCheck?: HistoryCheck;
  readonly lastMirrorRepair?: MirrorRepairRecord;
  /** Evidence of the last time this primary's update fenced its returned old primary (returnedPeer.ts). */
  readonly lastPeerFence?: PeerFenceRecord;
  /** Set by `check` when the server holds something else than the state recorded; never an output. */
  readonly live?: LiveStream;
}

const INPUT_KEYS = [
  "connection",
  "credentials",
  "domain",
  "spec",
  "role",
  "peerDomain",
  "failover",
  "allowDeleteWithMessages",
  "allowRecreateOverMirror",
  "adopt",
] as const;

/**
 * The stream in this region, or undefined. With `settleMs`, asked again while unanswered for that
 * long (hedge.ts): a create or update that runs in a failover must not fail because this region's
 * stream is electing a leader (a server of it restarted or died); a drill's unplanned promotion
 * failed on this read once and took 15.8 s with the re-run.
 */
async function findStream(session: Session, name: string, settleMs = 0): Promise<StreamInfo | undefined> {
  try {
    return await hedged(() => session.jsm.streams.info(name), settleMs);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

function newInstance(): string {
  const { randomUUID } = require("node:crypto") as typeof import("node:crypto");
  return randomUUID();
}

/**
 * Re-writes a stream's configuration for its role, keeping metadata earlier runs recorded. A
 * primary fenced by the peer is re-opened first (reopen.ts), which may promote or demote it.
 */
async function applyConfig(
  session: Session,
  inputs: StreamResourceInputs,
  found: StreamInfo,
  instance: string,
): Promise<ReopenOutcome> {
  const fenced = inputs.role === "primary" && userMetadata(found.config.metadata)[MetadataKeys.fencedBy] !== undefined;
  const outcome = fenced ? await reopenFencedPrimary(session, inputs, instance, found) : { info: found };
  const existing = outcome.info;
  if (!existing) return outcome;
  const metadata: Record<string, string> = {
    ...userMetadata(existing.config.metadata),
    ...(inputs.role === "mirror" ? await provenOriginIdentity(session, inputs, existing) : {}),
    [MetadataKeys.instance]: instance,
  };
  if (inputs.role === "mirror" && existing.config.mirror && !mirrorReadsAsDeclared(existing, inputs)) {
    await rebuildMirror(session, inputs, instance, existing);
    return outcome;
  }
  const desired = streamWireConfig(inputs.spec, inputs.role, inputs.peerDomain, metadata);
  if (inputs.role === "mirror") {
    // A mirror's source cannot change; the merge in streams.update keeps the server's.
    delete desired.mirror;
    delete desired.subjects;
  }
  await session.jsm.streams.update(inputs.spec.name, desired);
  return outcome;
}

/** Outputs never carry `live`: it is what `check` saw before the run, not what the run left. */
function outputsOf(state: StreamState): StreamState {
  const { live: _seen, ...rest } = state;
  return rest;
}

export const streamProvider = {
  async check(olds: Partial<StreamState> | undefined, news: Record<string, unknown>) {
    if (containsUnknown(news)) return { inputs: news };
    const checked = checkInputs(news, [
      { key: undefined, schema: streamInputsSchema(), pick: (raw) => pickInputs(raw, INPUT_KEYS) },
      { key: "credentials", schema: credentialsSchema(), pick: (raw) => raw["credentials"] ?? {} },
    ]);
    // A resource the state knows: look at the server, so a plain `pulumi up` plans for a stream
    // fenced, removed or turned around since the last run (the `live` input; see reopen.ts).
    const recordedRole = olds?.role;
    if (checked.failures || (recordedRole !== "primary" && recordedRole !== "mirror")) return checked;
    const { live: _previous, ...inputs } = checked.inputs as unknown as StreamState;
    const live = await observeLive(inputs, recordedRole);
    return { inputs: live ? { ...inputs, live } : inputs };
  },

  async diff(_id: string, olds: StreamState, news: StreamState) {
    // The server holds something else than the state recorded (`live`, from check): plan from what
    // it holds, e.g. promote a stream that is a mirror there, re-open a fenced one, re-create a
    // removed one.
    const live = news.live;
    const base = live && live.role !== "absent" ? { ...olds, role: live.role } : olds;
    // Values not known yet (preview) compare as changed, so a role flip still shows as a replace.
    const result = diffStreamInputs(base, news);
    // A refresh found the mirror holding another history than its origin's: replace it (create
    // keeps its messages aside, then makes a fresh mirror).
    const repair = olds.originCheck?.verdict === "diverged" && olds.role === "mirror" && news.role === "mirror";
    const replaces = [
      ...result.replaces,
      ...(repair ? ["originCheck"] : []),
      ...(live?.role === "absent" ? ["live"] : []),
    ];
    return {
      changes: result.changes || repair || live !== undefined || containsUnknown(news),
      replaces: replaces.sort(),
      deleteBeforeReplace: result.deleteBeforeReplace,
    };
  },

  async create(inputs: StreamState) {
    return inSession(inputs, async (session) => {
      const instance = newInstance();
      const existing = await findStream(session, inputs.spec.name, inputs.failover.peerSettleMs);
      let lastDemotion: DemotionRecord | undefined;
      let lastPromotion: PromotionRecord | undefined;
      let lastMirrorRepair: MirrorRepairRecord | undefined;
      const feedMirror = inputs.role === "mirror" && usesMirrorFeed(inputs.spec);
      if (feedMirror) requireMirrorFeedSupport(session, inputs);
      if (!existing) {
        await refuseRecreateOverMirror(session, inputs);
        // A new mirror is empty: the origin it is about to copy is the one it records.
        const identity = inputs.role === "mirror" ? await originIdentity(session, inputs) : {};
        if (feedMirror) await prepareFeedForNewMirror(session, inputs);
        await session.jsm.streams.add(
          streamWireConfig(inputs.spec, inputs.role, inputs.peerDomain, {
            ...identity,
            [MetadataKeys.instance]: instance,
          }),
        );
      } else {
        const existingRole = existing.config.mirror ? "mirror" : "primary";
        if (userMetadata(existing.config.metadata)[MetadataKeys.managed] !== "true") {
          // Not ours: taken over only when nats-dr:adoptStreams lists it and it is already what
          // the inputs declare; applyConfig then adds nothing but nats-dr's metadata.
          const refusal = adoptionRefusal(inputs, existing);
          if (refusal !== undefined) throw new Error(refusal);
          await applyConfig(session, inputs, existing, instance);
        } else if (existingRole === "primary" && inputs.role === "mirror") {
          lastDemotion = await demoteToMirror(session, inputs, instance, existing);
        } else if (existingRole === "mirror" && inputs.role === "primary") {
          lastPromotion = await promoteMirror(session, inputs, instance);
        } else {
          // Ours already (e.g. an earlier create reached the server but not the state, or a
          // refresh found the mirror diverged from its origin): adopt it, or repair the mirror.
          const check =
            existingRole === "mirror" && inputs.role === "mirror"
              ? await checkMirrorOrigin(session, inputs, existing)
              : undefined;
          if (check?.verdict === "diverged") {
            lastMirrorRepair = await repairMirror(session, inputs, instance, existing, check);
          } else {
            const reopened = await applyConfig(session, inputs, existing, instance);
            lastPromotion = reopened.promotion;
            lastDemotion = reopened.demotion;
          }
        }
      }
      // A demotion interrupted after its copy leaves the orphan stream behind: report it on the
      // re-run too, so no kept message goes unnoticed.
      const pendingOrphans = inputs.role === "mirror" ? await listOrphanStreams(session, inputs.spec.name) : [];
      const outs: StreamState = outputsOf({
        ...inputs,
        instance,
        ...(lastPromotion ? { lastPromotion } : {}),
        ...(lastDemotion ? { lastDemotion } : {}),
        ...(lastMirrorRepair ? { lastMirrorRepair } : {}),
        ...(pendingOrphans.length > 0 ? { pendingOrphans } : {}),
      });
      return { id: `${inputs.domain}/${inputs.spec.name}`, outs };
    });
  },

  async read(id: string, props: StreamState) {
    return inSession(props, async (session) => {
      const info = await findStream(session, props.spec.name);
      if (!info) return { id: undefined as unknown as string, props: {} };
      const actual = specFromWire(info.config, props.spec);
      const { pendingOrphans: _recorded, originCheck: _previous, ...rest } = props;
      const pendingOrphans = actual.role === "mirror" ? await listOrphanStreams(session, props.spec.name) : [];
      const refreshed: StreamState = {
        ...rest,
        spec: actual.spec,
        role: actual.role,
        ...(actual.peerDomain ? { peerDomain: actual.peerDomain } : {}),
        // What the domain holds now: an orphan stream the operator re-published and removed goes.
        ...(pendingOrphans.length > 0 ? { pendingOrphans } : {}),
      };
      // A short look at the origin: a refresh during a failover must not wait long for a dead peer.
      const check =
        actual.role === "mirror"
          ? await checkMirrorOrigin(session, refreshed, info, Math.min(1000, props.connection.requestTimeoutMs)).catch(
              // A refresh reports what it can; the check is evidence, not a reason to fail.
              () => undefined,
            )
          : undefined;
      // Only a divergence is kept: a verdict that changes with every refresh would show as drift.
      const flagged: StreamState = check?.verdict === "diverged" ? { ...refreshed, originCheck: check } : refreshed;
      const inputs = pickInputs(flagged as unknown as Record<string, unknown>, INPUT_KEYS);
      // In the inputs too, so the engine's own diff of old and new inputs names why the mirror is
      // replaced.
      return {
        id,
        props: flagged,
        inputs: flagged.originCheck ? { ...inputs, originCheck: flagged.originCheck } : inputs,
      };
    });
  },

  async update(_id: string, olds: StreamState, news: StreamState) {
    return inSession(news, async (session) => {
      const instance = olds.instance ?? newInstance();
      let lastPromotion = olds.lastPromotion;
      let lastDemotion = olds.lastDemotion;
      const existing = await findStream(session, news.spec.name, news.failover.peerSettleMs);
      if (!existing) {
        throw new Error(
          `stream ${news.spec.name} no longer exists in domain "${news.domain}". Run \`pulumi refresh\` so the state forgets it, then \`pulumi up\` re-creates it.`,
        );
      }
      // Also when the server shows a primary: a promotion interrupted after the server promoted
      // the stream still has consumers to resume and evidence to record.
      if (news.role === "primary" && (existing.config.mirror || olds.role === "mirror")) {
        lastPromotion = await promoteMirror(session, news, instance, existing);
      } else {
        const reopened = await applyConfig(session, news, existing, instance);
        lastPromotion = reopened.promotion ?? lastPromotion;
        lastDemotion = reopened.demotion ?? lastDemotion;
      }
      // `check` found the peer's copy back as a writable primary: fence it (the preview said so).
      const lastPeerFence =
        news.role === "primary" && news.live?.returnedPeer !== undefined
          ? await fenceReturnedPeer(session, news, existing)
          : olds.lastPeerFence;
      // Orphan streams stay reported on every later update until the operator removes them.
      const pendingOrphans = news.role === "mirror" ? await listOrphanStreams(session, news.spec.name) : [];
      const outs: StreamState = outputsOf({
        ...news,
        instance,
        ...(lastPromotion ? { lastPromotion } : {}),
        ...(lastDemotion ? { lastDemotion } : {}),
        ...(pendingOrphans.length > 0 ? { pendingOrphans } : {}),
        ...(olds.lastMirrorRepair ? { lastMirrorRepair: olds.lastMirrorRepair } : {}),
        ...(lastPeerFence && news.role === "primary" ? { lastPeerFence } : {}),
      });
      return { outs };
    });
  },

  async delete(_id: string, props: StreamState) {
    await inSession(props, async (session) => {
      const info = await findStream(session, props.spec.name);
      if (!info) return;
      // After a primary -> mirror replacement the stream under this name belongs to the new
      // resource; deleting the old resource must leave it alone.
      if (props.instance && userMetadata(info.config.metadata)[MetadataKeys.instance] !== props.instance) return;
      if (info.state.messages > 0 && !props.allowDeleteWithMessages) {
        throw new Error(
          `refusing to delete stream ${props.spec.name} in domain "${props.domain}": it holds ${info.state.messages} messages (sequences ${info.state.first_seq}-${info.state.last_seq}). Back it up (nats stream backup) and set allowDeleteWithMessages (config nats-dr:allowDeleteWithMessages: true) to delete it, or keep it in the catalog.`,
        );
      }
      await session.jsm.streams.delete(props.spec.name);
      const feedOrigin = info.config.mirror?.consumer?.name === MIRROR_FEED ? props.peerDomain : undefined;
      if (feedOrigin) await removeMirrorFeed(session, feedOrigin, props.spec.name, props.failover.peerTimeoutMs);
    });
  },
} satisfies pulumi.dynamic.ResourceProvider;
