/** Time as the pipe sees it: injected so that heartbeats and deadlines run in virtual time in tests. */

/** An opaque timer handle. */
export type TimerHandle = unknown;

/** The clock contract. */
export interface Clock {
  /** Milliseconds, monotonic enough for intervals. */
  now(): number;
  /** Calls `callback` once after `ms`. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** Longest delay runtimes can wait for: a longer one fires after 1 ms instead (a peer may send any u32 deadline). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The real clock (web-standard timers, so it works on Bun and Deno alike); delays past MAX_TIMER_MS wait MAX_TIMER_MS. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, Math.min(ms, MAX_TIMER_MS)),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};
