/**
 * Client failover at scale: N clients (the project's dial loop and Pipe in
 * this process, as in bench:swarm) with two dist/rp-servers in their target
 * list, spread over both by their random start; kill -9 of one server; the
 * time until every client it held is connected to the other one, from the
 * loops' own status (the server side of "reachable again": the other
 * server's registry has them). Loopback only; bounded in time; cleans up.
 *
 *   bun test/bench/failover.ts              N = FAILOVER_N (default 1,000)
 *   FAILOVER_N=200 bun test/bench/failover.ts
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DialLoop } from "../../src/client/index.ts";
import { loadClientConfig } from "../../src/config/index.ts";
import { createDispatcher } from "../../src/dispatch/index.ts";
import { Pipe } from "../../src/pipe/index.ts";
import { percentile } from "./_load.ts";
import { startSwarmClient } from "./_swarm-client.ts";
import { swarmPki } from "./_swarm-pki.ts";
import { ensureFdLimit, startSwarmServer } from "./swarm.ts";
import * as handlers from "./handlers.ts";

const n = Number(process.env["FAILOVER_N"] ?? 1_000);
/** Clients dialling at once while the swarm starts (each server refuses more than 256 handshakes in progress). */
const BATCH = 128;
const log = (line: string) => console.error(`failover: ${line}`);

ensureFdLimit(2 * n + 1_024);
const pki = await swarmPki(n, log);
const dirs = [await mkdtemp(join(tmpdir(), "restpipe-failover-a-")), await mkdtemp(join(tmpdir(), "restpipe-failover-b-"))];
const servers = await Promise.all(dirs.map((dir) => startSwarmServer(dir, pki, 2 * n + 1_024)));
const labels = servers.map((s) => `127.0.0.1:${s.port}`);
const targets = servers.map((s) => ({ host: "127.0.0.1", port: s.port }));
const config = loadClientConfig({ env: {}, flags: {} });
const dispatcher = createDispatcher(handlers);
const loops: DialLoop[] = [];
const pipes: Pipe[] = [];

/** Starts client `i`; resolves once it is connected. */
function client(i: number): Promise<void> {
  const { loop, connected } = startSwarmClient({ pki, i, targets, config, dispatcher, pipes, timeoutS: 60 });
  loops[i] = loop;
  return connected;
}

const on = (label: string) => loops.filter((loop) => loop.status.state === "connected" && loop.target === label).length;
try {
  const startedAt = performance.now();
  for (let i = 0; i < n; i += BATCH) await Promise.all(Array.from({ length: Math.min(BATCH, n - i) }, (_, k) => client(i + k)));
  log(`${n} clients connected in ${((performance.now() - startedAt) / 1000).toFixed(1)} s: ${on(labels[0]!)} on A, ${on(labels[1]!)} on B`);
  const held = on(labels[0]!);
  const killedAt = performance.now();
  servers[0]!.proc.signal("SIGKILL");
  const marks: Array<[fraction: number, ms: number | undefined]> = [[0.5, undefined], [0.9, undefined], [0.99, undefined], [1, undefined]];
  const deadline = killedAt + 60_000;
  while (on(labels[1]!) < n && performance.now() < deadline) {
    const moved = on(labels[1]!) - (n - held);
    for (const mark of marks) if (mark[1] === undefined && moved >= Math.ceil(mark[0] * held)) mark[1] = performance.now() - killedAt;
    await Bun.sleep(10);
  }
  const all = performance.now() - killedAt;
  for (const mark of marks) mark[1] ??= all;
  const load = (await Bun.file("/proc/loadavg").text()).trim();
  const lostPerClient = loops.map((loop) => loop.reconnects);
  console.log(`failover: ${n} clients (one process), two rp-servers, kill -9 of A holding ${held} (loopback; loadavg ${load})`);
  console.log("| measure | value | target |");
  console.log("| --- | ---: | --- |");
  for (const [fraction, ms] of marks) console.log(`| ${Math.round(fraction * 100)} % of A's clients connected to B (ms after the kill) | ${ms!.toFixed(0)} | ${fraction === 1 ? "≤ 3000" : ""} |`);
  console.log(`| clients connected to B at the end | ${on(labels[1]!)} of ${n} | all |`);
  console.log(`| pipes lost per client (median, max) | ${percentile(lostPerClient, 50)}, ${Math.max(...lostPerClient)} | |`);
} finally {
  for (const loop of loops) loop?.stop();
  for (const pipe of pipes) pipe.close();
  await Promise.all(servers.map((s) => s.proc.stop("SIGKILL")));
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
}
process.exit(0);
