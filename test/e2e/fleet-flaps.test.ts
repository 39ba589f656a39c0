/**
 * Takeover and fencing across two rp-server binaries under load: one CN
 * flaps between them FLAPS times (each flap a new mTLS session to the other
 * server, the old one left open by the client, as a lingering session is),
 * while workers send requests through both fronts. The client answers with
 * its session number. Checked: every old session is closed by its server;
 * no request hangs; no stale answer, i.e. no request answered by a session
 * older than one that had already answered a request finished before it
 * started.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Pipe } from "../../src/pipe/index.ts";
import { bunRuntime } from "../../src/runtime/bun/index.ts";
import { makeTestPki, type FileIdentity, type ServerProcess, type TestPki } from "../support/index.ts";
import { reachable, startFleetServer } from "../support/fleet.ts";
import { startNats, type NatsServer } from "../support/nats.ts";

const FLAPS = Number(process.env["FLEET_FLAPS"] ?? 1_000);
const WORKERS = 8;
const CN = "flapper";

let pki: TestPki;
let nats: NatsServer;
let identity: FileIdentity;
const servers: ServerProcess[] = [];
const sessions: Pipe[] = [];

beforeAll(async () => {
  pki = await makeTestPki();
  identity = await pki.client(CN);
  nats = await startNats();
  // Each tracked as it starts: afterAll stops it whatever fails next.
  await Promise.all([0, 1].map(() => startFleetServer(pki.server.dir, nats).then((server) => servers.push(server))));
}, 30_000);

afterAll(async () => {
  for (const pipe of sessions) pipe.close();
  await Promise.all(servers.map((server) => server.proc.stop("SIGKILL")));
  await nats?.stop();
  await pki?.cleanup();
});

/** Opens session `n` of the CN to `server`; its handler answers `{"session": n}`. */
async function openSession(n: number, server: ServerProcess): Promise<Pipe> {
  const transport = await bunRuntime.connectTls({ hostname: "127.0.0.1", port: server.pipePort, identity, serverName: "localhost", timeoutMs: 5_000 });
  const data = new TextEncoder().encode(JSON.stringify({ session: n }));
  const pipe = new Pipe(transport, { peer: { name: "server", remoteAddress: "test" }, onEvent: () => ({ code: 0, mimetype: "application/json", data }), heartbeatIntervalMs: 0 });
  sessions.push(pipe);
  return pipe;
}

interface Outcome {
  readonly start: number;
  readonly end: number;
  readonly status: number;
  readonly session?: number;
  readonly error?: string;
}

test(`${FLAPS} flaps of one CN between two servers under load: old sessions closed, 0 stale answers, 0 hung requests`, async () => {
  await openSession(1, servers[0]!);
  await reachable(`${servers[1]!.http}/client/${CN}/x`);
  const outcomes: Outcome[] = [];
  let flapping = true;
  const workers = Array.from({ length: WORKERS }, async (_, w) => {
    for (let i = 0; flapping; i++) {
      const front = servers[(w + i) % 2]!;
      const start = performance.now();
      const response = await fetch(`${front.http}/client/${CN}/x`, { signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
      const text = response ? await response.text().catch(() => "") : "";
      const session = response?.status === 200 ? (JSON.parse(text) as { session: number }).session : undefined;
      const error = response !== undefined && response.status !== 200 ? text : undefined;
      outcomes.push({ start, end: performance.now(), status: response?.status ?? 0, ...(session === undefined ? {} : { session }), ...(error === undefined ? {} : { error }) });
    }
  });
  const started = performance.now();
  let lingering = 0;
  for (let n = 2; n <= FLAPS + 1; n++) {
    const previous = sessions[sessions.length - 1]!;
    const to = servers[(n - 1) % 2]!;
    await openSession(n, to);
    // The old server closes the old session before the new one is registered; then the new one is routable from both fronts.
    const closed = await Promise.race([previous.closed.then(() => true), Bun.sleep(5_000).then(() => false)]);
    if (!closed) lingering++;
    const other = servers[n % 2]!;
    for (let tries = 0; tries < 500; tries++) {
      const response = await fetch(`${other.http}/client/${CN}/x`);
      const text = await response.text();
      if (response.status === 200 && (JSON.parse(text) as { session: number }).session === n) break;
    }
  }
  const flapMs = performance.now() - started;
  flapping = false;
  await Promise.all(workers);

  // Stale: answered by a session older than one that answered a request finished before this one started.
  const byEnd = outcomes.filter((o) => o.session !== undefined).sort((x, y) => x.end - y.end);
  const prefixMax: number[] = [];
  for (const o of byEnd) prefixMax.push(Math.max(prefixMax[prefixMax.length - 1] ?? 0, o.session!));
  const newestBefore = (t: number) => {
    let lo = 0;
    let hi = byEnd.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byEnd[mid]!.end < t) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : prefixMax[lo - 1]!;
  };
  const stale = byEnd.filter((o) => o.session! < newestBefore(o.start));
  const statuses: Record<string, number> = {};
  for (const o of outcomes) statuses[o.status] = (statuses[o.status] ?? 0) + 1;
  const slowest = Math.max(...outcomes.map((o) => o.end - o.start));
  const openOld = sessions.slice(0, -1).filter((pipe) => pipe.status.state !== "closed").length;
  const errors = [...new Set(outcomes.flatMap((o) => (o.error === undefined ? [] : [o.error.replace(/\d+/g, "N")])))];
  console.log(`errors seen: ${errors.join(" | ")}`);
  console.log(`flaps ${FLAPS} in ${Math.round(flapMs)} ms; requests ${outcomes.length} ${JSON.stringify(statuses)}; slowest ${Math.round(slowest)} ms; stale ${stale.length}; lingering ${lingering}`);
  expect({ stale: stale.slice(0, 3), hung: statuses["0"] ?? 0, lingering, openOld }).toEqual({ stale: [], hung: 0, lingering: 0, openOld: 0 });
  expect(Object.keys(statuses).filter((status) => !["200", "502", "503"].includes(status))).toEqual([]);
  expect(slowest).toBeLessThan(10_000); // was ${slowest}
  expect(statuses["200"] ?? 0).toBeGreaterThan(outcomes.length / 2);
}, 600_000);
