/**
 * A failure that repeats (a client redialling a server that is down, a
 * revoked client redialling the server) is logged once in full, then as a
 * summary at growing intervals (count, last reason, down since), instead of a
 * line per attempt: about one a second is 86,000 lines a day.
 */
import type { LogFields, Logger } from "./logger.ts";

/** Time from the first failure (then from each summary) to the next summary: 10 s, 1 min, 5 min, 15 min, then hourly. */
export const SUMMARY_INTERVALS_MS: readonly number[] = [10_000, 60_000, 300_000, 900_000, 3_600_000];

/** Keys followed at once at most (per-CN on a server); the longest-quiet one is forgotten past it. */
export const MAX_REPEATED_KEYS = 10_000;

interface Streak {
  readonly since: number;
  total: number;
  sinceSummary: number;
  lastReason: string;
  lastSummaryAt: number;
  step: number;
}

/** The log lines a RepeatedFailures writes. */
export interface RepeatedMessages {
  /** The first failure of a streak, with its reason. */
  readonly first: string;
  /** A summary: failures since the last line, the streak's total, the last reason, since when. */
  readonly summary: string;
}

/** Counts failures per key and logs the first one and growing-interval summaries (see the module doc). */
export class RepeatedFailures {
  readonly #streaks = new Map<string, Streak>();
  readonly #log: Logger;
  readonly #messages: RepeatedMessages;
  readonly #now: () => number;
  readonly #intervals: readonly number[];

  constructor(log: Logger, messages: RepeatedMessages, now: () => number = Date.now, intervals: readonly number[] = SUMMARY_INTERVALS_MS) {
    this.#log = log;
    this.#messages = messages;
    this.#now = now;
    this.#intervals = intervals;
  }

  /** One failure of `key`: the first of a streak is logged at once, later ones only in the summaries. */
  failed(key: string, reason: string, fields: LogFields = {}): void {
    const now = this.#now();
    const streak = this.#streaks.get(key);
    if (streak === undefined) {
      if (this.#streaks.size >= MAX_REPEATED_KEYS) this.#streaks.delete(this.#streaks.keys().next().value!);
      this.#streaks.set(key, { since: now, total: 1, sinceSummary: 0, lastReason: reason, lastSummaryAt: now, step: 0 });
      this.#log.warn(this.#messages.first, { ...fields, reason });
      return;
    }
    this.#streaks.delete(key); // re-inserted: the map's order is "least recently failed first"
    this.#streaks.set(key, streak);
    streak.total++;
    streak.sinceSummary++;
    streak.lastReason = reason;
    if (now - streak.lastSummaryAt < this.#intervals[streak.step]!) return;
    this.#log.warn(this.#messages.summary, {
      ...fields,
      failures: streak.sinceSummary,
      total: streak.total,
      lastReason: reason,
      // `now` may be a monotonic clock: the wall time of the streak's start is derived from its age.
      downSince: new Date(Date.now() - (now - streak.since)).toISOString(),
      downMs: now - streak.since,
    });
    streak.sinceSummary = 0;
    streak.lastSummaryAt = now;
    streak.step = Math.min(streak.step + 1, this.#intervals.length - 1);
  }

  /** The streak of `key` ended (connected again); its failure count, if it had a streak. The next failure is logged in full. */
  ended(key: string): number | undefined {
    const streak = this.#streaks.get(key);
    this.#streaks.delete(key);
    return streak?.total;
  }

  /** Keys with a streak now, and each streak's count, most recently failed last (the status page's refused handshakes). */
  streaks(): Array<{ key: string; total: number; lastReason: string; since: number }> {
    return [...this.#streaks].map(([key, s]) => ({ key, total: s.total, lastReason: s.lastReason, since: s.since }));
  }
}
