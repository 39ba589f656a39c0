/**
 * Start-up costs of the compiled binaries: `rp-server --version` wall time,
 * and the time from spawning `rp-client start` to its first answered request
 * through a running server. Bounded: 20 runs each, 10 s per run at most.
 *
 *   bun test/bench/startup.ts        (after `bun run build`)
 */
import { spawnSync } from "node:child_process";
import { binary, makeTestPki, NodeProcess, startServerProcess } from "../support/index.ts";

const RUNS = 20;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Wall time of `rp-server --version`, in ms per run. */
export function versionTimes(): number[] {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const result = spawnSync(binary("rp-server"), ["--version"], { timeout: 10_000 });
    if (result.status !== 0) throw new Error(`rp-server --version exited ${result.status}`);
    times.push(performance.now() - started);
  }
  return times;
}

/** Time from spawning rp-client to its first answered request through a running server, in ms per run. */
export async function firstRequestTimes(): Promise<number[]> {
  const pki = await makeTestPki();
  const server = await startServerProcess(pki.server.dir);
  const identity = await pki.client("startup");
  const times: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      const client = new NodeProcess(
        [binary("rp-client"), "start", "--server-host", "127.0.0.1", "--server-name", "localhost", "--server-port", String(server.pipePort), "--http", "127.0.0.1:0", "--identity-dir", identity.dir],
        { RP_LOG_FORMAT: "json" },
      );
      const http = String((await client.waitForMessage("client started", {}, 10_000))["http"]);
      for (;;) {
        const response = await fetch(`${http}/server/time`).catch(() => undefined);
        if (response?.status === 200) break;
        if (performance.now() - started > 10_000) throw new Error("no answer within 10 s");
      }
      times.push(performance.now() - started);
      await client.stop();
    }
  } finally {
    await server.proc.stop();
    await pki.cleanup();
  }
  return times;
}

if (import.meta.main) {
  const version = versionTimes();
  const first = await firstRequestTimes();
  console.log("start-up (compiled binaries, 20 runs each)");
  console.log("| measure | p50 ms | p90 ms | max ms | target |");
  console.log("| --- | --- | --- | --- | --- |");
  console.log(`| rp-server --version | ${percentile(version, 50).toFixed(1)} | ${percentile(version, 90).toFixed(1)} | ${Math.max(...version).toFixed(1)} | ≤ 20 |`);
  console.log(`| rp-client start → first answered request | ${percentile(first, 50).toFixed(1)} | ${percentile(first, 90).toFixed(1)} | ${Math.max(...first).toFixed(1)} | ≤ 300 |`);
}
