/** Options for {@link waitFor}. */
export interface WaitOptions {
  /** Give up after this long, in milliseconds. @default 20_000 */
  readonly timeoutMs?: number;
  /** Pause between attempts, in milliseconds. @default 100 */
  readonly intervalMs?: number;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` until it returns a value other than `undefined` or `false`, and returns that
 * value. A probe that throws counts as "not yet". On timeout the error names `what` and
 * includes the last thrown error or returned value, so a failing test says what it waited for.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) {
        return value;
      }
      last = `probe returned ${String(value)}`;
    } catch (err) {
      last = `probe threw: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (Date.now() >= deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (${last}).`);
    }
    await sleep(intervalMs);
  }
}

/** Resolves true when `promise` settles within `ms` milliseconds, false otherwise. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
