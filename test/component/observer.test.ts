/**
 * The node observer over real pipes (in-memory transport): what /metrics
 * and the status tracker say as clients connect, talk, get replaced and
 * leave, with the per-CN series bounded.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { PrometheusMetrics } from "../../src/metrics/index.ts";
import { NodeObserver } from "../../src/node/index.ts";
import { Pipe, PipeRegistry, type PipeOptions } from "../../src/pipe/index.ts";
import { FakeClock, memoryPair, parseMetrics, sample, settle } from "../support/index.ts";

const opened: Pipe[] = [];
afterEach(() => {
  for (const pipe of opened.splice(0)) pipe.close();
});

/** A connected pair: `near` is the server's pipe to client `cn`, `far` the client's end. */
function connect(cn: string, options: Partial<PipeOptions> = {}) {
  const [near, far] = memoryPair();
  const reply = () => ({ mimetype: "text/plain", code: 0, data: new Uint8Array(3) });
  const base = { heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0, onEvent: reply };
  const server = new Pipe(near, { ...base, peer: { name: cn, remoteAddress: `memory:${cn}` }, ...options });
  const client = new Pipe(far, { ...base, peer: { name: "server", remoteAddress: "memory:server" } });
  opened.push(server, client);
  return { server, client, near };
}

async function scrape(observer: NodeObserver) {
  return parseMetrics(await observer.prometheus.scrape());
}

describe("the server's observer", () => {
  test("connected clients, per-CN series, bytes that survive the pipe", async () => {
    const observer = new NodeObserver({ role: "server", version: "1.2.3" });
    const registry = new PipeRegistry();
    observer.watch(registry);
    const a = connect("alpha");
    const b = connect("beta");
    registry.add(a.server);
    registry.add(b.server);
    await a.server.request({ verb: "get", noun: "x" });
    await a.client.request({ verb: "get", noun: "y" });
    await settle();

    let m = await scrape(observer);
    expect(sample(m, "restpipe_build_info", { version: "1.2.3", role: "server" })).toBe(1);
    expect(sample(m, "restpipe_connected_clients")).toBe(2);
    expect(sample(m, "restpipe_client_connected", { cn: "alpha" })).toBe(1);
    expect(sample(m, "restpipe_client_connected", { cn: "beta" })).toBe(1);
    const bytesIn = sample(m, "restpipe_pipe_bytes_received_total")!;
    expect(bytesIn).toBe(a.server.stats.bytesIn + b.server.stats.bytesIn);
    expect(bytesIn).toBeGreaterThan(0);

    a.client.close();
    await settle();
    m = await scrape(observer);
    expect(sample(m, "restpipe_connected_clients")).toBe(1);
    expect(sample(m, "restpipe_client_connected", { cn: "alpha" })).toBe(0);
    expect(sample(m, "restpipe_client_disconnects_total")).toBe(1);
    expect(sample(m, "restpipe_pipe_bytes_received_total")).toBe(bytesIn); // counters never go back
    const events = observer.tracker.events();
    expect(events.map((e) => [e.kind, e.name])).toEqual([["disconnected", "alpha"], ["connected", "beta"], ["connected", "alpha"]]);
  });

  test("a takeover reports the stale session as gone and the CN as still connected", async () => {
    const observer = new NodeObserver({ role: "server", version: "0" });
    const registry = new PipeRegistry();
    observer.watch(registry);
    registry.add(connect("gamma").server);
    registry.add(connect("gamma").server);
    await settle();
    const m = await scrape(observer);
    expect(sample(m, "restpipe_client_connected", { cn: "gamma" })).toBe(1);
    expect([sample(m, "restpipe_client_connects_total"), sample(m, "restpipe_client_disconnects_total")]).toEqual([2, 1]);
    const [latest, replaced] = observer.tracker.events();
    expect(latest).toMatchObject({ kind: "connected", name: "gamma" });
    expect(replaced).toMatchObject({ kind: "disconnected", name: "gamma", reason: 'replaced by a newer connection from "gamma"' });
  });

  test("answered heartbeats feed the RTT histogram; a dead peer counts as a heartbeat timeout", async () => {
    const clock = new FakeClock();
    const observer = new NodeObserver({ role: "server", version: "0" });
    const registry = new PipeRegistry();
    observer.watch(registry);
    const { server, near } = connect("delta", { clock, heartbeatIntervalMs: 1_000, heartbeatTimeoutMs: 500, onHeartbeat: observer.heartbeat });
    registry.add(server);
    await clock.advance(2_500);
    let m = await scrape(observer);
    expect(sample(m, "restpipe_heartbeat_rtt_seconds_count")).toBe(3);
    expect(sample(m, "restpipe_heartbeat_timeouts_total")).toBe(0);

    near.goSilent();
    await clock.advance(2_000);
    expect(server.status.state).toBe("closed");
    m = await scrape(observer);
    expect(sample(m, "restpipe_heartbeat_timeouts_total")).toBe(1);
  });
});

describe("label cardinality", () => {
  test("per-CN series of disconnected clients are bounded; connected ones always stay", async () => {
    const registry = new PipeRegistry();
    const metrics = new PrometheusMetrics({ role: "server", version: "0", pipes: () => registry.pipes(), rememberDisconnected: 2 });
    const pipes = ["c1", "c2", "c3", "c4"].map((cn) => connect(cn).server);
    for (const pipe of pipes) metrics.pipeOpened(pipe);
    for (const pipe of pipes.slice(0, 3)) metrics.pipeClosed(pipe);
    const m = parseMetrics(await metrics.scrape());
    const cns = [...m.keys()].filter((key) => key.startsWith("restpipe_client_connected{")).sort();
    expect(cns).toEqual(['restpipe_client_connected{cn="c2"}', 'restpipe_client_connected{cn="c3"}', 'restpipe_client_connected{cn="c4"}']);
    expect(sample(m, "restpipe_client_last_seen_timestamp_seconds", { cn: "c1" })).toBeUndefined();
  });

  test("caller-chosen paths and methods never become label values", async () => {
    const metrics = new PrometheusMetrics({ role: "client", version: "0", pipes: () => [] });
    metrics.eventSent("GET", "time", 0, 1);
    metrics.eventSent("GET", "time//a/b", 0, 1);
    metrics.eventSent("GET", "no/such/thing-1", 255, 1);
    metrics.eventSent("GET", "no/such/thing-2", 255, 1);
    metrics.eventSent("GET", "slow", 253, 1);
    metrics.eventSent("BREW", "coffee", 252, 1);
    metrics.eventHandled("get_x_1", 255, 1);
    metrics.eventHandled("get_cat", 251, 1);
    const m = parseMetrics(await metrics.scrape());
    expect(sample(m, "restpipe_events_sent_total", { verb: "get", handler: "get_time", code: "0" })).toBe(2);
    expect(sample(m, "restpipe_events_sent_total", { verb: "get", handler: "", code: "255" })).toBe(2);
    expect(sample(m, "restpipe_events_sent_total", { verb: "get", handler: "", code: "253" })).toBe(1);
    expect(sample(m, "restpipe_events_sent_total", { verb: "other", handler: "", code: "252" })).toBe(1);
    expect(sample(m, "restpipe_events_received_total", { verb: "get", handler: "", code: "255" })).toBe(1);
    expect(sample(m, "restpipe_events_received_total", { verb: "get", handler: "get_cat", code: "251" })).toBe(1);
    expect(sample(m, "restpipe_request_duration_seconds_count", { verb: "get" })).toBe(5);
    expect(sample(m, "restpipe_handler_duration_seconds_count", { handler: "get_x_1" })).toBeUndefined();
    expect([...m.keys()].some((key) => key.includes("thing"))).toBe(false);
  });
});

describe("the client's observer", () => {
  test("attempts, failures and reconnects from the dial loop's status", async () => {
    const observer = new NodeObserver({ role: "client", version: "0" });
    observer.clientStatus({ state: "connecting", attempt: 0 });
    observer.clientStatus({ state: "reconnecting", attempt: 1, delayMs: 10, reason: "refused" });
    observer.clientStatus({ state: "connecting", attempt: 1 });
    observer.clientStatus({ state: "connected", server: "s", since: Date.now() });
    const registry = new PipeRegistry();
    observer.watch(registry);
    const { server } = connect("server");
    registry.add(server, "server");
    let m = await scrape(observer);
    expect([sample(m, "restpipe_connect_attempts_total"), sample(m, "restpipe_connect_failures_total"), sample(m, "restpipe_pipe_up")]).toEqual([2, 1, 1]);
    server.close();
    await settle();
    m = await scrape(observer);
    expect([sample(m, "restpipe_reconnects_total"), sample(m, "restpipe_pipe_up")]).toEqual([1, 0]);
  });
});
