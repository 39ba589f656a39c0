/**
 * What one big stream does to everything else on its pipe, for one or more
 * builds side by side (dist directories, each a server and a client): small
 * requests' p50/p99 idle and during a 1 GiB reply with a stalled reader on
 * the same pipe, the bytes waiting in the kernel's socket buffers of the pipe
 * connection meanwhile (`ss`: Send-Q + Recv-Q of both ends, sampled every
 * 100 ms), the reply's MB/s and each process's peak RSS growth. The builds
 * take turns, so that a change in the machine's load hits them alike.
 * Loopback only, bounded in time (curl --max-time 120, 3 s of requests).
 *
 *   bun test/bench/stream-fairness.ts                           (dist/)
 *   BENCH_DISTS="/tmp/base/dist dist" BENCH_ROUNDS=2 bun test/bench/stream-fairness.ts
 */
import { connect } from "node:net";
import { resolve } from "node:path";
import { makeTestPki, startClientProcess, startServerProcess } from "../support/index.ts";
import { fetchLoad } from "./_load.ts";
import { rssKiB } from "./_proc.ts";

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const HANDLERS = resolve(import.meta.dir, "handlers.ts");

/** Bytes queued in the kernel on both ends of the TCP connections to or from `port`. */
function kernelQueue(port: number): number {
  const out = Bun.spawnSync(["ss", "-tnH", "state", "established", `( sport = :${port} or dport = :${port} )`]).stdout.toString();
  let queued = 0;
  for (const line of out.trim().split("\n")) {
    const [recvQ, sendQ] = line.trim().split(/\s+/);
    queued += Number(recvQ ?? 0) + Number(sendQ ?? 0);
  }
  return queued;
}

/** One round for one build. */
async function measure(dist: string, serverDir: string, clientDir: string): Promise<string> {
  const server = await startServerProcess(serverDir, {}, [], { argv: [resolve(dist, "rp-server")] });
  const client = await startClientProcess(clientDir, server.pipePort, { RP_EVENT_HANDLER: HANDLERS }, [], { argv: [resolve(dist, "rp-client")] });
  try {
    const base = `${server.http}/client/bench/`;
    await fetchLoad(`${base}time`, 1, 1); // warm-up, and the heartbeats that announce "stream"
    const idle = await fetchLoad(`${base}time`, 1, 3);
    const { hostname, port } = new URL(base);
    const stalled = connect({ host: hostname, port: Number(port) });
    stalled.pause();
    stalled.write(`GET /client/bench/gen//${GiB} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`);
    const pids = [server.proc.pid, client.proc.pid];
    const rss0 = pids.map(rssKiB);
    const peak = [...rss0];
    const queues: number[] = [];
    const sampler = setInterval(() => {
      pids.forEach((pid, i) => (peak[i] = Math.max(peak[i]!, rssKiB(pid))));
      queues.push(kernelQueue(server.pipePort));
    }, 100);
    const curl = Bun.spawn(["curl", "-s", "-o", "/dev/null", "--max-time", "120", "-w", "%{size_download} %{time_total}", `${base}gen//${GiB}`], { stdout: "pipe" });
    await Bun.sleep(300);
    const during = await fetchLoad(`${base}time`, 1, 3);
    const [size, total] = (await new Response(curl.stdout).text()).trim().split(" ");
    clearInterval(sampler);
    stalled.destroy();
    queues.sort((a, b) => a - b);
    const f = (x: number, d = 2) => x.toFixed(d);
    return `| ${dist} | ${f(idle.p50Ms)} / ${f(idle.p99Ms)} | ${f(during.p50Ms)} / ${f(during.p99Ms)} | ${f((queues[Math.floor(queues.length / 2)] ?? 0) / MiB)} / ${f((queues.at(-1) ?? 0) / MiB)} | ${f(Number(size) / Number(total) / 1e6, 0)} | ${f((peak[0]! - rss0[0]!) / 1024, 1)} / ${f((peak[1]! - rss0[1]!) / 1024, 1)} |`;
  } finally {
    await client.proc.stop();
    await server.proc.stop();
  }
}

if (import.meta.main) {
  const dists = (process.env["BENCH_DISTS"] ?? resolve(import.meta.dir, "../../dist")).split(/\s+/).filter(Boolean);
  const rounds = Number(process.env["BENCH_ROUNDS"] ?? 1);
  const pki = await makeTestPki();
  try {
    const clientDir = (await pki.client("bench")).dir;
    const rows: string[] = [];
    for (let round = 0; round < rounds; round++) for (const dist of dists) rows.push(await measure(dist, pki.server.dir, clientDir));
    const load = (await Bun.file("/proc/loadavg").text()).trim();
    console.log(`One 1 GiB reply + a stalled reader on the pipe: what small requests see (loopback; loadavg ${load})`);
    console.log(
      [
        "| build | small request p50 / p99 ms, idle | during | kernel queue on the pipe median / max MiB | 1 GiB MB/s | RSS growth server / client MiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        ...rows,
      ].join("\n"),
    );
  } finally {
    await pki.cleanup();
  }
}
