/**
 * A histogram with at most one label, counted in a Float64Array per label
 * value and exposed through prom-client's Registry (prom-client writes the
 * exposition; this only supplies the values, as its own Histogram's get()
 * does). observe() is a bucket search and three additions, ~10x cheaper than
 * prom-client's, which hashes and validates the labels on every call; it is
 * the one per-request observe on the event path. It needs no prom-client
 * until it is registered (at the first scrape), so a node that is never
 * scraped never loads prom-client.
 */
import type { Metric, Registry } from "prom-client";

/** One label value's series. */
export interface HistogramSeries {
  /** Records one value (seconds). */
  observe(value: number): void;
}

interface Series extends HistogramSeries {
  readonly labelValue: string;
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** A histogram named `name` with one label `labelName` ("" for none), registered in `registry` now or later. */
export class FastHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";
  readonly #series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelName: string,
    readonly buckets: readonly number[],
    registry?: Registry,
  ) {
    // An unlabelled histogram shows its zero buckets before the first observation, as prom-client's does.
    if (labelName === "") this.series("");
    if (registry) this.register(registry);
  }

  /** Shows this histogram in `registry`'s exposition. */
  register(registry: Registry): void {
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series for `labelValue`, created on first use; keep it to observe without a lookup. */
  series(labelValue: string): HistogramSeries {
    let found = this.#series.get(labelValue);
    if (!found) {
      const buckets = this.buckets;
      const series: Series = {
        labelValue,
        counts: new Float64Array(buckets.length + 1),
        sum: 0,
        count: 0,
        observe(value) {
          let i = 0;
          while (i < buckets.length && value > buckets[i]!) i++;
          series.counts[i]!++;
          series.sum += value;
          series.count++;
        },
      };
      this.#series.set(labelValue, (found = series));
    }
    return found;
  }

  /** prom-client's metric shape: cumulative `_bucket` values with `le`, then `_sum` and `_count`, per series. */
  get() {
    const values: Array<{ value: number; labels: Record<string, string | number>; metricName: string }> = [];
    for (const series of this.#series.values()) {
      const label: Record<string, string> = this.labelName === "" ? {} : { [this.labelName]: series.labelValue };
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += series.counts[i]!;
        values.push({ value: cumulative, labels: { le: bound, ...label }, metricName: `${this.name}_bucket` });
      });
      values.push({ value: series.count, labels: { le: "+Inf", ...label }, metricName: `${this.name}_bucket` });
      values.push({ value: series.sum, labels: label, metricName: `${this.name}_sum` });
      values.push({ value: series.count, labels: label, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** Forgets every series. */
  reset(): void {
    this.#series.clear();
  }
}
