/**
 * The cost of dialling through an HTTP proxy, in one run on loopback: one
 * dist/rp-server, two dist/rp-clients answering ./handlers.ts, one dialling
 * directly and one through a local Debian tinyproxy (CONNECT; mTLS inside
 * the tunnel). wrk GETs `time` from the server's front to each client at
 * c=64, interleaved over several rounds so that background load hits both
 * alike; the ratio proxied / direct is the target (≥ 0.90). Then the proxy
 * is restarted several times and the time from "proxy accepts again" to the
 * client's "connected to the server" is measured: after the pipe was up for
 * a while (the target, ≤ 1 s), and for a proxy restarted again right after
 * each reconnect (flapping: the backoff's storm guard applies).
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
import { STABLE_AFTER_MS } from "../../src/client/index.ts";
import { startConnectRelay } from "./_connect-relay.ts";

const HANDLERS = resolve(import.meta.dir, "handlers.ts");
const seconds = Number(process.env["BENCH_DURATION_S"] ?? 5);
const rounds = Number(process.env["BENCH_ROUNDS"] ?? 3);
const restarts = Number(process.env["BENCH_RESTARTS"] ?? 5);
const connections = 64;
/** How long the proxy stays down at each restart, in turn. */
const OUTAGES_MS = [500, 1_500, 3_000, 5_000, 8_000, 1_000, 2_000, 4_000];

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
  const relay = await startConnectRelay();
  cleanups.push(() => relay.stop());
  await start("direct", {});
  const cap = process.env["BENCH_RECONNECT_CAP_S"];
  const proxied = await start("proxied", { RP_CLIENT_PROXY: proxy.url(), ...(cap === undefined ? {} : { RP_CLIENT_RECONNECT_CAP_S: cap }) });
  await start("relayed", { RP_CLIENT_PROXY: relay.url });
  const paths = ["direct", "proxied", "relayed"] as const;
  type Path = (typeof paths)[number];
  const urls: Record<Path, string> = { direct: `${server.http}/client/direct/time`, proxied: `${server.http}/client/proxied/time`, relayed: `${server.http}/client/relayed/time` };

  for (const url of Object.values(urls)) await wrkLoad(wrk, url, 16, 2); // warm-up
  const results: Record<Path, LoadResult[]> = { direct: [], proxied: [], relayed: [] };
  const ratios: Record<Path, number[]> = { direct: [], proxied: [], relayed: [] };
  for (let round = 0; round < rounds; round++) {
    // Each round in another order, so that a path is not always the one after a given other one.
    const order = paths.map((_, k) => paths[(round + k) % paths.length]!);
    const perSecond: Partial<Record<Path, number>> = {};
    for (const name of order) {
      const result = await wrkLoad(wrk, urls[name], connections, seconds);
      results[name].push(result);
      perSecond[name] = result.perSecond;
    }
    for (const name of paths) ratios[name].push(perSecond[name]! / perSecond.direct!);
  }
  const median = (xs: number[]) => percentile(xs, 50);
  const rate = (name: Path) => median(results[name].map((r) => r.perSecond));
  const p99 = (name: Path) => median(results[name].map((r) => r.p99Ms));
  const errors = (name: Path) => results[name].reduce((sum, r) => sum + r.errors, 0);

  // Two series: the proxy restarted under a pipe that had been up for a while (the target: the dial loop's own
  // pace), and restarted again right after each reconnect (a flapping proxy: a pipe that lived under
  // STABLE_AFTER_MS does not reset the backoff, so the first redial after the loss may wait up to the cap).
  const restartSeries = async (upMs: number): Promise<number[]> => {
    const reconnects: number[] = [];
    for (let i = 0; i < restarts; i++) {
      await Bun.sleep(upMs);
      const mark = proxied.proc.logs.length;
      await proxy.pause();
      await proxied.proc.waitForMessage("lost the pipe to the server", {}, 30_000, mark);
      // Down for a while (0.5-8 s, varied) so that the backoff is caught at different phases (past its quick phase too).
      await Bun.sleep(OUTAGES_MS[i % OUTAGES_MS.length]!);
      const before = proxied.proc.logs.length;
      await proxy.resume(); // resolves once tinyproxy accepts connections
      const backAt = performance.now();
      await proxied.proc.waitForMessage("connected to the server", {}, 30_000, before);
      reconnects.push(performance.now() - backAt);
    }
    return reconnects;
  };
  const stable = await restartSeries(STABLE_AFTER_MS + 500);
  const flapping = await restartSeries(0);

  const load = (await Bun.file("/proc/loadavg").text()).trim();
  console.log(
    `RestPipe client direct vs through tinyproxy${preload === undefined ? "" : ` (LD_PRELOAD=${preload})`} and through a minimal CONNECT relay (node:net in the bench process, TCP_NODELAY) ` +
      `(loopback; wrk c=${connections}, ${seconds} s per run, ${rounds} rounds, order rotated, medians; loadavg ${load})`,
  );
  console.log("| measure | direct | through tinyproxy | through the relay | tinyproxy / direct | relay / direct |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  console.log(`| c=${connections} req/s | ${rate("direct").toFixed(0)} | ${rate("proxied").toFixed(0)} | ${rate("relayed").toFixed(0)} | ${ratio(rate("proxied"), rate("direct"))} | ${ratio(rate("relayed"), rate("direct"))} |`);
  console.log(`| c=${connections} p99 ms | ${p99("direct").toFixed(3)} | ${p99("proxied").toFixed(3)} | ${p99("relayed").toFixed(3)} | ${ratio(p99("proxied"), p99("direct"))} | ${ratio(p99("relayed"), p99("direct"))} |`);
  console.log(`| errors | ${errors("direct")} | ${errors("proxied")} | ${errors("relayed")} | | |`);
  console.log(`| median of the per-round ratios | | | | ${median(ratios.proxied).toFixed(2)} | ${median(ratios.relayed).toFixed(2)} |`);
  console.log(`| req/s per round | ${paths.map((name) => results[name].map((r) => r.perSecond.toFixed(0)).join(", ")).join(" | ")} | ${ratios.proxied.map((r) => r.toFixed(2)).join(", ")} | ${ratios.relayed.map((r) => r.toFixed(2)).join(", ")} |`);
  const series = (name: string, reconnects: number[]) => {
    const sorted = [...reconnects].sort((a, b) => a - b);
    console.log(
      `\nReconnect after the proxy restarts, ${name} (${restarts} restarts, RP_CLIENT_RECONNECT_CAP_S=${cap ?? "2.5 (default)"}; ms from "tinyproxy accepts" to "connected to the server"): ` +
        `${sorted.map((ms) => ms.toFixed(0)).join(", ")}; median ${median(reconnects).toFixed(0)}, max ${sorted[sorted.length - 1]!.toFixed(0)}`,
    );
  };
  series(`the pipe up ${(STABLE_AFTER_MS + 500) / 1000} s before each`, stable);
  series("flapping: restarted right after each reconnect", flapping);
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
}
