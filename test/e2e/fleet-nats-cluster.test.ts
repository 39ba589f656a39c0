/**
 * A fleet on a 3-node NATS cluster (JetStream, buckets with 3 replicas):
 * each node is killed in turn (so each server loses the node it uses at
 * some point) and restarted. Servers keep serving their own clients all
 * along; cross-server requests get a 503 at worst meanwhile and are
 * answered again while the node is still down (the NATS client moves to
 * another node, presence lives on the other replicas); the longest time
 * without a cross-server answer is printed.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { FIXTURE_HANDLERS, makeTestPki, startClientProcess, type ClientProcess, type ServerProcess, type TestPki } from "../support/index.ts";
import { reachable, startFleetServer } from "../support/fleet.ts";
import { startNatsCluster, type NatsCluster } from "../support/nats.ts";

let pki: TestPki;
let cluster: NatsCluster;
const processes: Array<ServerProcess | ClientProcess> = [];
let a: ServerProcess;
let b: ServerProcess;

beforeAll(async () => {
  pki = await makeTestPki();
  cluster = await startNatsCluster(3);
  const started = (server: ServerProcess) => (processes.push(server), server); // tracked at once: afterAll stops it whatever fails next
  [a, b] = await Promise.all([startFleetServer(pki.server.dir, cluster.urls).then(started), startFleetServer(pki.server.dir, cluster.urls).then(started)]);
  for (const [cn, server] of [["edge-a", a], ["edge-b", b]] as const) {
    const identity = await pki.client(cn);
    const from = server.proc.logs.length;
    processes.push(await startClientProcess(identity.dir, server.pipePort, { RP_EVENT_HANDLER: FIXTURE_HANDLERS, FIXTURE_NAME: cn }));
    await server.proc.waitForMessage("client connected", { client: cn }, 10_000, from);
  }
  await reachable(`${a.http}/client/edge-b/whoami`, 30_000);
  await reachable(`${b.http}/client/edge-a/whoami`, 30_000);
}, 90_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.proc.stop("SIGKILL")));
  await cluster?.stop();
  await pki?.cleanup();
});

async function status(url: string): Promise<number> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  await response?.arrayBuffer();
  return response?.status ?? 0;
}

test("each NATS node killed in turn: own clients always served, cross-server requests answered again within a bound, presence rebuilt", async () => {
  const gaps: number[] = [];
  const own: number[] = [];
  const cross: number[] = [];
  const recovered: boolean[] = [];
  for (const node of cluster.nodes) {
    await node.kill();
    // With the node down: cross-server requests through both fronts, own clients too, until both directions are answered
    // again for 2 s (JetStream elects new leaders; seen here: 0 to 26 s on a loaded 2-core machine), at most 45 s.
    const killed = performance.now();
    let lastOk = killed;
    let gap = 0;
    let steadySince: number | undefined;
    while (performance.now() - killed < 45_000 && (steadySince === undefined || performance.now() - steadySince < 2_000)) {
      const [ab, ba, aa] = await Promise.all([status(`${a.http}/client/edge-b/whoami`), status(`${b.http}/client/edge-a/whoami`), status(`${a.http}/client/edge-a/whoami`)]);
      own.push(aa);
      cross.push(ab, ba);
      const now = performance.now();
      if (ab === 200 && ba === 200) {
        lastOk = now;
        steadySince ??= now;
      } else {
        steadySince = undefined;
      }
      gap = Math.max(gap, now - lastOk);
    }
    gaps.push(Math.round(gap));
    recovered.push(steadySince !== undefined);
    if (process.env["DEBUG_FLEET"]) for (const server of [a, b]) console.log(JSON.stringify((await (await fetch(`${server.http}/_rp/status.json`)).json()).fleet));
    await node.restart();
    await reachable(`${a.http}/client/edge-b/whoami`, 20_000).catch(async (error) => {
      if (process.env["DEBUG_FLEET"]) for (const server of [a, b]) console.log(JSON.stringify((await (await fetch(`${server.http}/_rp/status.json`)).json()).fleet), server.proc.logs.slice(-6).map((r) => JSON.stringify(r)).join("\n"));
      throw error;
    });
    await reachable(`${b.http}/client/edge-a/whoami`, 20_000);
  }
  console.log(`longest time without a cross-server answer per killed node: ${gaps.join(", ")} ms; cross-server answers ${JSON.stringify(Object.fromEntries([...new Set(cross)].map((c) => [c, cross.filter((x) => x === c).length])))}`);
  expect(own.filter((s) => s !== 200)).toEqual([]);
  // Meanwhile a clear 503 at worst (never a hang or a 502), and served again while the node is still down.
  expect(cross.filter((s) => s !== 200 && s !== 503)).toEqual([]);
  expect(recovered).toEqual([true, true, true]);
}, 240_000);
