/**
 * Streamed bodies through the compiled binaries beside direct HTTP (the same
 * peers as pipe-http.ts): MB/s of one reply at 16 MiB (a whole buffer the
 * pipe streams) and at 1 GiB (a handler's stream), time to first byte of a
 * 16 MiB reply, RSS growth of each process during the 1 GiB reply (alone,
 * and beside a stalled reader), and
 * small-request p50/p99 idle and during a 1 GiB transfer with one stalled
 * reader on the same pipe. Loopback only, bounded in time.
 *
 *   bun test/bench/pipe-streams.ts            (BENCH_BLOB_REPS=20 for 16 MiB; BENCH_GIB_REPS=2)
 */
import { connect } from "node:net";
import { fetchLoad, percentile, type LoadResult } from "./_load.ts";
import { rssKiB } from "./_proc.ts";
import { startPeers, type Peer } from "./pipe-http.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

interface StreamFigures {
  readonly mbps16: number;
  readonly mbps1G: number;
  readonly ttfb16Ms: number;
  /** Peak RSS growth per process during the 1 GiB reply, MiB. */
  readonly rssGrowthMiB: readonly number[];
  /** Peak RSS growth per process during the 1 GiB reply beside a stalled reader, MiB (from the same base). */
  readonly rssStalledMiB: readonly number[];
  readonly idle: LoadResult;
  readonly during: LoadResult;
}

const genUrl = (peer: Peer, n: number) => peer.blobUrl(n).replace("/blob//", "/gen//").replace("/blob/", "/gen/");

/** One curl download: MB/s and time to first byte (ms). */
async function curlGet(url: string, expect: number): Promise<{ mbps: number; ttfbMs: number }> {
  const curl = Bun.spawn(["curl", "-s", "-o", "/dev/null", "--max-time", "120", "-w", "%{http_code} %{size_download} %{time_total} %{time_starttransfer}", url], { stdout: "pipe" });
  const [code, size, total, ttfb] = (await new Response(curl.stdout).text()).trim().split(" ");
  await curl.exited;
  if (code !== "200" || Number(size) !== expect) throw new Error(`GET ${url}: ${code}, ${size} bytes (expected ${expect})`);
  return { mbps: Number(size) / Number(total) / 1e6, ttfbMs: Number(ttfb) * 1000 };
}

async function measure(peer: Peer, reps16: number, repsGiB: number): Promise<StreamFigures> {
  await curlGet(peer.blobUrl(16 * MiB), 16 * MiB); // warm-up: the handler builds its blob
  const runs16: Array<{ mbps: number; ttfbMs: number }> = [];
  for (let i = 0; i < reps16; i++) runs16.push(await curlGet(peer.blobUrl(16 * MiB), 16 * MiB));
  const base = peer.pids.map(rssKiB);
  const sample = (peak: number[]) => setInterval(() => peer.pids.forEach((pid, i) => (peak[i] = Math.max(peak[i]!, rssKiB(pid)))), 50);
  const peak = [...base];
  let sampler = sample(peak);
  const runsGiB: number[] = [];
  for (let i = 0; i < repsGiB; i++) runsGiB.push((await curlGet(genUrl(peer, GiB), GiB)).mbps);
  clearInterval(sampler);
  const peakStalled = [...base];
  const idle = await fetchLoad(peer.timeUrl, 1, 3);
  // During: one 1 GiB transfer and one reader that never reads, on the same pipe.
  const { hostname, port } = new URL(peer.timeUrl);
  const stalled = connect({ host: hostname, port: Number(port) });
  stalled.pause();
  stalled.write(`GET ${new URL(genUrl(peer, GiB)).pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`);
  sampler = sample(peakStalled);
  const transfer = curlGet(genUrl(peer, GiB), GiB).catch(() => undefined);
  await Bun.sleep(300);
  const during = await fetchLoad(peer.timeUrl, 1, 3);
  await transfer;
  clearInterval(sampler);
  stalled.destroy();
  return {
    mbps16: percentile(runs16.map((r) => r.mbps), 50),
    ttfb16Ms: percentile(runs16.map((r) => r.ttfbMs), 50),
    mbps1G: percentile(runsGiB, 50),
    rssGrowthMiB: peak.map((kib, i) => (kib - base[i]!) / 1024),
    rssStalledMiB: peakStalled.map((kib, i) => (kib - base[i]!) / 1024),
    idle,
    during,
  };
}

const f = (x: number, digits = 0) => x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The streaming table: RestPipe, direct HTTP, the ratio. */
export function renderStreamingTable(pipe: StreamFigures, direct: StreamFigures): string {
  const rows: string[][] = [];
  const add = (measure: string, a: number, b: number, digits = 0) => rows.push([measure, f(a, digits), f(b, digits), b === 0 ? "–" : (a / b).toFixed(2)]);
  add("16 MiB reply MB/s", pipe.mbps16, direct.mbps16);
  add("1 GiB reply MB/s (a handler's stream)", pipe.mbps1G, direct.mbps1G);
  add("16 MiB reply time to first byte ms", pipe.ttfb16Ms, direct.ttfb16Ms, 2);
  add("RSS growth during 1 GiB, server MiB", pipe.rssGrowthMiB[0]!, direct.rssGrowthMiB[0]!, 1);
  add("RSS growth during 1 GiB, client MiB", pipe.rssGrowthMiB[1]!, 0, 1);
  add("RSS growth during 1 GiB + a stalled reader, server MiB", pipe.rssStalledMiB[0]!, direct.rssStalledMiB[0]!, 1);
  add("RSS growth during 1 GiB + a stalled reader, client MiB", pipe.rssStalledMiB[1]!, 0, 1);
  add("small request p50 ms, idle", pipe.idle.p50Ms, direct.idle.p50Ms, 3);
  add("small request p99 ms, idle", pipe.idle.p99Ms, direct.idle.p99Ms, 3);
  add("small request p50 ms, during 1 GiB + a stalled reader", pipe.during.p50Ms, direct.during.p50Ms, 3);
  add("small request p99 ms, during 1 GiB + a stalled reader", pipe.during.p99Ms, direct.during.p99Ms, 3);
  return ["| measure | RestPipe | direct HTTP | RestPipe / direct |", "| --- | ---: | ---: | ---: |", ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

if (import.meta.main) {
  const reps16 = Number(process.env["BENCH_BLOB_REPS"] ?? 20);
  const repsGiB = Number(process.env["BENCH_GIB_REPS"] ?? 2);
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const loadBefore = (await Bun.file("/proc/loadavg").text()).trim();
    const { pipe, direct } = await startPeers(cleanups);
    const figures = { pipe: await measure(pipe, reps16, repsGiB), direct: await measure(direct, reps16, repsGiB) };
    const loadAfter = (await Bun.file("/proc/loadavg").text()).trim();
    console.log(`Streamed bodies, RestPipe vs direct HTTP (loopback; curl; ${reps16} × 16 MiB, ${repsGiB} × 1 GiB; loadavg ${loadBefore} → ${loadAfter})`);
    console.log(renderStreamingTable(figures.pipe, figures.direct));
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
}
