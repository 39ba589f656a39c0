/**
 * Durability on the compiled binaries: reconnect after a server crash and
 * after outages, dead-peer detection through a silent relay, stale-session
 * takeover, waiting instead of failing, and graceful drain.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import {
  makeTestPki,
  Relay,
  startClientProcess,
  startServerProcess,
  type ClientProcess,
  type FileIdentity,
  type LogRecord,
  type ServerProcess,
  type TestPki,
} from "../support/index.ts";

const HANDLERS = resolve(import.meta.dir, "../fixtures/handlers.ts");
const at = (record: LogRecord) => Date.parse(String(record["time"]));
/** A pipe that stayed up this long resets the client's backoff (src/client/dial-loop.ts STABLE_AFTER_MS). */
const STABLE_AFTER_MS = 2_000;

let pki: TestPki;
let identity: FileIdentity;
const running: Array<ServerProcess | ClientProcess> = [];

beforeAll(async () => {
  pki = await makeTestPki();
  identity = await pki.client("durable");
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.proc.stop("SIGKILL")));
});

afterAll(() => pki?.cleanup());

async function server(env: Record<string, string> = {}, args: string[] = []): Promise<ServerProcess> {
  const started = await startServerProcess(pki.server.dir, { RP_EVENT_HANDLER: HANDLERS, ...env }, args);
  running.push(started);
  return started;
}

async function client(port: number, env: Record<string, string> = {}, dir = identity.dir): Promise<ClientProcess> {
  const started = await startClientProcess(dir, port, { RP_EVENT_HANDLER: HANDLERS, ...env });
  running.push(started);
  return started;
}

describe("reconnecting", () => {
  test("kill -9 of the server: in-flight requests are answered at once, the pipe is back within 0.5 s of the restart", async () => {
    const first = await server();
    const rp = await client(first.pipePort);
    await rp.proc.waitForMessage("connected to the server");
    const inFlight = Array.from({ length: 10 }, () => fetch(`${rp.http}/server/sleep//5000`));
    await Bun.sleep(100); // let them reach the server's handler
    const killedAt = performance.now();
    await first.proc.stop("SIGKILL");
    const responses = await Promise.all(inFlight);
    const answeredIn = performance.now() - killedAt;
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(502));
    expect(responses[0]!.headers.get("x-event-return-code")).toBe("254");
    expect(answeredIn).toBeLessThan(1_000); // answeredIn was ${answeredIn}

    const mark = rp.proc.logs.length;
    const second = await server({}, ["--port", String(first.pipePort)]);
    const back = await rp.proc.waitForMessage("connected to the server", {}, 5_000, mark);
    const listening = await second.proc.waitForMessage("server listening");
    const gapMs = at(back) - at(listening);
    console.log(`reconnect after kill -9 and restart: ${gapMs} ms after the server listened again`);
    expect(gapMs).toBeLessThan(500);
    expect(await (await fetch(`${rp.http}/server/whoami//x`)).json()).toEqual({ name: null, tag: "x" });
  });

  test("a server restarted within a second is back in use within 0.5 s of listening again, every time", async () => {
    const first = await server();
    const rp = await client(first.pipePort);
    await rp.proc.waitForMessage("connected to the server");
    let current = first;
    const seen: string[] = [];
    const gaps: number[] = [];
    for (const outageMs of [300, 600, 1_000]) {
      await Bun.sleep(STABLE_AFTER_MS + 200); // a pipe that stayed up: the next loss starts the backoff afresh
      await current.proc.stop("SIGKILL");
      const killedAt = Date.now();
      await Bun.sleep(outageMs);
      const mark = rp.proc.logs.length;
      current = await server({}, ["--port", String(first.pipePort)]);
      const back = await rp.proc.waitForMessage("connected to the server", {}, 5_000, mark);
      const listening = at(await current.proc.waitForMessage("server listening"));
      gaps.push(at(back) - listening);
      seen.push(`${gaps.at(-1)} ms (down ${listening - killedAt} ms)`);
    }
    console.log(`reconnect after kill -9, a 0.3-1 s pause and a restart: ${seen.join(", ")} after the server listened again`);
    expect(Math.max(...gaps)).toBeLessThan(500); // seen: ${seen}
    expect(await (await fetch(`${rp.http}/server/whoami//x`)).json()).toEqual({ name: null, tag: "x" });
  }, 30_000);

  for (const outageS of [5, 15]) {
    test(`after a ${outageS} s outage the client is back within 3 s of the server listening (default backoff)`, async () => {
      const first = await server();
      const rp = await client(first.pipePort);
      await rp.proc.waitForMessage("connected to the server");
      await first.proc.stop("SIGKILL");
      await Bun.sleep(outageS * 1_000);
      const mark = rp.proc.logs.length;
      const second = await server({}, ["--port", String(first.pipePort)]);
      const back = await rp.proc.waitForMessage("connected to the server", {}, 10_000, mark);
      const gapMs = at(back) - at(await second.proc.waitForMessage("server listening"));
      console.log(`reconnect after a ${outageS} s outage: ${gapMs} ms after the server listened again`);
      expect(gapMs).toBeLessThan(3_000);
    }, (outageS + 20) * 1_000);
  }
});

describe("dead peers", () => {
  test("a relay that goes silent: both sides notice within interval + timeout, and the client comes back after", async () => {
    const short = { RP_SERVER_HEARTBEAT_INTERVAL_S: "0.5", RP_SERVER_HEARTBEAT_TIMEOUT_S: "1" };
    const rpServer = await server(short);
    const relay = new Relay(rpServer.pipePort);
    try {
      const rp = await client(relay.port, { RP_CLIENT_HEARTBEAT_INTERVAL_S: "0.5", RP_CLIENT_HEARTBEAT_TIMEOUT_S: "1", RP_CLIENT_CONNECT_TIMEOUT_S: "1" });
      await rp.proc.waitForMessage("connected to the server");
      await rpServer.proc.waitForMessage("client connected", { client: "durable" });
      const serverMark = rpServer.proc.logs.length;
      const clientMark = rp.proc.logs.length;
      const frozenAt = Date.now();
      relay.freeze();
      const serverSaw = await rpServer.proc.waitForMessage("client disconnected", { client: "durable" }, 5_000, serverMark);
      const clientSaw = await rp.proc.waitForMessage("lost the pipe to the server", {}, 5_000, clientMark);
      const serverMs = at(serverSaw) - frozenAt;
      const clientMs = at(clientSaw) - frozenAt;
      console.log(`dead-peer detection (interval 0.5 s + timeout 1 s): server ${serverMs} ms, client ${clientMs} ms`);
      expect(serverMs).toBeLessThanOrEqual(1_500 + 150);
      expect(clientMs).toBeLessThanOrEqual(1_500 + 150);
      expect(String(serverSaw["reason"])).toContain("did not answer a heartbeat");

      relay.thaw();
      await rp.proc.waitForMessage("connected to the server", {}, 10_000, clientMark + 1);
      expect(await (await fetch(`${rpServer.http}/client/durable/whoami//back`)).json()).toEqual({ name: null, tag: "back" });
    } finally {
      relay.stop();
    }
  });

  test("takeover: a new connection with the same CN replaces a stale (frozen) session at once", async () => {
    const rpServer = await server();
    const old = await client(rpServer.pipePort, { FIXTURE_NAME: "old" });
    await rpServer.proc.waitForMessage("client connected", { client: "durable" });
    old.proc.signal("SIGSTOP"); // its session is now stale: connected, silent
    const replacement = await client(rpServer.pipePort, { FIXTURE_NAME: "new" });
    const replaced = await rpServer.proc.waitForMessage("client reconnected; replaced its stale session", { client: "durable" }, 3_000);
    const connected = await replacement.proc.waitForMessage("connected to the server");
    expect(at(replaced) - at(connected)).toBeLessThan(200);
    expect(await (await fetch(`${rpServer.http}/client/durable/whoami//1`)).json()).toEqual({ name: "new", tag: "1" });
    old.proc.signal("SIGKILL");
  });
});

describe("waiting instead of failing", () => {
  test("a request for a client that is not connected yet is answered once it connects", async () => {
    const rpServer = await server({ RP_SERVER_CLIENT_WAIT_S: "10" });
    const pending = fetch(`${rpServer.http}/client/durable/whoami//waited%20for`);
    await Bun.sleep(300);
    await client(rpServer.pipePort);
    const response = await pending;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ name: null, tag: "waited for" });
  });
  // The 503 after the wait and the client front's own wait run in virtual time in test/component/node-faults.test.ts.
});

describe("graceful shutdown", () => {
  test("SIGTERM on the server: the slow handler finishes and answers, new requests get 503, exit 0", async () => {
    const rpServer = await server({ RP_SERVER_DRAIN_TIMEOUT_S: "10" });
    const rp = await client(rpServer.pipePort, { RP_CLIENT_SERVER_WAIT_S: "0.3" });
    await rp.proc.waitForMessage("connected to the server");
    const slow = fetch(`${rp.http}/server/sleep//800`);
    await Bun.sleep(200);
    rpServer.proc.signal("SIGTERM");
    await rpServer.proc.waitForMessage("shutting down: draining in-flight requests");
    const refused = await fetch(`${rpServer.http}/client/durable/time`);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual({ error: "Cannot accept request: rp-server is shutting down" });
    const answered = await slow;
    expect(answered.status).toBe(200);
    expect(await answered.json()).toEqual({ slept: 800 });
    expect(await rpServer.proc.exited).toBe(0);
    const told = await rp.proc.waitForMessage("the server asked us to reconnect later");
    expect(Number(told["retryAfterMs"])).toBeGreaterThanOrEqual(250);
  });

  test("SIGTERM on the client: the server's request to its slow handler is answered, exit 0", async () => {
    const rpServer = await server({ RP_SERVER_CLIENT_WAIT_S: "0.3" });
    const rp = await client(rpServer.pipePort, { RP_CLIENT_DRAIN_TIMEOUT_S: "10" });
    await rpServer.proc.waitForMessage("client connected", { client: "durable" });
    const slow = fetch(`${rpServer.http}/client/durable/sleep//800`);
    await Bun.sleep(200);
    rp.proc.signal("SIGTERM");
    await rp.proc.waitForMessage("shutting down: draining in-flight requests");
    const refused = await fetch(`${rp.http}/server/time`);
    expect(refused.status).toBe(503);
    expect((await fetch(`${rpServer.http}/client/durable/time`)).status).toBe(503); // not sent to a draining client
    expect(await (await slow).json()).toEqual({ slept: 800 });
    expect(await rp.proc.exited).toBe(0);
  });
});

describe("state-change hooks (the seed's)", () => {
  const HOOKS = resolve(import.meta.dir, "../fixtures/hooks.ts");

  test("connection_added / connection_removed / idle on the server, connect_fail / connect_success on the client", async () => {
    const rpServer = await server({ RP_EVENT_HANDLER: HOOKS, RP_SERVER_IDLE_INTERVAL_S: "0.2" });
    await rpServer.proc.waitForMessage("hook idle");
    await rpServer.proc.waitForMessage("hook failed", { hook: "idle" });
    const rp = await client(rpServer.pipePort, { RP_EVENT_HANDLER: HOOKS });
    expect(await rpServer.proc.waitForMessage("hook connection_added")).toMatchObject({ cn: "durable", count: 1 });
    expect(await rp.proc.waitForMessage("hook connect_success")).toMatchObject({ retries: 0, wasDown: false });
    expect(rp.proc.logs.some((r) => r.msg === "handlers loaded" && String(r["handlers"]).includes("connect_success"))).toBe(false);

    await rpServer.proc.stop("SIGKILL");
    const fail = await rp.proc.waitForMessage("hook connect_fail");
    expect(fail["retries"]).toBe(0);
    const mark = rp.proc.logs.length;
    const again = await server({ RP_EVENT_HANDLER: HOOKS }, ["--port", String(rpServer.pipePort)]);
    expect(await rp.proc.waitForMessage("hook connect_success", {}, 5_000, mark)).toMatchObject({ wasDown: true });
    await again.proc.waitForMessage("hook connection_added");
    await rp.proc.stop();
    expect(await again.proc.waitForMessage("hook connection_removed")).toMatchObject({ cn: "durable", count: 0 });
  });
});
