// What the failover plan asks the servers: read-only, bounded in time, never throwing. The
// program (not the provider) asks, once per run, so a preview can tell reviewers what `pulumi up`
// will do before anything changes (issue 14).
import type { ConsumerInfo, JetStreamManager, StreamInfo } from "@nats-io/jetstream";
import { isNotFound, openSession, withDeadline, type Session } from "../../streams/client";
import type { ConnectionSpec, CredentialsSpec } from "../../streams";

/** One copy of a stream as its domain answered: absent, or its info with its durable consumers. */
export type CopyAnswer =
  | { readonly kind: "absent" }
  | { readonly kind: "stream"; readonly info: StreamInfo; readonly consumers: readonly ConsumerInfo[] };

/** The peer domain, judged once for the whole run: silent means no answer within the timeout. */
export type PeerAnswer =
  | { readonly kind: "silent"; readonly reason: string }
  | { readonly kind: "answered"; readonly streams: Readonly<Record<string, CopyAnswer>> };

export type Observation =
  | { readonly kind: "unreachable"; readonly reason: string }
  | {
      readonly kind: "observed";
      /** This region's server time of the first answer, ISO (StreamInfo.ts), or this machine's. */
      readonly at: string;
      readonly local: Readonly<Record<string, CopyAnswer>>;
      readonly peer: PeerAnswer;
    };

export interface ObserveRequest {
  readonly connection: ConnectionSpec;
  readonly credentials: CredentialsSpec | undefined;
  readonly domain: string;
  readonly peerDomain: string;
  /** The replicated streams to look at. */
  readonly streams: readonly string[];
  /** The bound for the peer's answers, ms (the stack's failover.peerTimeoutMs). */
  readonly peerTimeoutMs: number;
}

async function copyOf(jsm: JetStreamManager, stream: string, timeoutMs: number): Promise<CopyAnswer> {
  try {
    const info = await withDeadline(jsm.streams.info(stream), timeoutMs, `stream info ${stream}`);
    const consumers: ConsumerInfo[] = [];
    const listing = (async () => {
      for await (const consumer of jsm.consumers.list(stream)) consumers.push(consumer);
    })();
    await withDeadline(listing, timeoutMs, `consumers of ${stream}`);
    return { kind: "stream", info, consumers };
  } catch (error) {
    if (isNotFound(error)) return { kind: "absent" };
    throw error;
  }
}

async function copiesOf(jsm: JetStreamManager, streams: readonly string[], timeoutMs: number) {
  const answers = await Promise.all(streams.map(async (stream) => [stream, await copyOf(jsm, stream, timeoutMs)]));
  return Object.fromEntries(answers) as Record<string, CopyAnswer>;
}

/**
 * Asks this region for its copies, and the peer domain (across the leafnode) for its copies, in
 * parallel: about one connect plus one round trip when both answer, at most the connect timeout
 * plus `peerTimeoutMs` when the peer is silent. The peer counts as silent as a whole when any of
 * its answers is missing: the plan judges it once, as a promotion would.
 */
export async function observe(request: ObserveRequest): Promise<Observation> {
  let session: Session;
  try {
    session = await openSession(request.connection, request.credentials, request.domain);
  } catch (error) {
    return { kind: "unreachable", reason: String((error as Error)?.message ?? error) };
  }
  try {
    const peerJsm = await session.managerFor(request.peerDomain, request.peerTimeoutMs);
    const [local, peer] = await Promise.all([
      copiesOf(session.jsm, request.streams, request.connection.requestTimeoutMs).then(
        (copies) => ({ ok: true as const, copies }),
        (error: unknown) => ({ ok: false as const, reason: String((error as Error)?.message ?? error) }),
      ),
      copiesOf(peerJsm, request.streams, request.peerTimeoutMs).then(
        (streams): PeerAnswer => ({ kind: "answered", streams }),
        (error: unknown): PeerAnswer => ({
          kind: "silent",
          reason: `peer domain "${request.peerDomain}" did not answer within ${request.peerTimeoutMs} ms (${String((error as Error)?.message ?? error)})`,
        }),
      ),
    ]);
    if (!local.ok) return { kind: "unreachable", reason: local.reason };
    const first = Object.values(local.copies).find((copy) => copy.kind === "stream");
    const at = first?.kind === "stream" && first.info.ts ? first.info.ts : new Date().toISOString();
    return { kind: "observed", at, local: local.copies, peer };
  } finally {
    await session.close();
  }
}
