/**
 * The cost of dialling through an HTTP proxy, in one run on loopback: one
 * dist/rp-server, two dist/rp-clients answering ./handlers.ts, one dialling
 * directly and one through a local Debian tinyproxy (CONNECT; mTLS inside
 * the tunnel). wrk GETs `time` from the server's front to each client at
 * c=64, interleaved over several rounds so that background load hits both
 * alike; the ratio proxied / direct is the target (≥ 0.90). Then the proxy
 * is restarted several times and the time from "proxy accepts again" to the
 * client's "connected to the server" is measured.
 *
 * Seen here (2 cores shared, loadavg ~15), before tunnelled pipes wrote small TLS records: stock
 * tinyproxy 1.11 reached 0.11-0.61 of the direct rate. It relays in 2 KiB reads with Nagle on, so
 * the tail of a 4-5 KiB record (64 coalesced replies) waited for the server's delayed ACK while
 * the server could not decrypt the record (c=64 / 1,677 req/s = 38 ms a request; strace shows
 * read(fd, ..., 2048)). With TCP_NODELAY forced on tinyproxy's connect()ed sockets only, 1.24; on
 * every socket, 1.87; on the accept()ed (client) leg only, 0.28. With records under 1 KiB both
 * ways (the small-records capability) and stock tinyproxy: 0.83 and 1.28 (medians of 4 and 6
 * rounds; per-round ratios 0.72-1.58: the machine's load moves more than the proxy costs).
 *
 *   bun test/bench/proxy.ts                      (after `bun run build`; needs wrk and tinyproxy)
 *   BENCH_DURATION_S=10 BENCH_ROUNDS=5 BENCH_RESTARTS=10 bun test/bench/proxy.ts
 *   BENCH_TINYPROXY_PRELOAD=/tmp/libnodelay.so bun test/bench/proxy.ts   (diagnostic: tinyproxy with TCP_NODELAY, see nodelay-preload.c)
 *   BENCH_RECONNECT_CAP_S=0.5 bun test/bench/proxy.ts                   (the proxied client's RP_CLIENT_RECONNECT_CAP_S)
 */
import { resolve } from "node:path";
import { makeTestPki, startClientProcess, startServerProcess, Tinyproxy, type ClientProcess, type NodeProcess } from "../support/index.ts";
import { findWrk, percentile, wrkLoad, type LoadResult } from "./_load.ts";

const HANDLERS = resolve(import.meta.dir, "handlers.ts");
const seconds = Number(process.env["BENCH_DURATION_S"] ?? 5);
const rounds = Number(process.env["BENCH_ROUNDS"] ?? 3);
const restarts = Number(process.env["BENCH_RESTARTS"] ?? 5);
const connections = 64;

async function stopProcess(proc: NodeProcess): Promise<void> {
  const timer = setTimeout(() => proc.signal("SIGKILL"), 5_000);
  await proc.stop();
  clearTimeout(timer);
}

const wrk = findWrk();
if (!wrk || !Bun.which("tinyproxy")) {
  console.error("Cannot run the proxy benchmark: it needs wrk and tinyproxy (apt-get install wrk tinyproxy).");
  process.exit(2);
}

const cleanups: Array<() => Promise<void>> = [];
try {
  const pki = await makeTestPki();
  cleanups.push(() => pki.cleanup());
  const preload = process.env["BENCH_TINYPROXY_PRELOAD"];
  const proxy = await Tinyproxy.start(preload === undefined ? {} : { env: { LD_PRELOAD: preload } });
  cleanups.push(() => proxy.stop());
  const server = await startServerProcess(pki.server.dir);
  cleanups.push(() => stopProcess(server.proc));
  const start = async (cn: string, env: Record<string, string>): Promise<ClientProcess> => {
    const client = await startClientProcess((await pki.client(cn)).dir, server.pipePort, { RP_EVENT_HANDLER: HANDLERS, ...env });
    cleanups.push(() => stopProcess(client.proc));
    await server.proc.waitForMessage("client connected", { client: cn }, 15_000);
    return client;
  };
  await start("direct", {});
  const cap = process.env["BENCH_RECONNECT_CAP_S"];
  const proxied = await start("proxied", { RP_CLIENT_PROXY: proxy.url(), ...(cap === undefined ? {} : { RP_CLIENT_RECONNECT_CAP_S: cap }) });
  const urls = { direct: `${server.http}/client/direct/time`, proxied: `${server.http}/client/proxied/time` };

  for (const url of Object.values(urls)) await wrkLoad(wrk, url, 16, 2); // warm-up
  const results: Record<"direct" | "proxied", LoadResult[]> = { direct: [], proxied: [] };
  for (let round = 0; round < rounds; round++) {
    for (const name of round % 2 === 0 ? (["direct", "proxied"] as const) : (["proxied", "direct"] as const)) {
      results[name].push(await wrkLoad(wrk, urls[name], connections, seconds));
    }
  }
  const median = (xs: number[]) => percentile(xs, 50);
  const rate = (name: "direct" | "proxied") => median(results[name].map((r) => r.perSecond));
  const p99 = (name: "direct" | "proxied") => median(results[name].map((r) => r.p99Ms));
  const errors = (name: "direct" | "proxied") => results[name].reduce((sum, r) => sum + r.errors, 0);

  const reconnects: number[] = [];
  for (let i = 0; i < restarts; i++) {
    const mark = proxied.proc.logs.length;
    await proxy.pause();
    await proxied.proc.waitForMessage("lost the pipe to the server", {}, 30_000, mark);
    // Down for a while (0.5-3 s, varied) so that the backoff is caught at different phases.
    await Bun.sleep(500 + ((i * 700) % 2_500));
    const before = proxied.proc.logs.length;
    await proxy.resume(); // resolves once tinyproxy accepts connections
    const backAt = performance.now();
    await proxied.proc.waitForMessage("connected to the server", {}, 30_000, before);
    reconnects.push(performance.now() - backAt);
  }

  const load = (await Bun.file("/proc/loadavg").text()).trim();
  console.log(`RestPipe client direct vs through tinyproxy${preload === undefined ? "" : ` (LD_PRELOAD=${preload})`} (loopback; wrk c=${connections}, ${seconds} s per run, ${rounds} rounds interleaved, medians; loadavg ${load})`);
  console.log("| measure | direct | through tinyproxy | proxied / direct |");
  console.log("| --- | ---: | ---: | ---: |");
  console.log(`| c=${connections} req/s | ${rate("direct").toFixed(0)} | ${rate("proxied").toFixed(0)} | ${(rate("proxied") / rate("direct")).toFixed(2)} |`);
  console.log(`| c=${connections} p99 ms | ${p99("direct").toFixed(3)} | ${p99("proxied").toFixed(3)} | ${(p99("proxied") / p99("direct")).toFixed(2)} |`);
  console.log(`| errors | ${errors("direct")} | ${errors("proxied")} | |`);
  console.log(`| req/s per round | ${results.direct.map((r) => r.perSecond.toFixed(0)).join(", ")} | ${results.proxied.map((r) => r.perSecond.toFixed(0)).join(", ")} | |`);
  const sorted = [...reconnects].sort((a, b) => a - b);
  console.log(
    `\nReconnect after the proxy restarts (${restarts} restarts, RP_CLIENT_RECONNECT_CAP_S=${cap ?? "2 (default)"}; ms from "tinyproxy accepts" to "connected to the server"): ` +
      `${sorted.map((ms) => ms.toFixed(0)).join(", ")}; median ${median(reconnects).toFixed(0)}, max ${sorted[sorted.length - 1]!.toFixed(0)}`,
  );
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
}
