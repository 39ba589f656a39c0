/**
 * RestPipe beside the physical limit, in one run on loopback: a real
 * dist/rp-server and dist/rp-client (mTLS, throwaway identities; the client
 * answers with ./handlers.ts) and a direct HTTP server answering the same
 * handlers without a pipe (./direct-server.ts). wrk GETs `time` at 1, 16 and
 * 64 connections, then 1 MiB and 16 MiB replies are fetched one at a time.
 * Prints one markdown table with req/s, p50, p99, MB/s, CPU per request and
 * the ratio pipe / direct. Bounded in time; cleans up even on failure.
 *
 *   bun test/bench/pipe-http.ts                  (after `bun run build`; needs wrk)
 *   BENCH_DURATION_S=10 BENCH_BLOB_REPS=20 bun test/bench/pipe-http.ts
 *   bun test/bench/pipe-http.ts --smoke          (1 s at c=1, fetch instead of wrk, one small blob)
 */
import { resolve } from "node:path";
import { makeTestPki, NodeProcess, startClientProcess, startServerProcess } from "../support/index.ts";
import { blobRate, fetchLoad, findWrk, wrkLoad, type LoadResult } from "./_load.ts";
import { cpuSeconds } from "./_proc.ts";

/** What to measure. */
export interface HttpBenchOptions {
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly connections: readonly number[];
  readonly blobSizes: readonly number[];
  readonly blobReps: number;
  /** wrk's path, or "fetch" for the built-in loop. */
  readonly driver: string;
}

/** One peer's figures. */
export interface PeerFigures {
  readonly name: string;
  readonly load: Map<number, LoadResult>;
  /** CPU µs per request, all the peer's processes, per connection count. */
  readonly cpuUs: Map<number, number>;
  readonly blobMbps: Map<number, number>;
}

/** One HTTP peer under test: its processes and URLs. */
export interface Peer {
  readonly name: string;
  readonly pids: readonly number[];
  readonly timeUrl: string;
  blobUrl(size: number): string;
}

const CLIENT_CN = "bench";
const HANDLERS = resolve(import.meta.dir, "handlers.ts");

/** Stops a process: SIGTERM, then SIGKILL after `graceMs`. */
async function stopProcess(proc: NodeProcess, graceMs = 5_000): Promise<void> {
  const timer = setTimeout(() => proc.signal("SIGKILL"), graceMs);
  await proc.stop();
  clearTimeout(timer);
}

/** Starts both peers; `cleanup` stops everything started, whatever happened. */
export async function startPeers(cleanups: Array<() => Promise<void>>): Promise<{ pipe: Peer; direct: Peer }> {
  const pki = await makeTestPki();
  cleanups.push(() => pki.cleanup());
  const server = await startServerProcess(pki.server.dir);
  cleanups.push(() => stopProcess(server.proc));
  const identity = await pki.client(CLIENT_CN);
  const client = await startClientProcess(identity.dir, server.pipePort, { RP_EVENT_HANDLER: HANDLERS });
  cleanups.push(() => stopProcess(client.proc));
  const directProc = new NodeProcess([process.execPath, resolve(import.meta.dir, "direct-server.ts"), "0"], {});
  cleanups.push(() => stopProcess(directProc));
  const direct = String((await directProc.waitForMessage("direct listening"))["http"]);
  const pipe: Peer = {
    name: "RestPipe",
    pids: [server.proc.pid, client.proc.pid],
    timeUrl: `${server.http}/client/${CLIENT_CN}/time`,
    blobUrl: (size) => `${server.http}/client/${CLIENT_CN}/blob//${size}`,
  };
  // The server front waits for the client to connect (up to its client wait): the first answer says it is up.
  const first = await fetch(pipe.timeUrl, { signal: AbortSignal.timeout(15_000) });
  if (first.status !== 200) throw new Error(`Cannot use the pipe: ${pipe.timeUrl} answered ${first.status} ${await first.text()}`);
  return {
    pipe,
    direct: { name: "direct HTTP", pids: [directProc.pid], timeUrl: `${direct}/time`, blobUrl: (size) => `${direct}/blob/${size}` },
  };
}

function load(options: HttpBenchOptions, url: string, connections: number, seconds: number): Promise<LoadResult> {
  return options.driver === "fetch" ? fetchLoad(url, connections, seconds) : wrkLoad(options.driver, url, connections, seconds);
}

/** Measures both peers, interleaved so that a change in background load hits both alike. */
export async function runHttpBench(options: HttpBenchOptions): Promise<PeerFigures[]> {
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const { pipe, direct } = await startPeers(cleanups);
    const peers = [pipe, direct];
    const figures = peers.map((peer): PeerFigures => ({ name: peer.name, load: new Map(), cpuUs: new Map(), blobMbps: new Map() }));
    if (options.warmupSeconds > 0) for (const peer of peers) await load(options, peer.timeUrl, 16, options.warmupSeconds);
    for (const connections of options.connections) {
      for (const [i, peer] of peers.entries()) {
        const cpu0 = peer.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
        const result = await load(options, peer.timeUrl, connections, options.seconds);
        const cpu1 = peer.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
        figures[i]!.load.set(connections, result);
        figures[i]!.cpuUs.set(connections, ((cpu1 - cpu0) / Math.max(1, result.requests)) * 1e6);
      }
    }
    for (const size of options.blobSizes) {
      for (const [i, peer] of peers.entries()) {
        await blobRate(peer.blobUrl(size), size, 1); // warm-up: the handler builds and caches the blob
        figures[i]!.blobMbps.set(size, await blobRate(peer.blobUrl(size), size, options.blobReps));
      }
    }
    return figures;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
}

const fmt = (x: number | undefined, digits = 0) =>
  x === undefined || Number.isNaN(x) ? "–" : x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? "–" : (a / b).toFixed(2));
const sizeName = (bytes: number) => (bytes % (1024 * 1024) === 0 ? `${bytes / 1024 / 1024} MiB` : `${bytes / 1024} KiB`);

/** The results as one markdown table: RestPipe, direct, RestPipe / direct. */
export function renderTable([pipe, direct]: readonly PeerFigures[]): string {
  const rows: string[][] = [];
  const add = (measure: string, a: number | undefined, b: number | undefined, digits = 0) => rows.push([measure, fmt(a, digits), fmt(b, digits), ratio(a, b)]);
  for (const [c, p] of pipe!.load) {
    const d = direct!.load.get(c);
    add(`c=${c} req/s`, p.perSecond, d?.perSecond);
    add(`c=${c} p50 ms`, p.p50Ms, d?.p50Ms, 3);
    add(`c=${c} p99 ms`, p.p99Ms, d?.p99Ms, 3);
    add(`c=${c} CPU µs/request (all processes)`, pipe!.cpuUs.get(c), direct!.cpuUs.get(c));
    if (p.errors + (d?.errors ?? 0) > 0) add(`c=${c} errors`, p.errors, d?.errors);
  }
  for (const [size, mbps] of pipe!.blobMbps) add(`${sizeName(size)} reply MB/s`, mbps, direct!.blobMbps.get(size));
  return [`| measure | ${pipe!.name} | ${direct!.name} | ${pipe!.name} / direct |`, "| --- | ---: | ---: | ---: |", ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

/** Options from the environment (BENCH_DURATION_S, BENCH_BLOB_REPS, BENCH_CONNS), or the smoke settings. */
export function benchOptions(smoke: boolean, env: Record<string, string | undefined> = process.env): HttpBenchOptions {
  if (smoke) return { seconds: 1, warmupSeconds: 0, connections: [1], blobSizes: [64 * 1024], blobReps: 1, driver: "fetch" };
  const wrk = findWrk();
  if (!wrk) throw new Error("Cannot run the HTTP benchmark: wrk is not installed (apt-get install wrk), or run it with --smoke");
  return {
    seconds: Number(env["BENCH_DURATION_S"] ?? 10),
    warmupSeconds: 2,
    connections: (env["BENCH_CONNS"] ?? "1 16 64").split(/\s+/).filter(Boolean).map(Number),
    blobSizes: [1024 * 1024, 16 * 1024 * 1024],
    blobReps: Number(env["BENCH_BLOB_REPS"] ?? 20),
    driver: wrk,
  };
}

if (import.meta.main) {
  let options: HttpBenchOptions;
  try {
    options = benchOptions(process.argv.includes("--smoke"));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  const loadBefore = (await Bun.file("/proc/loadavg").text()).trim();
  const figures = await runHttpBench(options);
  const loadAfter = (await Bun.file("/proc/loadavg").text()).trim();
  const driver = options.driver === "fetch" ? "a fetch loop" : "wrk";
  console.log(`RestPipe vs direct HTTP (loopback; ${driver}, ${options.seconds} s per run, ${options.blobReps} reps per blob size; loadavg ${loadBefore} → ${loadAfter})`);
  console.log(renderTable(figures));
}
