/**
 * Idle memory of the compiled binaries: dist/rp-server with one dist/rp-client
 * connected, default settings, after a settle time with one request answered
 * each way. Prints each process's RSS (and the sum against the target)
 * and `rp-server --version` p50 over 30 runs. Loopback only; bounded; cleans up.
 *
 *   bun test/bench/idle-memory.ts        (after `bun run build`)
 *   IDLE_SETTLE_S=5 bun test/bench/idle-memory.ts
 */
import { spawnSync } from "node:child_process";
import { makeTestPki, binary, startConnectedPair } from "../support/index.ts";
import { residentKiB } from "./_proc.ts";

const RUNS = 30;

/** Wall times of `rp-server --version`, in ms. */
function versionTimes(): number[] {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const result = spawnSync(binary("rp-server"), ["--version"], { timeout: 10_000 });
    if (result.status !== 0) throw new Error(`rp-server --version exited ${result.status}`);
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

type Resident = ReturnType<typeof residentKiB>;

/** Idle resident memory in KiB of a connected server and client. */
async function idleRss(settleSeconds: number): Promise<{ server: Resident; client: Resident }> {
  const pki = await makeTestPki();
  const client = await pki.client("idle");
  const pair = await startConnectedPair(pki.server.dir, { dir: client.dir, cn: "idle" });
  try {
    const viaClient = await fetch(`${pair.client.http}/server/time`);
    const viaServer = await fetch(`${pair.server.http}/client/idle/time`);
    if (viaClient.status !== 200 || viaServer.status !== 200) throw new Error(`requests answered ${viaClient.status} / ${viaServer.status}`);
    await Promise.all([viaClient.arrayBuffer(), viaServer.arrayBuffer()]);
    await Bun.sleep(settleSeconds * 1000);
    return { server: residentKiB(pair.server.proc.pid), client: residentKiB(pair.client.proc.pid) };
  } finally {
    await pair.client.proc.stop();
    await pair.server.proc.stop();
    await pki.cleanup();
  }
}

if (import.meta.main) {
  const settle = Number(process.env["IDLE_SETTLE_S"] ?? 3);
  const rss = await idleRss(settle);
  const version = versionTimes();
  const mib = (kib: number) => (kib / 1024).toFixed(1);
  console.log(`idle memory (compiled binaries, one client connected, ${settle} s after one request each way)`);
  console.log("| measure | value | target |");
  console.log("| --- | ---: | --- |");
  const split = (r: Resident) => `${mib(r.rss)} (anon ${mib(r.anon)}, file ${mib(r.file)})`;
  console.log(`| rp-server RSS (MiB) | ${split(rss.server)} | |`);
  console.log(`| rp-client RSS (MiB) | ${split(rss.client)} | |`);
  console.log(`| sum (MiB) | ${mib(rss.server.rss + rss.client.rss)} | ≤ 64 |`);
  console.log(`| rp-server --version p50 / p90 (ms, ${RUNS} runs) | ${version[RUNS >> 1]!.toFixed(1)} / ${version[Math.floor(RUNS * 0.9)]!.toFixed(1)} | p50 ≤ 20 |`);
}
