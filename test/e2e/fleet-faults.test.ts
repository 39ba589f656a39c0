/**
 * Faults of a fleet on the compiled binaries: NATS killed (servers keep
 * serving their own clients, cross-server requests get a 503 that names
 * NATS once presence expired, and everything is rebuilt when NATS is back),
 * and a server of another CA in the same fleet (the link is refused, with a
 * precise log line, and its clients are a precise 503).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { FIXTURE_HANDLERS, makeTestPki, startClientProcess, type ClientProcess, type ServerProcess, type TestPki } from "../support/index.ts";
import { reachable, startFleetServer } from "../support/fleet.ts";
import { startNats, type NatsServer } from "../support/nats.ts";

let pki: TestPki;
let foreign: TestPki;
let nats: NatsServer;
const processes: Array<ServerProcess | ClientProcess> = [];
let a: ServerProcess;
let b: ServerProcess;

async function client(from: TestPki, cn: string, server: ServerProcess): Promise<void> {
  const identity = await from.client(cn);
  const start = server.proc.logs.length;
  processes.push(await startClientProcess(identity.dir, server.pipePort, { RP_EVENT_HANDLER: FIXTURE_HANDLERS, FIXTURE_NAME: cn }));
  await server.proc.waitForMessage("client connected", { client: cn }, 10_000, start);
}

beforeAll(async () => {
  pki = await makeTestPki();
  foreign = await makeTestPki({ foreignCa: true });
  nats = await startNats();
  const started = (server: ServerProcess) => (processes.push(server), server); // tracked at once: afterAll stops it whatever fails next
  [a, b] = await Promise.all([startFleetServer(pki.server.dir, nats).then(started), startFleetServer(pki.server.dir, nats).then(started)]);
  await Promise.all([client(pki, "edge-a", a), client(pki, "edge-b", b)]);
  await reachable(`${a.http}/client/edge-b/whoami`);
}, 60_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.proc.stop("SIGKILL")));
  await nats?.stop();
  await Promise.all([pki?.cleanup(), foreign?.cleanup()]);
});

async function answer(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.text() };
}

test("NATS killed: own clients still served (a new one too), cross-server requests a 503 naming NATS; NATS back: presence rebuilt, the new client claimed, cross-server again", async () => {
  await nats.kill();
  const killed = performance.now();
  expect((await answer(`${a.http}/client/edge-a/whoami`)).status).toBe(200);
  // Within the expiry the link still carries requests (presence as last seen); after it, a clear 503.
  let seen = { status: 0, body: "" };
  while (performance.now() - killed < 15_000) {
    seen = await answer(`${a.http}/client/edge-b/whoami`);
    if (seen.status === 503) break;
  }
  expect(seen).toEqual({
    status: 503,
    body: JSON.stringify({
      error: 'Cannot reach "edge-b": not connected to this server, and NATS (the fleet\'s presence) is unreachable, so the other servers\' clients are unknown; check the NATS servers of RP_SERVER_NATS_URL',
    }),
  });
  expect((await answer(`${b.http}/client/edge-b/whoami`)).status).toBe(200);
  // A client connecting while NATS is away is served by its server, and claimed once NATS is back.
  await client(pki, "edge-late", a);
  expect((await answer(`${a.http}/client/edge-late/whoami`)).status).toBe(200);
  await nats.restart();
  const back = performance.now();
  const ms = await reachable(`${a.http}/client/edge-b/whoami`, 20_000);
  await reachable(`${b.http}/client/edge-a/whoami`, 20_000);
  await reachable(`${b.http}/client/edge-late/whoami`, 20_000);
  console.log(`NATS restarted: cross-server requests answered again after ${Math.round(performance.now() - back)} ms (first after ${Math.round(ms)} ms)`);
}, 60_000);

test("a server of another CA in the same fleet: no link (a precise log line on the dialling side), its clients a precise 503", async () => {
  const stranger = await startFleetServer(foreign.server.dir, nats);
  processes.push(stranger);
  await client(foreign, "edge-x", stranger);
  const from = a.proc.logs.length;
  let seen = { status: 0, body: "" };
  const started = performance.now();
  while (performance.now() - started < 10_000) {
    seen = await answer(`${a.http}/client/edge-x/whoami`);
    if (seen.body.includes("Cannot link")) break;
  }
  expect(seen.status).toBe(503);
  expect(seen.body).toContain('Cannot reach \\"edge-x\\" on server 127.0.0.1:');
  const line = await a.proc.waitForMessage("Cannot peer with a fleet server", {}, 5_000, from);
  expect(String(line["reason"])).toMatch(/^Cannot link to server 127\.0\.0\.1:\d+: .+\(a server of another CA, .+, or nothing listening there\?\)$/);
  // The stranger's own clients are served by it as by any server.
  expect((await answer(`${stranger.http}/client/edge-x/whoami`)).status).toBe(200);
}, 60_000);
