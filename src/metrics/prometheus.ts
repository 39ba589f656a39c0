/**
 * Prometheus metrics of one node, in its own prom-client Registry (never the
 * global one). Per-request work is one Map increment and one histogram
 * observe; everything that can be read from the pipes (bytes, in-flight,
 * connected clients) is read when /metrics is scraped.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { HeartbeatTimeoutError, type Pipe } from "../pipe/index.ts";
import { LabelledCounts } from "./_counts.ts";
import { FastHistogram } from "./_histogram.ts";
import { handlerNameFor } from "../dispatch/index.ts";
import { handlerAnswered, handlerPath, verbLabel, verbOfHandler } from "./_labels.ts";
import { PerCnSeries } from "./_per-cn.ts";
import type { MetricsRecorder } from "./recorder.ts";

/** Metric names start with this. */
export const METRIC_PREFIX = "restpipe_";

/** Request and handler latency buckets, in seconds: 0.5 ms to 60 s. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Heartbeat round-trip buckets, in seconds. */
export const RTT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Disconnected CNs whose per-CN series are kept (the most recent ones). */
export const DEFAULT_REMEMBER_DISCONNECTED = 1_000;

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

/** The node's Prometheus registry and the recorder that feeds it. */
export class PrometheusMetrics implements MetricsRecorder {
  readonly registry = new Registry();
  readonly #options: PrometheusOptions;
  readonly #now: () => number;
  /** verb → handler path (noun before "//") → code. */
  readonly #sent = new LabelledCounts((verb, path, code) => ({ verb, handler: path === "" ? "" : handlerNameFor(verb, path), code: String(code) }));
  /** handler ("" when none answered) → verb → code. */
  readonly #handled = new LabelledCounts((handler, verb, code) => ({ verb, handler, code: String(code) }));
  readonly #requestSeconds: FastHistogram;
  readonly #handlerSeconds: FastHistogram;
  readonly #rtt: Histogram;
  readonly #retired = { bytesIn: 0, bytesOut: 0 };
  readonly #perCn: PerCnSeries | undefined;
  readonly #opened: Counter;
  readonly #closed: Counter;
  readonly #heartbeatTimeouts: Counter;
  readonly #denied: Counter;
  readonly #shareRequests: Counter;
  readonly #shareBytes: Counter;
  readonly #attempts: Counter | undefined;
  readonly #failures: Counter | undefined;

  constructor(options: PrometheusOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    const registers = [this.registry];
    const name = (suffix: string) => `${METRIC_PREFIX}${suffix}`;
    const sent = this.#sent;
    const handled = this.#handled;
    const self = this;

    new Gauge({ name: name("build_info"), help: "1, labelled with the version and role of this node", labelNames: ["version", "role"], registers })
      .set({ version: options.version, role: options.role }, 1);
    new Gauge({ name: name("start_time_seconds"), help: "When this node started, in seconds since the epoch", registers }).set(this.#now() / 1000);
    if (options.residentMemoryBytes) {
      const read = options.residentMemoryBytes;
      new Gauge({ name: "process_resident_memory_bytes", help: "Resident memory size in bytes", registers, collect() { this.set(read()); } });
    }
    new Counter({
      name: name("events_sent_total"),
      help: "Events this node's front sent (or refused to send), by verb, answering handler (\"\" when none answered) and reply code",
      labelNames: ["verb", "handler", "code"],
      registers,
      collect() { sent.copyTo(this); },
    });
    new Counter({
      name: name("events_received_total"),
      help: "Events received from the peer(s) and handled here, by verb, handler (\"\" when none matched) and reply code",
      labelNames: ["verb", "handler", "code"],
      registers,
      collect() { handled.copyTo(this); },
    });
    this.#requestSeconds = new FastHistogram(
      name("request_duration_seconds"),
      "Front requests from arrival to response (the event's round trip through the pipe), by verb",
      "verb",
      LATENCY_BUCKETS,
      this.registry,
    );
    this.#handlerSeconds = new FastHistogram(
      name("handler_duration_seconds"),
      "Time handlers on this node took to answer events, by handler",
      "handler",
      LATENCY_BUCKETS,
      this.registry,
    );
    new Gauge({
      name: name("in_flight_requests"),
      help: "Requests waiting for a reply: outbound (sent by this node) and inbound (being handled here)",
      labelNames: ["direction"],
      registers,
      collect() { self.#collectInFlight(this); },
    });
    this.#rtt = new Histogram({ name: name("heartbeat_rtt_seconds"), help: "Round-trip time of answered heartbeats", buckets: RTT_BUCKETS, registers });
    this.#denied = new Counter({
      name: name("policy_denied_total"),
      help: "Inbound events the policy refused before any handler ran, by deciding rule (1-based; 0: the default)",
      labelNames: ["rule"],
      registers,
    });
    this.#shareRequests = new Counter({
      name: name("share_requests_total"),
      help: "Requests the built-in file share answered, by share (\"\" for a name that is not shared) and HTTP status",
      labelNames: ["share", "status"],
      registers,
    });
    this.#shareBytes = new Counter({ name: name("share_bytes_total"), help: "Body bytes the built-in file share sent (or began to send), by share", labelNames: ["share"], registers });
    this.#heartbeatTimeouts = new Counter({ name: name("heartbeat_timeouts_total"), help: "Pipes closed because the peer stopped answering heartbeats", registers });
    new Counter({ name: name("pipe_bytes_received_total"), help: "Bytes received on pipes (frames, headers included)", registers, collect() { self.#collectBytes(this, "bytesIn"); } });
    new Counter({ name: name("pipe_bytes_sent_total"), help: "Bytes sent on pipes (frames, headers included)", registers, collect() { self.#collectBytes(this, "bytesOut"); } });

    if (options.role === "server") {
      const pipes = options.pipes;
      new Gauge({ name: name("connected_clients"), help: "Clients connected now", registers, collect() { this.set(count(pipes())); } });
      this.#opened = new Counter({ name: name("client_connects_total"), help: "Client connections accepted (authenticated pipes)", registers });
      this.#closed = new Counter({ name: name("client_disconnects_total"), help: "Client pipes that ended (closed, lost or replaced by a newer session)", registers });
      const waiting = options.waiting;
      if (waiting) new Gauge({ name: name("waiting_requests"), help: "Front requests waiting for their client to connect", registers, collect() { this.set(waiting()); } });
      const shared = options.sharedIdentities;
      if (shared) {
        new Gauge({
          name: name("shared_identities"),
          help: "CNs whose sessions replaced each other from different hosts within the last minute (two hosts with one identity)",
          registers,
          collect() { this.set(shared()); },
        });
      }
      const connected = new Gauge({ name: name("client_connected"), help: "Per client CN: 1 while connected, 0 after (recently disconnected CNs only)", labelNames: ["cn"], registers });
      const lastSeen = new Gauge({
        name: name("client_last_seen_timestamp_seconds"),
        help: "Per client CN: now while connected, else when its pipe closed (recently disconnected CNs only)",
        labelNames: ["cn"],
        registers,
        collect() { self.#perCn?.seen(names(pipes()), self.#now() / 1000); },
      });
      this.#perCn = new PerCnSeries(connected, lastSeen, options.rememberDisconnected ?? DEFAULT_REMEMBER_DISCONNECTED);
    } else {
      const pipes = options.pipes;
      new Gauge({ name: name("pipe_up"), help: "1 while the pipe to the server is up", registers, collect() { this.set(count(pipes()) > 0 ? 1 : 0); } });
      this.#opened = new Counter({ name: name("pipe_connects_total"), help: "Times the pipe to the server came up", registers });
      this.#closed = new Counter({ name: name("reconnects_total"), help: "Times the pipe to the server was lost (each is followed by a reconnect)", registers });
      this.#attempts = new Counter({ name: name("connect_attempts_total"), help: "Connection attempts to the server", registers });
      this.#failures = new Counter({ name: name("connect_failures_total"), help: "Connection attempts that failed (TCP, TLS or timeout)", registers });
    }
  }

  /** The exposition text of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  /** Content-Type of scrape()'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  eventSent(verb: string, noun: string, code: number, ms: number): void {
    const v = verbLabel(verb);
    this.#sent.add(v, handlerPath(noun, code), code);
    this.#requestSeconds.series(v).observe(ms / 1000);
  }

  eventHandled(handlerName: string, code: number, ms: number): void {
    if (!handlerAnswered(code)) return this.#handled.add("", verbOfHandler(handlerName), code);
    this.#handled.add(handlerName, verbOfHandler(handlerName), code);
    this.#handlerSeconds.series(handlerName).observe(ms / 1000);
  }

  policyDenied(rule: number): void {
    this.#denied.inc({ rule: String(rule) });
  }

  shareServed(share: string, status: number, bytes: number): void {
    this.#shareRequests.inc({ share, status: String(status) });
    if (bytes > 0) this.#shareBytes.inc({ share }, bytes);
  }

  heartbeat(rttMs: number): void {
    this.#rtt.observe(rttMs / 1000);
  }

  connectAttempt(): void {
    this.#attempts?.inc();
  }

  connectResult(ok: boolean): void {
    if (!ok) this.#failures?.inc();
  }

  pipeOpened(pipe: Pipe): void {
    this.#opened.inc();
    this.#perCn?.opened(pipe.peer.name, this.#now() / 1000);
  }

  pipeClosed(pipe: Pipe): void {
    this.#closed.inc();
    this.#retired.bytesIn += pipe.stats.bytesIn;
    this.#retired.bytesOut += pipe.stats.bytesOut;
    if (pipe.status.state === "closed" && pipe.status.error instanceof HeartbeatTimeoutError) this.#heartbeatTimeouts.inc();
    this.#perCn?.closed(pipe.peer.name, this.#now() / 1000);
  }

  close(): void {}

  #collectInFlight(gauge: Gauge<"direction">): void {
    let outbound = 0;
    let inbound = 0;
    for (const pipe of this.#options.pipes()) {
      outbound += pipe.inFlight;
      inbound += pipe.inboundInFlight;
    }
    gauge.set({ direction: "outbound" }, outbound);
    gauge.set({ direction: "inbound" }, inbound);
  }

  #collectBytes(counter: Counter, key: "bytesIn" | "bytesOut"): void {
    let total = this.#retired[key];
    for (const pipe of this.#options.pipes()) total += pipe.stats[key];
    counter.reset();
    counter.inc(total);
  }
}

function count(items: Iterable<unknown>): number {
  let n = 0;
  for (const _ of items) n++;
  return n;
}

function* names(pipes: Iterable<Pipe>): Iterable<string> {
  for (const pipe of pipes) yield pipe.peer.name;
}
