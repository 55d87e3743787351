// How long a region's raft groups took to elect new leaders after one of its servers was killed,
// as the surviving servers saw it.
//
// A planned failover cannot fence, drain and catch up the old primary before the groups the
// killed server led have new leaders, and nats-server elects after 4-9 s of silence (its raft
// election timeout, which no server option changes), more when two candidates split the vote.
// The drill's node-loss RTO is judged against that (drill/report/verdict.ts), so it measures it:
// every 100 ms it reads `/jsz` of each survivor, and a group counts as elected once a survivor
// names another survivor (or itself) its leader: a follower learns of a new leader only from
// that leader.
import { getMonitorJson } from "./monitor";
import type { ServerHandle } from "./server";
import { sleep } from "./wait";

/** The parts of `/jsz?accounts=true&streams=true&consumers=true` read here. */
export interface JszDetail {
  readonly meta_cluster?: { readonly leader?: string };
  readonly account_details?: readonly {
    readonly stream_detail?: readonly {
      readonly name: string;
      readonly cluster?: { readonly leader?: string };
      readonly consumer_detail?: readonly { readonly name: string; readonly cluster?: { readonly leader?: string } }[];
    }[];
  }[];
}

/** The raft group of the meta layer, a stream, or a consumer (`stream/consumer`). */
export type RaftGroupName = string;
export const META_GROUP: RaftGroupName = "meta";

/** Pure: each watched group's leader as the survivors' `/jsz` name it ("" when none does). */
export function leadersSeen(
  details: readonly JszDetail[],
  streams: readonly string[],
): Map<RaftGroupName, readonly string[]> {
  const seen = new Map<RaftGroupName, string[]>();
  const note = (group: RaftGroupName, leader: string | undefined) => {
    const leaders = seen.get(group) ?? [];
    leaders.push(leader ?? "");
    seen.set(group, leaders);
  };
  for (const detail of details) {
    note(META_GROUP, detail.meta_cluster?.leader);
    for (const account of detail.account_details ?? []) {
      for (const stream of account.stream_detail ?? []) {
        if (!streams.includes(stream.name)) continue;
        note(stream.name, stream.cluster?.leader);
        for (const consumer of stream.consumer_detail ?? [])
          note(`${stream.name}/${consumer.name}`, consumer.cluster?.leader);
      }
    }
  }
  return seen;
}

/** Pure: the groups that have a leader among `survivors` in what they reported. */
export function groupsLedBySurvivors(
  seen: ReadonlyMap<RaftGroupName, readonly string[]>,
  survivors: readonly string[],
): Set<RaftGroupName> {
  const led = new Set<RaftGroupName>();
  for (const [group, leaders] of seen) if (leaders.some((leader) => survivors.includes(leader))) led.add(group);
  return led;
}

export interface ElectionTimes {
  /** The groups the killed server led (no survivor named a leader at the first read), ms after the kill they had one. */
  readonly elected: Readonly<Record<RaftGroupName, number>>;
  /** Groups without a leader among the survivors when the watch ended. */
  readonly unelected: readonly RaftGroupName[];
  /** When the last of them had a leader, ms after the kill; 0 when the killed server led none. */
  readonly lastMs: number;
}

export interface ElectionWatch {
  /** Settles when the reading ends: true once every timed group had a leader, false when stopped before. */
  readonly ended: Promise<boolean>;
  /** Stops reading and says what was seen. */
  stop(): Promise<ElectionTimes>;
}

/** How often the survivors' `/jsz` is read, ms. */
const READ_EVERY_MS = 100;

/**
 * Starts reading the survivors' `/jsz` right after a server was killed (at `killedAt` on
 * `clock`, ms), until every watched group (meta, `streams`, their consumers) has a leader among
 * them or `stop()` is called. A survivor that does not answer a read is left out of it.
 */
export function watchElections(
  survivors: readonly ServerHandle[],
  streams: readonly string[],
  clock: () => number,
  killedAt: number,
): ElectionWatch {
  const names = survivors.map((server) => server.name);
  const elected: Record<RaftGroupName, number> = {};
  let waiting: Set<RaftGroupName> | undefined;
  let running = true;
  const read = async (): Promise<void> => {
    const readAt = clock();
    const details = await Promise.all(
      survivors.map((server) =>
        getMonitorJson<JszDetail>(server.monitorPort, "/jsz?accounts=true&streams=true&consumers=true").catch(
          () => undefined,
        ),
      ),
    );
    const answered = details.filter((detail): detail is JszDetail => detail !== undefined);
    // The first read that any survivor answered says which groups the killed server led.
    if (answered.length === 0) return;
    const seen = leadersSeen(answered, streams);
    const led = groupsLedBySurvivors(seen, names);
    if (waiting === undefined) waiting = new Set([...seen.keys()].filter((group) => !led.has(group)));
    for (const group of [...waiting]) {
      if (!led.has(group)) continue;
      elected[group] = Math.round(readAt - killedAt);
      waiting.delete(group);
    }
  };
  const loop = (async () => {
    while (running) {
      const started = clock();
      await read();
      if (waiting !== undefined && waiting.size === 0) return;
      await sleep(Math.max(0, READ_EVERY_MS - (clock() - started)));
    }
  })();
  return {
    ended: loop.then(() => waiting !== undefined && waiting.size === 0),
    async stop() {
      running = false;
      await loop;
      return {
        elected,
        unelected: [...(waiting ?? [])].sort(),
        lastMs: Math.max(0, ...Object.values(elected)),
      };
    },
  };
}
