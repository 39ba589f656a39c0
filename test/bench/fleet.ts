/**
 * The extra hop of a fleet: three rp-server binaries and a nats-server on
 * loopback, one rp-client connected to server 1. "single" asks server 1's
 * front (the client is local), "cross" asks server 2's (forwarded over the
 * peer link to server 1). wrk c=1 p50 and c=64 req/s; MB/s of a 1 GiB reply
 * (a handler's stream) by curl, with the peak RSS growth of each process
 * during the cross-server one. Bounded in time.
 *
 * The client answers with ./handlers.ts (as pipe-streams.ts): `gen` streams
 * views of one cached 1 MiB blob, so that the RSS rows measure the pipe and
 * not the handler (the fixture handler's fresh 1 MiB per pull grew the
 * client by tens of MiB of garbage).
 *
 *   bun test/bench/fleet.ts          (BENCH_SECONDS=5 per load run, BENCH_GIB_REPS=2, BENCH_BODY_MIB=1024)
 *
 * Without wrk the load runs are fetch loops (the smoke test's mode).
 */
import { resolve } from "node:path";
import { makeTestPki, startClientProcess, type ServerProcess } from "../support/index.ts";
import { reachable, startFleetServer } from "../support/fleet.ts";
import { startNats } from "../support/nats.ts";
import { fetchLoad, findWrk, percentile, wrkLoad, type LoadResult } from "./_load.ts";
import { rssKiB } from "./_proc.ts";

/** The client's handler module: cached bytes, no allocation per chunk. */
const HANDLERS = resolve(import.meta.dir, "handlers.ts");

const seconds = Number(process.env["BENCH_SECONDS"] ?? 5);
const repsGiB = Number(process.env["BENCH_GIB_REPS"] ?? 2);
/** The large body's size (1 GiB; the smoke test takes a few MiB). */
const BODY = Number(process.env["BENCH_BODY_MIB"] ?? 1024) * 1024 * 1024;
const bodyName = BODY >= 1024 ** 3 ? `${BODY / 1024 ** 3} GiB` : `${BODY / 1024 ** 2} MiB`;

/** wrk when installed, else a fetch loop. */
function load(wrk: string | undefined, url: string, connections: number, secs: number): Promise<LoadResult> {
  return wrk ? wrkLoad(wrk, url, connections, secs) : fetchLoad(url, connections, secs);
}

async function curlMbps(url: string, expect: number): Promise<number> {
  const curl = Bun.spawn(["curl", "-s", "-o", "/dev/null", "--max-time", "180", "-w", "%{http_code} %{size_download} %{time_total}", url], { stdout: "pipe" });
  const [code, size, total] = (await new Response(curl.stdout).text()).trim().split(" ");
  await curl.exited;
  if (code !== "200" || Number(size) !== expect) throw new Error(`GET ${url}: ${code}, ${size} bytes (expected ${expect})`);
  return Number(size) / Number(total) / 1e6;
}

interface Figures {
  readonly c1: LoadResult;
  readonly c64: LoadResult;
  readonly mbps: number;
}

async function measure(wrk: string | undefined, front: ServerProcess, pids: readonly number[]): Promise<Figures & { rssMiB: number[] }> {
  const url = `${front.http}/client/bench/time`;
  await load(wrk, url, 8, 1); // warm-up (the peer link is dialled, JIT)
  const c1 = await load(wrk, url, 1, seconds);
  const c64 = await load(wrk, url, 64, seconds);
  const base = pids.map(rssKiB);
  const peak = [...base];
  const sampler = setInterval(() => pids.forEach((pid, i) => (peak[i] = Math.max(peak[i]!, rssKiB(pid)))), 50);
  const rates: number[] = [];
  for (let i = 0; i < repsGiB; i++) rates.push(await curlMbps(`${front.http}/client/bench/gen//${BODY}`, BODY));
  clearInterval(sampler);
  return { c1, c64, mbps: percentile(rates, 50), rssMiB: peak.map((kib, i) => (kib - base[i]!) / 1024) };
}

const f = (x: number, digits = 0) => x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

if (import.meta.main) {
  const wrk = findWrk();
  const pki = await makeTestPki();
  const nats = await startNats();
  const stops: Array<() => unknown> = [];
  try {
    const servers = await Promise.all(
      [0, 1, 2].map(() =>
        startFleetServer(pki.server.dir, nats, { RP_SERVER_CLIENT_WAIT_S: "5" }).then((server) => {
          stops.push(() => server.proc.stop("SIGKILL"));
          return server;
        }),
      ),
    );
    const identity = await pki.client("bench");
    const client = await startClientProcess(identity.dir, servers[0]!.pipePort, { RP_EVENT_HANDLER: HANDLERS, RP_CLIENT_MAX_STREAM_BYTES: "2GiB" });
    stops.push(() => client.proc.stop("SIGKILL"));
    await reachable(`${servers[1]!.http}/client/bench/time`);
    const loadBefore = (await Bun.file("/proc/loadavg").text()).trim();
    const pids = [servers[0]!.proc.pid, servers[1]!.proc.pid, client.proc.pid];
    const single = await measure(wrk, servers[0]!, pids);
    const cross = await measure(wrk, servers[1]!, pids);
    const loadAfter = (await Bun.file("/proc/loadavg").text()).trim();
    const rows: string[][] = [];
    const add = (what: string, s: number, c: number, digits: number, target: string) => rows.push([what, f(s, digits), f(c, digits), s === 0 ? "–" : (c / s).toFixed(2), target]);
    add("c=1 p50 ms", single.c1.p50Ms, cross.c1.p50Ms, 3, `cross ≤ single + 0.5 ms (${cross.c1.p50Ms - single.c1.p50Ms <= 0.5 ? "met" : "missed"}: +${f(cross.c1.p50Ms - single.c1.p50Ms, 3)})`);
    add("c=1 p99 ms", single.c1.p99Ms, cross.c1.p99Ms, 3, "");
    add("c=64 req/s", single.c64.perSecond, cross.c64.perSecond, 0, `cross ≥ 50 % (${cross.c64.perSecond >= single.c64.perSecond / 2 ? "met" : "missed"})`);
    add("c=64 p99 ms", single.c64.p99Ms, cross.c64.p99Ms, 3, "");
    add(`${bodyName} reply MB/s`, single.mbps, cross.mbps, 0, `cross ≥ 50 % (${cross.mbps >= single.mbps / 2 ? "met" : "missed"})`);
    for (const [i, name] of ["server 1 (holds the client)", "server 2 (front of the cross requests)", "client"].entries()) {
      add(`RSS growth during ${bodyName}, ${name} MiB`, single.rssMiB[i]!, cross.rssMiB[i]!, 1, "≤ 48 MiB per process");
    }
    const errors = single.c1.errors + single.c64.errors + cross.c1.errors + cross.c64.errors;
    console.log(`Fleet: 3 rp-servers + nats-server, one client on server 1 (loopback; ${wrk ? "wrk" : "fetch"} ${seconds} s per run; ${repsGiB} × ${bodyName} by curl; errors ${errors}; loadavg ${loadBefore} → ${loadAfter})`);
    console.log(["| measure | single server | cross-server | cross / single | target |", "| --- | ---: | ---: | ---: | --- |", ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n"));
  } finally {
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => {});
    await nats.stop();
    await pki.cleanup();
  }
}
