/**
 * Metrics, statsd and probes on the compiled binaries: /metrics after real
 * traffic, the seed's statsd names at a real UDP listener on 127.0.0.1,
 * /healthz and /readyz as the pipe comes and goes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createSocket, type Socket } from "node:dgram";
import {
  makeTestPki,
  parseMetrics,
  sample,
  startClientProcess,
  startServerProcess,
  type ClientProcess,
  type ServerProcess,
  type TestPki,
} from "../support/index.ts";

let pki: TestPki;
let server: ServerProcess;
let client: ClientProcess;
let statsd: Socket;
const lines: string[] = [];

/** Polls `check` until it returns a value (not undefined), or fails after `timeoutMs` with `what`. */
async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(25);
  }
}

const metricsOf = async (url: string) => parseMetrics(await (await fetch(`${url}/metrics`)).text());

beforeAll(async () => {
  pki = await makeTestPki();
  statsd = createSocket("udp4");
  statsd.on("message", (message) => lines.push(...message.toString("utf8").split("\n")));
  await new Promise<void>((resolve) => statsd.bind(0, "127.0.0.1", resolve));
  const port = String(statsd.address().port);
  const fast = { RP_STATSD_HOST: "127.0.0.1", RP_STATSD_PORT: port };
  server = await startServerProcess(pki.server.dir, { ...fast, RP_STATSD_PREFIX: "srv", RP_SERVER_HEARTBEAT_INTERVAL_S: "0.2" });
  const identity = await pki.client("metered");
  client = await startClientProcess(identity.dir, server.pipePort, { ...fast, RP_STATSD_PREFIX: "cli", RP_CLIENT_HEARTBEAT_INTERVAL_S: "0.2" });
  await server.proc.waitForMessage("client connected", { client: "metered" });
});

afterAll(async () => {
  await Promise.all([client?.proc.stop(), server?.proc.stop()]);
  statsd?.close();
  await pki?.cleanup();
});

describe("probes", () => {
  test("/healthz and /readyz on both fronts while the pipe is up", async () => {
    for (const url of [server.http, client.http]) {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { status: string }).status).toBe("ready");
    }
  });
});

describe("/metrics after traffic", () => {
  test("events by verb, handler and code on both sides; per-CN gauges; bytes; RTT", async () => {
    for (let i = 0; i < 3; i++) expect((await fetch(`${server.http}/client/metered/time`)).status).toBe(200);
    expect((await fetch(`${client.http}/server/cat//a/b`)).status).toBe(200);
    expect((await fetch(`${client.http}/server/no/such/handler`)).status).toBe(404);
    const s = await eventually("a heartbeat in the server's metrics", async () => {
      const m = await metricsOf(server.http);
      return (sample(m, "restpipe_heartbeat_rtt_seconds_count") ?? 0) > 0 ? m : undefined;
    });
    expect(sample(s, "restpipe_events_sent_total", { verb: "get", handler: "get_time", code: "0" })).toBe(3);
    expect(sample(s, "restpipe_events_received_total", { verb: "get", handler: "get_cat", code: "0" })).toBe(1);
    expect(sample(s, "restpipe_events_received_total", { verb: "get", handler: "", code: "255" })).toBe(1);
    expect(sample(s, "restpipe_request_duration_seconds_count", { verb: "get" })).toBe(3);
    expect(sample(s, "restpipe_connected_clients")).toBe(1);
    expect(sample(s, "restpipe_client_connected", { cn: "metered" })).toBe(1);
    expect(sample(s, "restpipe_client_last_seen_timestamp_seconds", { cn: "metered" })).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(sample(s, "restpipe_pipe_bytes_received_total")).toBeGreaterThan(0);
    expect(sample(s, "restpipe_in_flight_requests", { direction: "outbound" })).toBe(0);
    expect(sample(s, "process_resident_memory_bytes")).toBeGreaterThan(1_000_000);

    const c = await metricsOf(client.http);
    expect(sample(c, "restpipe_events_sent_total", { verb: "get", handler: "get_cat", code: "0" })).toBe(1);
    expect(sample(c, "restpipe_events_sent_total", { verb: "get", handler: "", code: "255" })).toBe(1);
    expect(sample(c, "restpipe_events_received_total", { verb: "get", handler: "get_time", code: "0" })).toBe(3);
    expect([sample(c, "restpipe_pipe_up"), sample(c, "restpipe_connect_attempts_total"), sample(c, "restpipe_reconnects_total")]).toEqual([1, 1, 0]);
  });
});

describe("statsd (a real UDP listener)", () => {
  test("the seed's names arrive from both sides, with their prefixes", async () => {
    await fetch(`${server.http}/client/metered/time`);
    await fetch(`${client.http}/server/time`);
    const wanted = [
      "srv.server.connection.added.tick:1|c",
      "cli.client.connect.new.tick:1|c",
      "cli.client.connect.connected.tick:1|c",
      "srv.message.send.tick:1|c",
      "cli.message.send.tick:1|c",
      "cli.message.receive.tick:1|c",
      "cli.message.received.handle.get_time.tick:1|c",
      "srv.message.received.handle.get_time.tick:1|c",
      "cli.client.connect.heartbeat.success.tick:1|c",
      "srv.server.connection.heartbeat.success.tick:1|c",
    ];
    await eventually("the statsd lines", () => (wanted.every((line) => lines.includes(line)) ? true : undefined)).catch((error: Error) => {
      throw new Error(`${error.message}; missing ${JSON.stringify(wanted.filter((line) => !lines.includes(line)))}`);
    });
    expect(lines.some((line) => /^srv\.message\.send\.timing:[\d.]+\|ms$/.test(line))).toBe(true);
    expect(lines.some((line) => /^cli\.client\.connect\.new\.attempt\.timing:[\d.]+\|ms$/.test(line))).toBe(true);
  });
});

describe("when the client goes", () => {
  test("the server counts it out, statsd hears it; a client without a server is healthy, not ready, and logs debug lines with DEBUG=1", async () => {
    const mark = server.proc.logs.length;
    await client.proc.stop();
    await server.proc.waitForMessage("client disconnected", { client: "metered" }, 5_000, mark);
    const s = await metricsOf(server.http);
    expect(sample(s, "restpipe_connected_clients")).toBe(0);
    expect(sample(s, "restpipe_client_connected", { cn: "metered" })).toBe(0);
    expect(sample(s, "restpipe_client_disconnects_total")).toBe(1);
    await eventually("server.connection.removed", () => (lines.includes("srv.server.connection.removed.tick:1|c") ? true : undefined));

    // A client whose server is not there: up (healthz) but not ready.
    const identity = await pki.client("orphan");
    const orphan = await startClientProcess(identity.dir, 1, { DEBUG: "1" });
    try {
      await fetch(`${orphan.http}/elsewhere`);
      const debug = await orphan.proc.waitForMessage("front request refused", { level: "debug", status: 404 });
      expect(debug).toMatchObject({ node: "client", url: `${orphan.http}/elsewhere` });
      expect((await fetch(`${orphan.http}/healthz`)).status).toBe(200);
      const ready = await fetch(`${orphan.http}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { reason: string }).reason).toStartWith("the pipe to the server is ");
    } finally {
      await orphan.proc.stop();
    }
  });
});
