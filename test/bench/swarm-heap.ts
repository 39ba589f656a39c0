/**
 * What one idle client costs the server's JS heap: rp-server from source (under `bun --preload _heap-dump.ts`),
 * its heap counted with no client and again with N idle in-process swarm clients; prints the heap bytes and RSS
 * per connection and the object types that grew, per connection. Loopback only; bounded; cleans up.
 *
 *   bun test/bench/swarm-heap.ts            N = SWARM_N (default 2,000)
 *   SWARM_HEAP_SNAPSHOT=/tmp/heap bun test/bench/swarm-heap.ts   also V8 snapshots /tmp/heap.<ms>.heapsnapshot
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { DialLoop } from "../../src/client/index.ts";
import { loadClientConfig } from "../../src/config/index.ts";
import { createDispatcher } from "../../src/dispatch/index.ts";
import type { Pipe } from "../../src/pipe/index.ts";
import { rssKiB } from "./_proc.ts";
import { startSwarmClient } from "./_swarm-client.ts";
import { swarmPki } from "./_swarm-pki.ts";
import * as handlers from "./handlers.ts";
import { startSwarmServer } from "./swarm.ts";

interface Dump {
  readonly heapSize: number;
  readonly objectCount: number;
  readonly extraMemorySize: number;
  readonly objectTypeCounts: Record<string, number>;
}

const log = (line: string) => console.error(`[swarm-heap] ${line}`);

/** Asks the server for a heap dump and reads it (waits up to 60 s). */
async function dumpOf(pid: number, path: string): Promise<Dump> {
  await rm(path, { force: true });
  process.kill(pid, "SIGUSR2");
  for (let i = 0; i < 600 && !existsSync(path); i++) await Bun.sleep(100);
  await Bun.sleep(200);
  return JSON.parse(readFileSync(path, "utf8")) as Dump;
}

if (import.meta.main) {
  const n = Number(process.env["SWARM_N"] ?? 2000);
  const pki = await swarmPki(n, log);
  const dir = await mkdtemp(join(tmpdir(), "restpipe-swarm-heap-"));
  const dumpPath = join(dir, "heap.json");
  const loops: DialLoop[] = [];
  const pipes: Pipe[] = [];
  const root = resolve(import.meta.dir, "../..");
  const command = [process.execPath, "--preload", resolve(import.meta.dir, "_heap-dump.ts"), join(root, "src/cli/rp-server.ts")];
  const snapshots = process.env["SWARM_HEAP_SNAPSHOT"]; // a path prefix: V8 snapshots before and after, for bytes per type
  const server = await startSwarmServer(dir, pki, n + 1024, { RP_HEAP_DUMP: dumpPath, ...(snapshots ? { RP_HEAP_SNAPSHOT: snapshots } : {}) }, command);
  try {
    await Bun.sleep(1000);
    const before = await dumpOf(server.proc.pid, dumpPath);
    const rssBefore = rssKiB(server.proc.pid);
    const config = loadClientConfig({ env: {}, flags: {} });
    const dispatcher = createDispatcher(handlers);
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const { loop, connected } = startSwarmClient({ pki, i: next++, targets: [{ host: "127.0.0.1", port: server.port }], config, dispatcher, pipes, timeoutS: 120, hint: "" });
        loops.push(loop);
        await connected;
      }
    };
    await Promise.all(Array.from({ length: 64 }, worker));
    log(`${n} connected; settling`);
    await Bun.sleep(6000); // past one heartbeat round
    const after = await dumpOf(server.proc.pid, dumpPath);
    const rssAfter = rssKiB(server.proc.pid);
    const per = (a: number, b: number) => ((b - a) / n).toFixed(1);
    console.log(`server heap with ${n} idle clients (from source, bun:jsc heapStats after a full GC)`);
    console.log(`| measure | per connection |`);
    console.log(`| --- | ---: |`);
    console.log(`| RSS (KiB) | ${per(rssBefore, rssAfter)} |`);
    console.log(`| JS heap (KiB) | ${per(before.heapSize / 1024, after.heapSize / 1024)} |`);
    console.log(`| extra memory, buffers outside the heap (KiB) | ${per(before.extraMemorySize / 1024, after.extraMemorySize / 1024)} |`);
    console.log(`| JS objects | ${per(before.objectCount, after.objectCount)} |`);
    const grew = Object.entries(after.objectTypeCounts)
      .map(([type, count]) => [type, (count - (before.objectTypeCounts[type] ?? 0)) / n] as const)
      .filter(([, count]) => count >= 0.5)
      .sort((a, b) => b[1] - a[1]);
    console.log(`\n| object type | per connection |\n| --- | ---: |`);
    for (const [type, count] of grew.slice(0, 40)) console.log(`| ${type} | ${count.toFixed(1)} |`);
  } finally {
    for (const loop of loops) loop.stop();
    for (const pipe of pipes) pipe.close();
    await server.proc.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
