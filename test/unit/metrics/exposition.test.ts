/** The metrics keep plain counts until the first scrape builds the prom-client registry; what it shows matches prom-client's own metrics. */
import { describe, expect, test } from "bun:test";
import { Histogram, Registry } from "prom-client";
import { PROMETHEUS_CONTENT_TYPE, PrometheusMetrics, RTT_BUCKETS } from "../../../src/metrics/index.ts";
import { parseMetrics, sample } from "../../support/index.ts";

describe("lazy Prometheus exposition", () => {
  test("the content type said without prom-client is prom-client's", () => {
    expect(PROMETHEUS_CONTENT_TYPE).toBe(Registry.PROMETHEUS_CONTENT_TYPE);
    expect(new PrometheusMetrics({ role: "client", version: "0", pipes: () => [] }).contentType).toBe(Registry.PROMETHEUS_CONTENT_TYPE);
  });

  test("the heartbeat histogram reads as prom-client's unlabelled Histogram, before and after observations", async () => {
    const reference = new Registry();
    const theirs = new Histogram({ name: "restpipe_heartbeat_rtt_seconds", help: "Round-trip time of answered heartbeats", buckets: RTT_BUCKETS, registers: [reference] });
    const metrics = new PrometheusMetrics({ role: "client", version: "0", pipes: () => [] });
    const block = (text: string) => text.split("\n# HELP ").find((part) => part.startsWith("restpipe_heartbeat_rtt_seconds "));
    expect(block(await metrics.scrape())).toBe(block(`\n${await reference.metrics()}`));
    for (const ms of [0.1, 3, 7000]) {
      metrics.heartbeat(ms);
      theirs.observe(ms / 1000);
    }
    expect(block(await metrics.scrape())).toBe(block(`\n${await reference.metrics()}`));
  });

  test("counts made before the first scrape are all there at it, and later ones at the next", async () => {
    const metrics = new PrometheusMetrics({ role: "client", version: "0", pipes: () => [] });
    metrics.connectAttempt();
    metrics.connectResult(false);
    metrics.connectAttempt();
    metrics.policyDenied(2);
    metrics.policyDenied(2);
    let m = parseMetrics(await metrics.scrape());
    expect([sample(m, "restpipe_connect_attempts_total"), sample(m, "restpipe_connect_failures_total")]).toEqual([2, 1]);
    expect(sample(m, "restpipe_policy_denied_total", { rule: "2" })).toBe(2);
    metrics.policyDenied(0);
    metrics.connectAttempt();
    m = parseMetrics(await metrics.scrape());
    expect(sample(m, "restpipe_connect_attempts_total")).toBe(3);
    expect(sample(m, "restpipe_policy_denied_total", { rule: "0" })).toBe(1);
    expect(sample(m, "restpipe_policy_denied_total", { rule: "2" })).toBe(2);
  });
});
