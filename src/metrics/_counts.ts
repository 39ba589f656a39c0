/**
 * Labelled counts kept as plain numbers on the hot path and handed to a
 * prom-client Counter only when it is scraped: an increment is one Map
 * lookup, not a label hash and validation per request.
 */
import type { Counter } from "prom-client";

interface Entry {
  readonly labels: Readonly<Record<string, string>>;
  value: number;
}

/** Counts per label set, keyed by a caller-built string. */
export class LabelledCounts {
  readonly #entries = new Map<string, Entry>();

  /** Adds one under `key`; `labels` is only called the first time a key is seen. */
  add(key: string, labels: () => Readonly<Record<string, string>>): void {
    const entry = this.#entries.get(key);
    if (entry) entry.value++;
    else this.#entries.set(key, { labels: labels(), value: 1 });
  }

  /** Copies the counts into `counter` (call from its collect()). */
  copyTo(counter: Counter<string>): void {
    counter.reset();
    for (const { labels, value } of this.#entries.values()) counter.inc(labels, value);
  }
}
