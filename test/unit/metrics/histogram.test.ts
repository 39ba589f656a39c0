/** The fast histogram writes exactly what prom-client's own Histogram writes for the same observations. */
import { describe, expect, test } from "bun:test";
import { Histogram, Registry } from "prom-client";
import { FastHistogram } from "../../../src/metrics/_histogram.ts";
import { LATENCY_BUCKETS } from "../../../src/metrics/index.ts";
import { seededRandom } from "../../support/index.ts";

describe("FastHistogram", () => {
  test("same exposition as prom-client's Histogram, bucket edges and +Inf included", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const fast = new FastHistogram("x_seconds", "help text", "verb", LATENCY_BUCKETS, ours);
    const reference = new Histogram({ name: "x_seconds", help: "help text", labelNames: ["verb"], buckets: LATENCY_BUCKETS, registers: [theirs] });
    const random = seededRandom(8);
    const values = [0, 0.0005, 0.001, 60, 61, 1e9, ...Array.from({ length: 400 }, () => random() ** 4 * 20)];
    values.forEach((value, i) => {
      const verb = i % 3 === 0 ? "get" : "post";
      fast.series(verb).observe(value);
      reference.labels(verb).observe(value);
    });
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  test("no series until the first observation; reset forgets them", async () => {
    const registry = new Registry();
    const fast = new FastHistogram("y_seconds", "h", "handler", [1], registry);
    expect(await registry.metrics()).toBe("# HELP y_seconds h\n# TYPE y_seconds histogram\n");
    fast.series("get_a").observe(2);
    expect(await registry.metrics()).toContain('y_seconds_bucket{le="+Inf",handler="get_a"} 1');
    fast.reset();
    expect(await registry.metrics()).not.toContain("get_a");
  });
});
