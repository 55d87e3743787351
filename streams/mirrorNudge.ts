// Waking a mirror whose origin lost its stream leader.
//
// A mirror receives through a consumer the server creates on the origin stream's leader. When that
// server dies (a node lost during a planned failover), the mirror hears nothing until its own
// stall check, which runs every 10 s (nats-server's sourceHealthCheckInterval), creates a new
// consumer, and backs off when that fails: the marker of a planned failover waited 8.5 s of a
// node-loss drill's 17 s there. A mirror whose leader changes sets up its mirror consumer afresh
// at once, so when the mirror has heard nothing from its origin for three of the 1 s heartbeats the
// origin's consumer sends, the promotion asks the mirror's leader (in this region) to step down:
// one request, at most every 2 s. Nothing is lost by it: the mirror's raft group keeps every
// message, and the new leader asks the origin for what follows its last one. The new leader's
// request can fail too (the origin's region still electing its JetStream meta leader, which
// answers consumer creates), and the server then backs off 10 s or more (or waits 30 s for an
// answer that never comes): in two node-loss drills a mirror stepped down once still had no
// contact 5 s later, and the second step-down had it caught up 0.33-0.39 s after. So a mirror
// still without contact 2 s after a step-down (a create across the link takes 0.1-0.3 s) is
// stepped down again. A mirror with one replica cannot step down and waits for the server.
import type { StreamInfo } from "@nats-io/jetstream";
import type { Session } from "./client";

/** No contact from the origin for this long means the mirror's consumer is gone, ms. */
export const MIRROR_STALL_MS = 3000;

/** At most one step-down request this often, ms (a new leader needs a moment to ask the origin). */
export const MIRROR_NUDGE_EVERY_MS = 2000;

/** Pure: whether a mirror has heard nothing from its origin for `stallMs` and could change leader. */
export function mirrorStalled(info: StreamInfo, stallMs = MIRROR_STALL_MS): boolean {
  const mirror = info.mirror;
  if (!info.config.mirror || !mirror || info.config.num_replicas < 2) return false;
  // -1: no contact since the mirror's leader took over.
  return mirror.active < 0 || mirror.active / 1e6 > stallMs;
}

/**
 * Asks this region's leader of the mirror to step down (JetStream API STREAM.LEADER.STEPDOWN).
 * Returns what the server said, in words; never throws (the marker wait goes on either way).
 */
export async function stepDownMirror(
  session: Session,
  domain: string,
  name: string,
  timeoutMs: number,
): Promise<string> {
  try {
    const reply = await session.nc.request(`$JS.${domain}.API.STREAM.LEADER.STEPDOWN.${name}`, undefined, {
      timeout: timeoutMs,
    });
    const answer = reply.json<{ success?: boolean; error?: { description?: string } }>();
    return answer.success
      ? "the mirror's leader stepped down"
      : `step-down refused: ${answer.error?.description ?? "no reason"}`;
  } catch (error) {
    return `step-down not answered: ${String((error as Error)?.message ?? error)}`;
  }
}
