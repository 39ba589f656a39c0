/**
 * Labelled counts kept as plain numbers on the hot path and handed to a
 * prom-client Counter only when it is scraped. An increment is two or three
 * Map lookups on values the caller already has: no label object, no key
 * string, no closure per request (prom-client's own inc() hashes and
 * validates the labels every time).
 */
import type { Counter } from "prom-client";

interface Entry {
  readonly labels: Readonly<Record<string, string>>;
  value: number;
}

/** Counts keyed by (first, second, code); the labels are built once per key, by `labelsOf`. */
export class LabelledCounts {
  readonly #tree = new Map<string, Map<string, Map<number, Entry>>>();

  constructor(readonly labelsOf: (first: string, second: string, code: number) => Readonly<Record<string, string>>) {}

  /** Adds one under (first, second, code). */
  add(first: string, second: string, code: number): void {
    let level = this.#tree.get(first);
    if (!level) this.#tree.set(first, (level = new Map()));
    let codes = level.get(second);
    if (!codes) level.set(second, (codes = new Map()));
    const entry = codes.get(code);
    if (entry) entry.value++;
    else codes.set(code, { labels: this.labelsOf(first, second, code), value: 1 });
  }

  /** Copies the counts into `counter` (call from its collect()). */
  copyTo(counter: Counter<string>): void {
    counter.reset();
    for (const level of this.#tree.values()) {
      for (const codes of level.values()) for (const { labels, value } of codes.values()) counter.inc(labels, value);
    }
  }
}
