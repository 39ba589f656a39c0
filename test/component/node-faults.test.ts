/**
 * Whole nodes (startServer, startClient) on the memory runtime under the
 * fake clock: the faults that take seconds on the binaries (drain and
 * GoAway, a stale session replaced, the bounded waits, reconnecting to a
 * restarted server) in virtual time. Each also has one e2e test on the
 * binaries (durability, reconnect-cycles, hostile-http).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { startClient, type RunningClient } from "../../src/client/index.ts";
import { loadClientConfig, loadServerConfig } from "../../src/config/index.ts";
import { createDispatcher } from "../../src/dispatch/index.ts";
import { startServer, type RunningServer } from "../../src/server/index.ts";
import { FakeClock, MemoryNetwork, memoryPki, recordingLogger, waitUntil, type LogEntry } from "../support/index.ts";

// Made once for the file (no beforeAll: the Deno shim has none).
const identities = memoryPki().then(async (pki) => ({ server: pki.server, alpha: await pki.client("alpha"), intruder: await pki.foreignClient("intruder") }));

/** Handlers of both sides: time at once; slow until the test opens its gate. */
function handlers() {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  return {
    open,
    module: {
      get_time: () => ({ time: 1 }),
      get_slow: async () => {
        await gate;
        return { slow: "done" };
      },
    },
  };
}

interface World {
  readonly net: MemoryNetwork;
  readonly clock: FakeClock;
  readonly serverLog: LogEntry[];
  readonly clientLog: LogEntry[];
  server: RunningServer;
  readonly client: RunningClient;
  readonly gates: { server: () => void; client: () => void };
  startServerAgain(): RunningServer;
}

const worlds: World[] = [];
afterEach(async () => {
  for (const world of worlds.splice(0)) {
    world.gates.server();
    world.gates.client();
    world.client.loop.stop();
    for (const pipe of [...world.client.registry.pipes(), ...world.server.registry.pipes()]) pipe.close();
    world.server.listener.stop(true);
    await world.server.front.server.stop(true);
    await world.client.front.server.stop(true);
    world.server.observer.close();
    world.client.observer.close();
  }
});

/** A server and a client "alpha" on a memory network, connected. */
async function world(env: { server?: Record<string, string>; client?: Record<string, string> } = {}, clientCn: "alpha" | "intruder" = "alpha"): Promise<World> {
  const { server: serverIdentity, alpha, intruder } = await identities;
  const net = new MemoryNetwork();
  const clock = new FakeClock();
  const runtime = net.runtime();
  const serverLog = recordingLogger();
  const clientLog = recordingLogger();
  const serverHandlers = handlers();
  const clientHandlers = handlers();
  const serverConfig = loadServerConfig({
    env: { RP_SERVER_BIND_INTERFACE: "127.0.0.1", RP_SERVER_BIND_PORT: "0", RP_SERVER_HTTP_BIND: "127.0.0.1:0", RP_SERVER_CLIENT_WAIT_S: "5", ...env.server },
  });
  const start = (port = 0) =>
    startServer(
      { ...serverConfig, bindPort: port },
      { runtime, identity: serverIdentity, dispatcher: createDispatcher(serverHandlers.module), log: serverLog.log, clock },
    );
  const server = start();
  const clientConfig = loadClientConfig({
    env: {
      RP_CLIENT_TARGET_HOSTNAME: "127.0.0.1",
      RP_CLIENT_TARGET_PORT: String(server.listener.port),
      RP_CLIENT_HTTP_BIND: "127.0.0.1:0",
      RP_CLIENT_RECONNECT_BASE_S: "0.1",
      RP_CLIENT_RECONNECT_CAP_S: "2",
      ...env.client,
    },
  });
  const client = startClient(clientConfig, { runtime, identity: clientCn === "alpha" ? alpha : intruder, dispatcher: createDispatcher(clientHandlers.module), log: clientLog.log, clock });
  const w: World = {
    net,
    clock,
    serverLog: serverLog.records,
    clientLog: clientLog.records,
    server,
    client,
    gates: { server: serverHandlers.open, client: clientHandlers.open },
    startServerAgain: () => (w.server = start(server.listener.port)),
  };
  worlds.push(w);
  if (clientCn === "alpha") await waitUntil(() => server.registry.get("alpha") !== undefined && client.loop.status.state === "connected", "alpha connected");
  return w;
}

async function body(response: Promise<Response>): Promise<{ status: number; text: string }> {
  const r = await response;
  return { status: r.status, text: await r.text() };
}

describe("whole nodes on the memory runtime, in virtual time", () => {
  test("a round trip each way through the fronts names the client by its certificate's CN", async () => {
    const w = await world();
    expect(await body(w.net.fetch(`${w.server.front.server.url}/client/alpha/time`))).toEqual({ status: 200, text: '{"time":1}' });
    expect(await body(w.net.fetch(`${w.client.front.server.url}/server/time`))).toEqual({ status: 200, text: '{"time":1}' });
    expect(w.serverLog.find((r) => r.msg === "client connected")?.fields["client"]).toBe("alpha");
  });

  test("a client from another CA is refused with the reason logged, and keeps retrying with backoff in virtual time", async () => {
    const w = await world({}, "intruder");
    await waitUntil(() => w.clientLog.some((r) => r.msg === "cannot connect to the server"), "the first refusal");
    const refusal = w.serverLog.find((r) => r.msg === "refused client connection");
    expect(refusal?.fields["reason"]).toBe("certificate verify failed: the client's certificate is not from this server's CA");
    for (let i = 0; i < 10; i++) await w.clock.advance(1_000);
    const refusals = w.serverLog.filter((r) => r.msg === "refused client connection").length;
    expect(refusals).toBeGreaterThanOrEqual(5); // 10 s at a 2 s cap: was ${refusals}
    expect(refusals).toBeLessThanOrEqual(100);
    expect(w.server.registry.size).toBe(0);
    expect(w.clientLog.some((r) => r.msg === "connected to the server")).toBe(false);
  });

  test("bounded wait: a request for a client not connected waits RP_SERVER_CLIENT_WAIT_S of virtual time, then 503", async () => {
    const w = await world();
    let answered: { status: number; text: string } | undefined;
    const pending = body(w.net.fetch(`${w.server.front.server.url}/client/ghost/time`)).then((r) => (answered = r));
    await waitUntil(() => w.clock.pendingTimers > 0, "the wait armed");
    await w.clock.advance(4_999);
    expect(answered).toBeUndefined();
    await w.clock.advance(1);
    await pending;
    expect(answered).toEqual({ status: 503, text: '{"error":"Cannot reach \\"ghost\\": not connected (waited 5 s)"}' });
  });

  test("bounded wait: the client front holds a request while its pipe is down and sends it once reconnected", async () => {
    const w = await world();
    const first = w.net.connections.length;
    await w.server.stop();
    await waitUntil(() => w.client.registry.get("server") === undefined, "the client saw the pipe go");
    const pending = body(w.net.fetch(`${w.client.front.server.url}/server/time`));
    w.startServerAgain();
    for (let i = 0; i < 40 && w.net.connections.length === first; i++) await w.clock.advance(100);
    expect(await pending).toEqual({ status: 200, text: '{"time":1}' });
    expect(w.net.connections.length).toBe(first + 1);
  });

  test("reconnect: a restarted server is redialled with backoff, and the new pipe serves requests", async () => {
    const w = await world();
    await w.server.stop();
    await waitUntil(() => w.client.loop.status.state === "reconnecting", "the client is reconnecting");
    // Nothing listens: the client keeps trying, backing off up to the cap (2 s), never more often than the base.
    for (let i = 0; i < 10; i++) await w.clock.advance(1_000);
    const refused = w.net.refusedDials;
    expect(refused).toBeGreaterThanOrEqual(5);
    expect(refused).toBeLessThanOrEqual(100); // was ${refused}
    w.startServerAgain();
    for (let i = 0; i < 30 && w.client.loop.status.state !== "connected"; i++) await w.clock.advance(100);
    await waitUntil(() => w.server.registry.get("alpha") !== undefined, "alpha back on the new server");
    expect(w.client.loop.reconnects).toBe(1);
    expect(await body(w.net.fetch(`${w.server.front.server.url}/client/alpha/time`))).toEqual({ status: 200, text: '{"time":1}' });
  });

  test("drain: stopping the server lets the request in flight finish, then the client waits the GoAway window before redialling", async () => {
    const w = await world();
    const slow = body(w.net.fetch(`${w.server.front.server.url}/client/alpha/slow`));
    await waitUntil(() => w.server.registry.get("alpha")!.inFlight === 1, "the slow request in flight");
    const pipe = w.server.registry.get("alpha")!;
    let answered = false;
    void slow.then(() => (answered = true));
    const stopped = w.server.stop();
    await waitUntil(() => pipe.status.state === "draining", "the pipe draining");
    await w.clock.advance(1_000);
    // The request is still being answered: the pipe stays until it is done.
    expect({ state: pipe.status.state, answered }).toEqual({ state: "draining", answered: false });
    w.gates.client();
    expect(await slow).toEqual({ status: 200, text: '{"slow":"done"}' });
    await stopped;
    expect(w.serverLog.filter((r) => r.msg.startsWith("drain timeout"))).toEqual([]);
    // GoAway asked for reconnectWindowMs(1) = 250 ms: no dial before that.
    const dials = w.net.refusedDials + w.net.connections.length;
    await w.clock.advance(200);
    expect(w.net.refusedDials + w.net.connections.length).toBe(dials);
    for (let i = 0; i < 40 && w.net.refusedDials + w.net.connections.length === dials; i++) await w.clock.advance(50);
    expect(w.net.refusedDials + w.net.connections.length).toBeGreaterThan(dials); // redialled by 250..500 ms (and once refused, again)
  });

  test("drain timeout: a request still in flight after RP_SERVER_DRAIN_TIMEOUT_S (virtual) is cut and logged", async () => {
    const w = await world({ server: { RP_SERVER_DRAIN_TIMEOUT_S: "3" } });
    const slow = body(w.net.fetch(`${w.server.front.server.url}/client/alpha/slow`));
    await waitUntil(() => w.server.registry.get("alpha")!.inFlight === 1, "the slow request in flight");
    let done = false;
    const stopped = w.server.stop().then(() => (done = true));
    await w.clock.advance(2_999);
    expect(done).toBe(false);
    await w.clock.advance(1);
    await stopped;
    expect(w.serverLog.find((r) => r.msg.startsWith("drain timeout"))?.fields).toEqual({ drainTimeoutMs: 3_000, pipes: 1 });
    expect((await slow).status).toBe(502);
  });

  test("drain on the client: the server's request to its slow handler is answered before the pipe closes; the server then waits for it again", async () => {
    const w = await world();
    const slow = body(w.net.fetch(`${w.server.front.server.url}/client/alpha/slow`));
    const serverSide = w.server.registry.get("alpha")!;
    await waitUntil(() => serverSide.inFlight === 1, "the slow request in flight");
    let stopped = false;
    const stopping = w.client.stop().then(() => (stopped = true));
    await w.clock.advance(1_000);
    expect(stopped).toBe(false);
    w.gates.client();
    expect(await slow).toEqual({ status: 200, text: '{"slow":"done"}' });
    await stopping;
    await waitUntil(() => w.server.registry.get("alpha") === undefined, "the server saw alpha go");
    expect(w.client.loop.status).toEqual({ state: "closed" });
    expect(w.net.connections).toHaveLength(1); // a stopped client does not redial
  });

  test("stale session: a half-open pipe is noticed by the client's heartbeat, and its new session replaces the old one", async () => {
    const w = await world({
      server: { RP_SERVER_HEARTBEAT_INTERVAL_S: "60", RP_SERVER_HEARTBEAT_TIMEOUT_S: "600" },
      client: { RP_CLIENT_HEARTBEAT_INTERVAL_S: "1", RP_CLIENT_HEARTBEAT_TIMEOUT_S: "3" },
    });
    const stale = w.server.registry.get("alpha")!;
    w.net.connections[0]!.client.goSilent();
    for (let i = 0; i < 80 && w.net.connections.length === 1; i++) await w.clock.advance(100);
    expect(w.net.connections.length).toBe(2);
    await waitUntil(() => w.server.registry.get("alpha") !== stale, "the new session registered");
    expect(w.serverLog.some((r) => r.msg === "client reconnected; replaced its stale session" && r.fields["client"] === "alpha")).toBe(true);
    expect(w.server.registry.size).toBe(1);
    expect(await body(w.net.fetch(`${w.server.front.server.url}/client/alpha/time`))).toEqual({ status: 200, text: '{"time":1}' });
  });
});
