/**
 * The prom-client registry of one node, built at its first scrape from the
 * plain counts PrometheusMetrics keeps (prometheus.ts imports this file
 * lazily: prom-client costs ~10 MiB of RSS once loaded, and most nodes are
 * never scraped). Every metric reads its value in collect(), at scrape time.
 */
import { Counter, Gauge, Registry } from "prom-client";
import type { MetricsState } from "./_state.ts";

/** prom-client's exposition content type (checked equal to Registry.PROMETHEUS_CONTENT_TYPE by a test). */
export const CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** A counter whose value is `read()` at scrape time. */
function counter(registers: Registry[], name: string, help: string, read: () => number): void {
  new Counter({ name, help, registers, collect() { this.reset(); this.inc(read()); } });
}

/** A gauge whose value is `read()` at scrape time. */
function gauge(registers: Registry[], name: string, help: string, read: () => number): void {
  new Gauge({ name, help, registers, collect() { this.set(read()); } });
}

/** The registry showing `state`, in the order and with the names and help texts of the metrics table in README. */
export function buildRegistry(state: MetricsState, prefix: string): Registry {
  const registry = new Registry();
  const registers = [registry];
  const name = (suffix: string) => `${prefix}${suffix}`;
  const { options } = state;

  new Gauge({ name: name("build_info"), help: "1, labelled with the version and role of this node", labelNames: ["version", "role"], registers })
    .set({ version: options.version, role: options.role }, 1);
  new Gauge({ name: name("start_time_seconds"), help: "When this node started, in seconds since the epoch", registers }).set(state.startedAtMs / 1000);
  const rss = options.residentMemoryBytes;
  if (rss) gauge(registers, "process_resident_memory_bytes", "Resident memory size in bytes", rss);
  new Counter({
    name: name("events_sent_total"),
    help: "Events this node's front sent (or refused to send), by verb, answering handler (\"\" when none answered) and reply code",
    labelNames: ["verb", "handler", "code"],
    registers,
    collect() { state.sent.copyTo(this); },
  });
  new Counter({
    name: name("events_received_total"),
    help: "Events received from the peer(s) and handled here, by verb, handler (\"\" when none matched) and reply code",
    labelNames: ["verb", "handler", "code"],
    registers,
    collect() { state.handled.copyTo(this); },
  });
  state.requestSeconds.register(registry);
  state.handlerSeconds.register(registry);
  new Gauge({
    name: name("in_flight_requests"),
    help: "Requests waiting for a reply: outbound (sent by this node) and inbound (being handled here)",
    labelNames: ["direction"],
    registers,
    collect() {
      const { outbound, inbound } = state.inFlight();
      this.set({ direction: "outbound" }, outbound);
      this.set({ direction: "inbound" }, inbound);
    },
  });
  state.rtt.register(registry);
  new Counter({
    name: name("policy_denied_total"),
    help: "Inbound events the policy refused before any handler ran, by deciding rule (1-based; 0: the default)",
    labelNames: ["rule"],
    registers,
    collect() {
      this.reset();
      for (const [rule, n] of state.denied) this.inc({ rule }, n);
    },
  });
  const counts = state.counts;
  counter(registers, name("heartbeat_timeouts_total"), "Pipes closed because the peer stopped answering heartbeats", () => counts.heartbeatTimeouts);
  counter(registers, name("pipe_bytes_received_total"), "Bytes received on pipes (frames, headers included)", () => state.bytes("bytesIn"));
  counter(registers, name("pipe_bytes_sent_total"), "Bytes sent on pipes (frames, headers included)", () => state.bytes("bytesOut"));

  if (options.role === "server") {
    gauge(registers, name("connected_clients"), "Clients connected now", () => state.pipeCount());
    counter(registers, name("client_connects_total"), "Client connections accepted (authenticated pipes)", () => counts.opened);
    counter(registers, name("client_disconnects_total"), "Client pipes that ended (closed, lost or replaced by a newer session)", () => counts.closed);
    const waiting = options.waiting;
    if (waiting) gauge(registers, name("waiting_requests"), "Front requests waiting for their client to connect", waiting);
    const shared = options.sharedIdentities;
    if (shared) {
      gauge(registers, name("shared_identities"), "CNs whose sessions replaced each other from different hosts within the last minute (two hosts with one identity)", shared);
    }
    let lastSeen: Gauge<"cn"> | undefined;
    new Gauge({
      name: name("client_connected"),
      help: "Per client CN: 1 while connected, 0 after (recently disconnected CNs only)",
      labelNames: ["cn"],
      registers,
      // Scraped first: fills both gauges from one pass over the per-CN state.
      collect() { if (lastSeen) state.perCn?.collect(this, lastSeen, state.nowMs() / 1000); },
    });
    lastSeen = new Gauge({
      name: name("client_last_seen_timestamp_seconds"),
      help: "Per client CN: now while connected, else when its pipe closed (recently disconnected CNs only)",
      labelNames: ["cn"],
      registers,
    });
  } else {
    gauge(registers, name("pipe_up"), "1 while the pipe to the server is up", () => (state.pipeCount() > 0 ? 1 : 0));
    counter(registers, name("pipe_connects_total"), "Times the pipe to the server came up", () => counts.opened);
    counter(registers, name("reconnects_total"), "Times the pipe to the server was lost (each is followed by a reconnect)", () => counts.closed);
    counter(registers, name("connect_attempts_total"), "Connection attempts to the server", () => counts.attempts);
    counter(registers, name("connect_failures_total"), "Connection attempts that failed (TCP, TLS or timeout)", () => counts.failures);
  }
  return registry;
}
