/**
 * What a node's Prometheus metrics count, in plain numbers and Maps: the
 * recorder's calls land here without prom-client, which is loaded only at
 * the first scrape (_exposition.ts reads this state then).
 */
import type { Pipe } from "../pipe/index.ts";
import { handlerNameFor } from "../dispatch/index.ts";
import { LabelledCounts } from "./_counts.ts";
import { FastHistogram } from "./_histogram.ts";
import { PerCnSeries } from "./_per-cn.ts";

/** What the metrics read from the node at scrape time. */
export interface PrometheusOptions {
  readonly role: "server" | "client";
  readonly version: string;
  /** The node's current pipes. */
  readonly pipes: () => Iterable<Pipe>;
  /** Server: requests waiting for a client to connect. */
  readonly waiting?: () => number;
  /** Server: CNs whose sessions keep replacing each other from different hosts now. */
  readonly sharedIdentities?: () => number;
  /** Resident memory of the process in bytes (from the runtime adapter). */
  readonly residentMemoryBytes?: () => number;
  /** Wall clock in epoch ms (default Date.now). */
  readonly now?: () => number;
  readonly rememberDisconnected?: number;
}

/** Request and handler latency buckets, in seconds: 0.5 ms to 60 s. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Heartbeat round-trip buckets, in seconds. */
export const RTT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Disconnected CNs whose per-CN series are kept (the most recent ones). */
export const DEFAULT_REMEMBER_DISCONNECTED = 1_000;

/** The plain counters of a node (unlabelled). */
export interface Counts {
  opened: number;
  closed: number;
  heartbeatTimeouts: number;
  attempts: number;
  failures: number;
}

/** One node's counts, histograms and per-CN state. */
export class MetricsState {
  readonly nowMs: () => number;
  readonly startedAtMs: number;
  /** verb → handler path (noun before "//") → code. */
  readonly sent = new LabelledCounts((verb, path, code) => ({ verb, handler: path === "" ? "" : handlerNameFor(verb, path), code: String(code) }));
  /** handler ("" when none answered) → verb → code. */
  readonly handled = new LabelledCounts((handler, verb, code) => ({ verb, handler, code: String(code) }));
  readonly requestSeconds: FastHistogram;
  readonly handlerSeconds: FastHistogram;
  readonly rtt: FastHistogram;
  /** Policy refusals by deciding rule. */
  readonly denied = new Map<string, number>();
  readonly counts: Counts = { opened: 0, closed: 0, heartbeatTimeouts: 0, attempts: 0, failures: 0 };
  /** Bytes of pipes that have closed (the open ones are read from the pipes). */
  readonly retired = { bytesIn: 0, bytesOut: 0 };
  readonly perCn: PerCnSeries | undefined;

  constructor(
    readonly options: PrometheusOptions,
    prefix: string,
  ) {
    this.nowMs = options.now ?? Date.now;
    this.startedAtMs = this.nowMs();
    const name = (suffix: string) => `${prefix}${suffix}`;
    this.requestSeconds = new FastHistogram(
      name("request_duration_seconds"),
      "Front requests from arrival to response (the event's round trip through the pipe), by verb",
      "verb",
      LATENCY_BUCKETS,
    );
    this.handlerSeconds = new FastHistogram(name("handler_duration_seconds"), "Time handlers on this node took to answer events, by handler", "handler", LATENCY_BUCKETS);
    this.rtt = new FastHistogram(name("heartbeat_rtt_seconds"), "Round-trip time of answered heartbeats", "", RTT_BUCKETS);
    this.perCn = options.role === "server" ? new PerCnSeries(options.rememberDisconnected ?? DEFAULT_REMEMBER_DISCONNECTED) : undefined;
  }

  /** Requests in flight over the node's pipes, by direction. */
  inFlight(): { outbound: number; inbound: number } {
    let outbound = 0;
    let inbound = 0;
    for (const pipe of this.options.pipes()) {
      outbound += pipe.inFlight;
      inbound += pipe.inboundInFlight;
    }
    return { outbound, inbound };
  }

  /** Bytes in one direction over every pipe this node has had. */
  bytes(key: "bytesIn" | "bytesOut"): number {
    let total = this.retired[key];
    for (const pipe of this.options.pipes()) total += pipe.stats[key];
    return total;
  }

  /** How many pipes the node has now. */
  pipeCount(): number {
    let n = 0;
    for (const _ of this.options.pipes()) n++;
    return n;
  }
}
