// Percentiles and summaries. Pure.
import type { LagSummary, SeriesPoint } from "./types";

/** Largest and smallest value, or null for none; a loop, not Math.max(...values), which overflows the stack for long arrays. */
export function maxOf(values: readonly number[]): number | null {
  let max: number | null = null;
  for (const value of values) if (max === null || value > max) max = value;
  return max;
}

export function minOf(values: readonly number[]): number | null {
  let min: number | null = null;
  for (const value of values) if (min === null || value < min) min = value;
  return min;
}

/**
 * Nearest-rank percentile (p in 0..100) of the values, or null for none: the smallest value
 * with at least p% of the values at or below it. p99 of 100 values is the 99th smallest.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile: p must be within 0..100; got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export interface LagPoint {
  readonly at: number;
  readonly lagMs: number | null;
  readonly lagMsgs: number | null;
  /** A re-created mirror copying the stream again (see LagSample.resync). */
  readonly resync?: boolean;
}

/**
 * Max, p99 and p50 of the lag samples that have a value, without the resync of a re-created
 * mirror, which is summarized apart: how long it took and how far behind it started.
 */
export function summarizeLag(all: readonly LagPoint[]): LagSummary {
  const samples = all.filter((sample) => !sample.resync);
  const resync = all.filter((sample) => sample.resync);
  const ms = samples.map((sample) => sample.lagMs).filter((value): value is number => value !== null);
  const msgs = samples.map((sample) => sample.lagMsgs).filter((value): value is number => value !== null);
  const resyncMsgs = resync.map((sample) => sample.lagMsgs).filter((value): value is number => value !== null);
  const resyncTimes = resync.map((sample) => sample.at);
  return {
    resyncMs: resyncTimes.length === 0 ? null : maxOf(resyncTimes)! - minOf(resyncTimes)!,
    resyncMaxMsgs: maxOf(resyncMsgs),
    samples: ms.length,
    maxMs: maxOf(ms),
    p99Ms: percentile(ms, 99),
    p50Ms: percentile(ms, 50),
    maxMsgs: maxOf(msgs),
    p99Msgs: percentile(msgs, 99),
  };
}

/** The longest interval between consecutive times (sorted or not) within [from, to], ms. */
export function longestGap(times: readonly number[], from: number, to: number): number | null {
  if (to <= from) return null;
  const inside = times.filter((at) => at >= from && at <= to).sort((a, b) => a - b);
  const edges = [from, ...inside, to];
  let longest = 0;
  for (let index = 1; index < edges.length; index++) longest = Math.max(longest, edges[index]! - edges[index - 1]!);
  return longest;
}

/**
 * Buckets of `bucketMs`: publish rate from acknowledgement counts per 100 ms, and the largest lag
 * sampled in each bucket (over all streams).
 */
export function buildSeries(
  ackBuckets: ReadonlyMap<number, number>,
  lag: readonly LagPoint[],
  endMs: number,
  bucketMs: number,
): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  const per100 = bucketMs / 100;
  for (let start = 0; start < endMs; start += bucketMs) {
    let acks = 0;
    for (let index = 0; index < per100; index++) acks += ackBuckets.get(Math.floor(start / 100) + index) ?? 0;
    const inBucket = lag.filter((sample) => sample.at >= start && sample.at < start + bucketMs && !sample.resync);
    const ms = inBucket.map((sample) => sample.lagMs).filter((value): value is number => value !== null);
    const msgs = inBucket.map((sample) => sample.lagMsgs).filter((value): value is number => value !== null);
    points.push({
      at: start,
      publishRate: (acks * 1000) / bucketMs,
      lagMs: maxOf(ms),
      lagMsgs: maxOf(msgs),
    });
  }
  return points;
}
