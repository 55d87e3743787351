// Where clients connect: the drill's stand-in for the Route53 failover record. Publishers and
// consumers ask the router for the active region on every attempt, as a client resolving the
// client hostname would after the record changed. The record only moves when a scenario says
// so: after the new active region's stack made its streams writable (docs/dns.md), or when the
// health check of a dead region fails.
import type { Region } from "../../infra/config/regions";

export interface RouterMove {
  /** Milliseconds since the drill started. */
  readonly at: number;
  readonly to: Region;
  readonly reason: string;
}

export class Router {
  private active: Region;
  private readonly listeners = new Set<(region: Region) => void>();
  readonly moves: RouterMove[] = [];

  constructor(
    initial: Region,
    private readonly clock: () => number,
  ) {
    this.active = initial;
  }

  current(): Region {
    return this.active;
  }

  /** Points clients at `region`; listeners (consumers) move their subscriptions. */
  moveTo(region: Region, reason: string): void {
    if (region === this.active) return;
    this.active = region;
    this.moves.push({ at: this.clock(), to: region, reason });
    for (const listener of this.listeners) listener(region);
  }

  onMove(listener: (region: Region) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
