/**
 * Prometheus metrics of one node, in its own prom-client Registry (never the
 * global one). Per-request work is one Map increment and one histogram
 * observe; everything that can be read from the pipes (bytes, in-flight,
 * connected clients) is read when /metrics is scraped. prom-client itself is
 * loaded at the first scrape (~10 MiB of RSS a node that is never scraped
 * does not pay): until then the counts are plain numbers (_state.ts).
 */
import type { Registry } from "prom-client";
import { HeartbeatTimeoutError, type Pipe } from "../pipe/index.ts";
import { handlerAnswered, handlerPath, verbLabel, verbOfHandler } from "./_labels.ts";
import { MetricsState, type PrometheusOptions } from "./_state.ts";
import type { MetricsRecorder } from "./recorder.ts";

export { DEFAULT_REMEMBER_DISCONNECTED, LATENCY_BUCKETS, RTT_BUCKETS, type PrometheusOptions } from "./_state.ts";

/** Metric names start with this. */
export const METRIC_PREFIX = "restpipe_";

/** Content-Type of the exposition text (prom-client's Registry.PROMETHEUS_CONTENT_TYPE, without loading it). */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The node's Prometheus registry (made at the first scrape) and the recorder that feeds it. */
export class PrometheusMetrics implements MetricsRecorder {
  readonly #state: MetricsState;
  #registry: Promise<Registry> | undefined;
  /** Metrics of the node's own (a fleet's), registered when the registry is made. */
  readonly #extras: Array<(registry: Registry) => Promise<void>> = [];

  constructor(options: PrometheusOptions) {
    this.#state = new MetricsState(options, METRIC_PREFIX);
  }

  /** The exposition text of every metric. */
  scrape(): Promise<string> {
    this.#registry ??= import("./_exposition.ts").then(async ({ buildRegistry }) => {
      const registry = buildRegistry(this.#state, METRIC_PREFIX);
      for (const extra of this.#extras) await extra(registry);
      return registry;
    });
    return this.#registry.then((registry) => registry.metrics());
  }

  /** Adds metrics to the registry (now, or when the first scrape makes it). */
  extend(register: (registry: Registry) => Promise<void>): void {
    this.#extras.push(register);
    if (this.#registry) this.#registry = this.#registry.then(async (registry) => (await register(registry), registry));
  }

  /** Content-Type of scrape()'s text. */
  get contentType(): string {
    return PROMETHEUS_CONTENT_TYPE;
  }

  eventSent(verb: string, noun: string, code: number, ms: number): void {
    const v = verbLabel(verb);
    this.#state.sent.add(v, handlerPath(noun, code), code);
    this.#state.requestSeconds.series(v).observe(ms / 1000);
  }

  eventHandled(handlerName: string, code: number, ms: number): void {
    if (!handlerAnswered(code)) return this.#state.handled.add("", verbOfHandler(handlerName), code);
    this.#state.handled.add(handlerName, verbOfHandler(handlerName), code);
    this.#state.handlerSeconds.series(handlerName).observe(ms / 1000);
  }

  policyDenied(rule: number): void {
    const key = String(rule);
    this.#state.denied.set(key, (this.#state.denied.get(key) ?? 0) + 1);
  }

  shareServed(share: string, status: number, bytes: number): void {
    const state = this.#state;
    const key = `${share}\0${status}`;
    state.shareRequests.set(key, (state.shareRequests.get(key) ?? 0) + 1);
    if (bytes > 0) state.shareBytes.set(share, (state.shareBytes.get(share) ?? 0) + bytes);
  }

  heartbeat(rttMs: number): void {
    this.#state.rtt.series("").observe(rttMs / 1000);
  }

  connectAttempt(): void {
    this.#state.counts.attempts++;
  }

  connectResult(ok: boolean): void {
    if (!ok) this.#state.counts.failures++;
  }

  pipeOpened(pipe: Pipe): void {
    this.#state.counts.opened++;
    this.#state.perCn?.opened(pipe.peer.name);
  }

  pipeClosed(pipe: Pipe): void {
    const state = this.#state;
    state.counts.closed++;
    state.retired.bytesIn += pipe.stats.bytesIn;
    state.retired.bytesOut += pipe.stats.bytesOut;
    if (pipe.status.state === "closed" && pipe.status.error instanceof HeartbeatTimeoutError) state.counts.heartbeatTimeouts++;
    state.perCn?.closed(pipe.peer.name, state.nowMs() / 1000);
  }

  close(): void {}
}
