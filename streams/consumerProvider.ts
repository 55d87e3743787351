// The dynamic provider of durable JetStream consumers. Consumers live on primaries and mirrors
// alike (paused on mirrors until a promotion resumes them); their positions across a failover
// are carried by the stream's promotion (see consumerPositions.ts), so this provider only
// manages their configuration.
import type * as pulumi from "@pulumi/pulumi";
import type { ConsumerInfo } from "@nats-io/jetstream";
import { inSession, isNotFound, openSession, type Session } from "./client";
import { checkInputs, containsUnknown, pickInputs } from "./checking";
import { diffConsumerInputs } from "./diff";
import { consumerInputsSchema, credentialsSchema } from "./schemas";
import type { ConsumerResourceInputs, CredentialsSpec } from "./spec";
import { pausedWhileMirror } from "./consumerPositions";
import { consumerFacts, messagesDroppedByDelete } from "./consumerGuard";
import { consumerSpecFromWire, consumerWireConfig, MetadataKeys, userMetadata } from "./wire";

export interface ConsumerState extends ConsumerResourceInputs {
  readonly credentials?: CredentialsSpec;
  /**
   * Set by `check` when the state knows the consumer and its server does not hold it (deleted by
   * hand, or lost by a demotion that was interrupted between re-creating its stream and restoring
   * its consumers): a plain `pulumi up` then plans `+live` and creates it again. Never an output.
   */
  readonly live?: "absent";
}

const INPUT_KEYS = ["connection", "credentials", "domain", "stream", "spec", "allowDeleteWithMessages"] as const;

async function findConsumer(session: Session, stream: string, name: string): Promise<ConsumerInfo | undefined> {
  try {
    return await session.jsm.consumers.info(stream, name);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Whether the server lacks the consumer; undefined when it cannot be asked within the connection's
 * timeouts (a preview without network access still works; an update then fails to connect).
 */
async function consumerAbsent(inputs: ConsumerState): Promise<boolean | undefined> {
  const session = await openSession(inputs.connection, inputs.credentials, inputs.domain).catch(() => undefined);
  if (!session) return undefined;
  try {
    return (await findConsumer(session, inputs.stream, inputs.spec.name)) === undefined;
  } catch {
    return undefined;
  } finally {
    await session.close();
  }
}

function withoutLive(state: ConsumerState): ConsumerState {
  const { live: _seen, ...rest } = state;
  return rest;
}

/** Creates or updates the consumer to its declared config, keeping a failover position. */
async function upsert(session: Session, inputs: ConsumerState, existing: ConsumerInfo | undefined): Promise<void> {
  const desired = consumerWireConfig(inputs.spec, existing ? userMetadata(existing.config.metadata) : {});
  if (!existing) {
    const stream = await session.jsm.streams.info(inputs.stream);
    await session.jsm.consumers.add(inputs.stream, stream.config.mirror ? pausedWhileMirror(desired) : desired);
    return;
  }
  // Deliver policy and start sequence are fixed at creation (and set by a failover); keep them.
  delete desired.deliver_policy;
  await session.jsm.consumers.update(inputs.stream, inputs.spec.name, desired);
}

/** Throws when deleting the consumer would make its interest stream drop messages nobody read. */
async function refuseDroppingMessages(session: Session, props: ConsumerState): Promise<void> {
  let stream;
  try {
    stream = await session.jsm.streams.info(props.stream);
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  if (stream.config.retention !== "interest") return;
  const target = await findConsumer(session, props.stream, props.spec.name);
  if (!target) return;
  const others = [];
  for await (const info of session.jsm.consumers.list(props.stream)) others.push(consumerFacts(info));
  const dropped = messagesDroppedByDelete(stream.config.retention, consumerFacts(target), others);
  if (dropped === 0) return;
  throw new Error(
    `refusing to delete consumer ${props.spec.name} of stream ${props.stream} in domain "${props.domain}": the stream has interest retention and the server would drop the ${dropped} messages this consumer has not acknowledged (the stream holds ${stream.state.messages}), because no other consumer reads them. Let its readers acknowledge them, or keep the consumer in the catalog; to delete it anyway set allowDeleteWithMessages (config nats-dr:allowDeleteWithMessages: true) and run pulumi up before removing, renaming or destroying it.`,
  );
}

export const consumerProvider = {
  async check(olds: Partial<ConsumerState> | undefined, news: Record<string, unknown>) {
    if (containsUnknown(news)) return { inputs: news };
    const checked = checkInputs(news, [
      { key: undefined, schema: consumerInputsSchema(), pick: (raw) => pickInputs(raw, INPUT_KEYS) },
      { key: "credentials", schema: credentialsSchema(), pick: (raw) => raw["credentials"] ?? {} },
    ]);
    // A consumer the state knows: look at the server, as the stream's check does (reopen.ts).
    if (checked.failures || olds?.spec === undefined) return checked;
    const inputs = withoutLive(checked.inputs as unknown as ConsumerState);
    return { inputs: (await consumerAbsent(inputs)) === true ? { ...inputs, live: "absent" } : inputs };
  },

  async diff(_id: string, olds: ConsumerState, news: ConsumerState) {
    const result = diffConsumerInputs(olds, news);
    return {
      changes: result.changes || news.live === "absent" || containsUnknown(news),
      replaces: result.replaces,
      deleteBeforeReplace: result.deleteBeforeReplace,
    };
  },

  async create(inputs: ConsumerState) {
    return inSession(inputs, async (session) => {
      const existing = await findConsumer(session, inputs.stream, inputs.spec.name);
      if (existing && userMetadata(existing.config.metadata)[MetadataKeys.managed] !== "true") {
        throw new Error(
          `consumer ${inputs.spec.name} already exists on stream ${inputs.stream} in domain "${inputs.domain}" and was not created by nats-dr; nothing was changed. ` +
            "nats-dr does not take over consumers it did not create (`pulumi import` cannot adopt a dynamic provider's resource). " +
            `Delete it (nats consumer rm ${inputs.stream} ${inputs.spec.name}) once its readers have stopped, and run pulumi up to create it as declared (it then starts by its deliverPolicy), or give the catalog consumer another name.`,
        );
      }
      await upsert(session, inputs, existing);
      return { id: `${inputs.domain}/${inputs.stream}/${inputs.spec.name}`, outs: withoutLive(inputs) };
    });
  },

  async read(id: string, props: ConsumerState) {
    return inSession(props, async (session) => {
      const info = await findConsumer(session, props.stream, props.spec.name);
      if (!info) return { id: undefined as unknown as string, props: {} };
      const positioned = userMetadata(info.config.metadata)[MetadataKeys.positionedAt] !== undefined;
      const refreshed: ConsumerState = { ...props, spec: consumerSpecFromWire(info.config, positioned, props.spec) };
      return { id, props: refreshed, inputs: pickInputs(refreshed as unknown as Record<string, unknown>, INPUT_KEYS) };
    });
  },

  async update(_id: string, _olds: ConsumerState, news: ConsumerState) {
    return inSession(news, async (session) => {
      await upsert(session, news, await findConsumer(session, news.stream, news.spec.name));
      return { outs: withoutLive(news) };
    });
  },

  async delete(_id: string, props: ConsumerState) {
    await inSession(props, async (session) => {
      if (!props.allowDeleteWithMessages) await refuseDroppingMessages(session, props);
      try {
        await session.jsm.consumers.delete(props.stream, props.spec.name);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    });
  },
} satisfies pulumi.dynamic.ResourceProvider;
