/**
 * A failure that comes in bursts (a killed server's 300 clients re-homed in
 * one second, each takeover of its sessions unanswered) is logged once in
 * full, and the rest of the burst as one trailing line with their count,
 * the last one's fields and the time the burst lasted, instead of a line each.
 * Unlike RepeatedFailures (a streak that repeats for ever), a burst ends by
 * itself: its summary is written by a timer, so no count is lost when no
 * further failure comes.
 */
import type { LogFields, Logger } from "./logger.ts";

/** How long after a burst's first line its other failures are gathered into the summary. */
export const BURST_WINDOW_MS = 5_000;

/** Keys with an open burst at most (one per failing server or cause); past it a new key is logged in full. */
export const MAX_BURST_KEYS = 1_000;

/** The timer a BurstLog needs (the pipe's Clock fits). */
export interface BurstTimer {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
}

/** The log lines a BurstLog writes. */
export interface BurstMessages {
  /** The first failure of a burst, with its own fields. */
  readonly first: string;
  /** The rest of the burst: `more` failures after the first, `lastly` the last one's fields, `overMs`. */
  readonly summary: string;
}

interface Burst {
  readonly since: number;
  more: number;
  last: LogFields;
}

/** Logs the first failure of each key's burst, then one summary line per burst window (see the module doc). */
export class BurstLog {
  readonly #bursts = new Map<string, Burst>();

  constructor(
    private readonly log: Logger,
    private readonly messages: BurstMessages,
    private readonly timer: BurstTimer,
    private readonly windowMs: number = BURST_WINDOW_MS,
  ) {}

  /** One failure of `key`: the first of a burst in full, the others counted into its summary. */
  failed(key: string, fields: LogFields): void {
    const burst = this.#bursts.get(key);
    if (burst !== undefined) {
      burst.more++;
      burst.last = fields;
      return;
    }
    this.log.warn(this.messages.first, fields);
    if (this.#bursts.size >= MAX_BURST_KEYS) return;
    const opened: Burst = { since: this.timer.now(), more: 0, last: fields };
    this.#bursts.set(key, opened);
    this.timer.setTimeout(() => {
      this.#bursts.delete(key);
      if (opened.more === 0) return;
      this.log.warn(this.messages.summary, { ...opened.last, more: opened.more, overMs: Math.round(this.timer.now() - opened.since) });
    }, this.windowMs);
  }
}
