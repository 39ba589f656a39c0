/** The dial loop in virtual time: backoff between failures, reset after a stable pipe, GoAway honoured. */
import { afterEach, describe, expect, test } from "bun:test";
import { startDialLoop, type ClientStatus, type DialLoop } from "../../src/client/index.ts";
import { silentLogger } from "../../src/log/index.ts";
import { Pipe, type Transport } from "../../src/pipe/index.ts";
import { FakeClock, memoryPair, settle } from "../support/index.ts";

/** One heartbeat at open (capabilities are exchanged, so GoAway can be sent), no timeout. */
const HEARTBEATS = { heartbeatIntervalMs: 3_600_000, heartbeatTimeoutMs: 0 };

interface Harness {
  loop: DialLoop;
  clock: FakeClock;
  statuses: ClientStatus[];
  dials: number[];
  pipes: Pipe[];
  /** Pipes the loop declared ready (the client registers them). */
  ready: Pipe[];
  servers: Pipe[];
  events: string[];
}

const loops: DialLoop[] = [];
afterEach(() => {
  for (const loop of loops.splice(0)) loop.stop();
});

/** A loop whose dial fails `failures` times, then succeeds with an in-memory pipe to a fake server. */
function harness(failures: number, dropAtOnce = false): Harness {
  const clock = new FakeClock();
  const h: Harness = { loop: undefined as never, clock, statuses: [], dials: [], pipes: [], ready: [], servers: [], events: [] };
  let remaining = failures;
  h.loop = startDialLoop({
    targets: [{ host: "server", port: 1 }],
    dial: async (): Promise<Transport> => {
      h.dials.push(clock.now());
      if (remaining-- > 0) throw new Error("connection refused");
      const [client, server] = memoryPair();
      if (dropAtOnce) {
        // Like a TLS 1.3 server refusing the certificate: the handshake looked fine, then a close, not a byte.
        server.start({ data: () => {}, drain: () => {}, closed: () => {} });
        queueMicrotask(() => server.close());
        return client;
      }
      h.servers.push(new Pipe(server, { peer: { name: "client", remoteAddress: "memory" }, onEvent: () => ({ code: 0 }), clock, ...HEARTBEATS }));
      return client;
    },
    open: async (transport) => {
      const peer = { name: "server", remoteAddress: "memory" };
      const pipe = new Pipe(transport, { peer, onEvent: () => ({ code: 0 }), clock, ...HEARTBEATS, onGoAway: (ms) => h.loop.goAway(ms) });
      h.pipes.push(pipe);
      return pipe;
    },
    ready: (pipe) => h.ready.push(pipe),
    baseMs: 100,
    capMs: 2_000,
    log: silentLogger,
    clock,
    random: () => 0.5,
    onStatus: (status) => h.statuses.push(status),
    connected: (info) => h.events.push(`connected retries=${info.retries} since=${info.disconnectedSince === undefined ? "-" : "set"}`),
    failed: (info) => h.events.push(`failed retries=${info.retries}`),
  });
  loops.push(h.loop);
  return h;
}

describe("dial loop", () => {
  test("a retry in progress still carries why the previous attempt failed (for /readyz and `rp-client status`)", async () => {
    const h = harness(2);
    await h.clock.advance(10_000);
    const states = h.statuses.map((s) => `${s.state}${"reason" in s && s.reason !== undefined ? `: ${s.reason}` : ""}`);
    expect(states).toEqual([
      "connecting",
      "reconnecting: connection refused",
      "connecting: connection refused",
      "reconnecting: connection refused",
      "connecting: connection refused",
      "connected",
    ]);
  });

  test("failed attempts: a quick first retry, then quick retries (3/4 of 300 ms with random 0.5)", async () => {
    const h = harness(5);
    await h.clock.advance(10_000);
    const gaps = h.dials.slice(1).map((t, i) => t - h.dials[i]!);
    expect(gaps).toEqual([50, 225, 225, 225, 225]);
    expect(h.loop.status.state).toBe("connected");
    expect(h.events).toEqual(["failed retries=0", "failed retries=1", "failed retries=2", "failed retries=3", "failed retries=4", "connected retries=5 since=-"]);
  });

  test("a lost pipe is redialled quickly after a stable connection", async () => {
    const h = harness(3);
    await h.clock.advance(5_000);
    expect(h.loop.status.state).toBe("connected");
    await h.clock.advance(10_000); // stable
    h.servers.at(-1)!.close();
    const lostAt = h.clock.now();
    await h.clock.advance(1_000);
    expect(h.dials.at(-1)! - lostAt).toBe(50); // attempt 0 again: backoff(0) = 50 ms with random 0.5
    expect(h.loop.reconnects).toBe(1);
    expect(h.events.at(-1)).toBe("connected retries=0 since=set");
  });

  test("a pipe that drops at once does not reset the backoff (no reconnect storm)", async () => {
    const h = harness(0, true);
    await h.clock.advance(20_000);
    const delays = h.statuses.filter((s) => s.state === "reconnecting").map((s) => (s as { delayMs: number }).delayMs);
    expect(delays.slice(0, 15)).toEqual([50, ...Array(10).fill(225), 450, 900, 1_500, 1_500]);
    // Closed before the server said anything: a refusal, never reported as connected.
    expect(h.events.slice(0, 3)).toEqual(["failed retries=0", "failed retries=1", "failed retries=2"]);
    expect(h.statuses.some((status) => status.state === "connected")).toBe(false);
    // ... and never registered: requests waiting at the front stay there for a pipe the server accepts.
    expect(h.ready).toEqual([]);
  });

  test("a pipe is declared ready (and registered) only once the server sent its first frame", async () => {
    const h = harness(0);
    await h.clock.advance(10);
    expect(h.ready).toEqual([h.pipes[0]!]);
    expect(h.pipes[0]!.stats.bytesIn).toBeGreaterThan(0);
  });

  test("GoAway: the next dial waits at least retryAfter", async () => {
    const h = harness(0);
    await h.clock.advance(10_000);
    h.servers.at(-1)!.drain(3_000); // the server is draining: GoAway(retryAfter 3 s)
    await settle();
    h.servers.at(-1)!.close();
    const lostAt = h.clock.now();
    await h.clock.advance(10_000);
    expect(h.dials.at(-1)! - lostAt).toBe(4_500); // goAwayDelay(3000, 0.5)
  });

  test("stop() ends dialing", async () => {
    const h = harness(100);
    await h.clock.advance(1_000);
    const count = h.dials.length;
    h.loop.stop();
    await h.clock.advance(60_000);
    expect(h.dials.length).toBe(count);
    expect(h.loop.status).toEqual({ state: "closed" });
  });
});
