/** Reconnect delays: capped exponential backoff with full jitter (AWS's "full jitter"). Pure. */

/** Backoff parameters, in ms. */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly capMs: number;
  /** Uniform random number in [0, 1); injectable for tests. */
  readonly random?: () => number;
}

/** Delay before reconnect attempt `attempt` (0 for the first retry): uniform in [0, min(cap, base·2^attempt)]. */
export function backoff(attempt: number, options: BackoffOptions): number {
  if (!Number.isInteger(attempt) || attempt < 0) throw new RangeError(`Cannot compute backoff: attempt must be a whole number >= 0, got ${attempt}`);
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.min(attempt, 52));
  return Math.floor((options.random ?? Math.random)() * ceiling);
}

/**
 * Delay after the server said "go away, retry after `retryAfterMs`" (GoAway):
 * at least that long, spread over [retryAfter, 2·retryAfter] so that a fleet
 * of clients does not come back in one burst.
 */
export function goAwayDelay(retryAfterMs: number, random: () => number = Math.random): number {
  return Math.floor(retryAfterMs * (1 + random()));
}
