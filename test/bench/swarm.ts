/**
 * Many clients on one server: one process opens N mTLS client pipes with the
 * project's own client code (dial loop + Pipe, default heartbeats, not N
 * binaries) to one dist/rp-server with its default settings, and reports the
 * server's RSS growth per connection, its CPU while every pipe only
 * heartbeats, and the latency of requests to random CNs through its front
 * while all are connected. Loopback only; bounded in time; cleans up.
 *
 *   bun test/bench/swarm.ts             N = SWARM_N (default 10,000)
 *   bun test/bench/swarm.ts --quick     N = 200, 5 s idle window
 *   SWARM_N=2000 SWARM_IDLE_S=10 SWARM_REQUEST_S=5 SWARM_REQUEST_CONCURRENCY=16 bun test/bench/swarm.ts
 *   (requests by wrk when installed, else SWARM_REQUESTS by fetch from this process)
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startDialLoop, type DialLoop } from "../../src/client/index.ts";
import { loadClientConfig } from "../../src/config/index.ts";
import { createDispatcher } from "../../src/dispatch/index.ts";
import { silentLogger } from "../../src/log/index.ts";
import { pipeOptions } from "../../src/node/index.ts";
import { Pipe } from "../../src/pipe/index.ts";
import { storeIdentity } from "../../src/pki/index.ts";
import { bunRuntime } from "../../src/runtime/bun/index.ts";
import { binary, NodeProcess } from "../support/index.ts";
import { fetchLoad, findWrk, wrkLoad, type LoadResult } from "./_load.ts";
import { cpuSeconds, rssKiB } from "./_proc.ts";
import { swarmCn, swarmPki, type SwarmPki } from "./_swarm-pki.ts";
import * as handlers from "./handlers.ts";

/** What to run. */
export interface SwarmOptions {
  readonly clients: number;
  /** Handshakes in progress at once (the server refuses more than 256 by default). */
  readonly dialConcurrency: number;
  readonly idleSeconds: number;
  /** With wrk: seconds of requests to random CNs; without: this many requests by fetch from this process. */
  readonly requestSeconds: number;
  readonly requests: number;
  readonly requestConcurrency: number;
}

/** What was measured. */
export interface SwarmFigures {
  readonly clients: number;
  readonly serverSaw: number;
  readonly connectSeconds: number;
  readonly rssBeforeKiB: number;
  readonly rssAfterKiB: number;
  readonly rssAfterIdleKiB: number;
  readonly idleCores: number;
  readonly idleSeconds: number;
  readonly swarmIdleCores: number;
  readonly requests: LoadResult;
  /** CPU used while the requests ran (cores): the server, and this process answering for all N clients. */
  readonly busyCores: { readonly server: number; readonly swarm: number };
  /** The same load on a direct HTTP server (no pipe) right after: what this machine's tail is now. */
  readonly machine: LoadResult | undefined;
  readonly concurrency: number;
  readonly swarmRssKiB: number;
}

const log = (line: string) => console.error(`swarm: ${line}`);

/** Re-runs this script (or another benchmark's) under a raised open-files limit when the current one is too low for `needed` sockets. */
export function ensureFdLimit(needed: number): void {
  const soft = Number(spawnSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).stdout.trim());
  if (soft >= needed || soft === 0 || process.env["RP_SWARM_RAISED"]) return;
  log(`open-files limit ${soft} < ${needed}: re-running under ulimit -n ${needed}`);
  const child = spawnSync("bash", ["-c", 'ulimit -n "$0" || { echo "cannot raise the open-files limit to $0 (run as root or raise the hard limit)" >&2; exit 2; }; exec "$@"', String(needed), process.execPath, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, RP_SWARM_RAISED: "1" },
  });
  process.exit(child.status ?? 1);
}

/** dist/rp-server with the swarm's server identity in `dir`, default settings plus `env`, the open-files limit raised. */
export async function startSwarmServer(
  dir: string,
  pki: SwarmPki,
  fdLimit: number,
  env: Record<string, string> = {},
  command: readonly string[] = [binary("rp-server")],
): Promise<{ proc: NodeProcess; port: number; http: string }> {
  await storeIdentity(dir, "server", { keyPem: pki.server.keyPem, certPem: pki.server.certPem, caPem: pki.ca.certPem });
  const raise = 'ulimit -n "$0" 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"';
  const args = ["start", "--bind", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0", "--identity-dir", dir];
  const proc = new NodeProcess(["bash", "-c", raise, String(fdLimit), ...command, ...args], { RP_LOG_FORMAT: "json", ...env });
  const ready = await proc.waitForMessage("server listening");
  const pipe = String(ready["pipe"]);
  return { proc, port: Number(pipe.slice(pipe.lastIndexOf(":") + 1)), http: String(ready["http"]) };
}

/** Opens client `i`'s dial loop; resolves once its pipe is up (rejects after 60 s). */
function dial(i: number, pki: SwarmPki, port: number, loops: DialLoop[], pipes: Pipe[]): Promise<void> {
  const config = loadClientConfig({ env: {}, flags: {} });
  const dispatcher = createDispatcher(handlers);
  const identity = { keyPem: pki.clients[i]!.keyPem, certPem: pki.clients[i]!.certPem, caPem: pki.ca.certPem };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`client ${i} not connected within 60 s`)), 60_000);
    const loop = startDialLoop({
      dial: () => bunRuntime.connectTls({ hostname: "127.0.0.1", port, identity, serverName: "localhost", timeoutMs: config.connectTimeoutMs }),
      open: async (transport) => {
        const pipe = new Pipe(transport, pipeOptions(config, { name: "localhost", remoteAddress: transport.peer.remoteAddress }, dispatcher, silentLogger));
        pipes.push(pipe);
        return pipe;
      },
      ready: () => {},
      baseMs: config.reconnectBaseMs,
      capMs: config.reconnectCapMs,
      log: silentLogger,
      onStatus: (status) => {
        if (status.state !== "connected") return;
        clearTimeout(timer);
        resolve();
      },
    });
    loops.push(loop);
  });
}

/**
 * Requests to random CNs through the server front: by wrk (its own process,
 * like the web application a server serves) when installed, else by fetch
 * from this process, which then also answers them.
 */
function randomRequests(http: string, options: SwarmOptions): Promise<LoadResult> {
  const wrk = findWrk();
  const c = options.requestConcurrency;
  if (wrk) {
    log(`wrk: ${options.requestSeconds} s of requests to random CNs at c=${c}`);
    return wrkLoad(wrk, `${http}/`, c, options.requestSeconds, resolve(import.meta.dir, "swarm-random.lua"), { SWARM_N: String(options.clients) });
  }
  log(`fetch: ${options.requests} requests to random CNs at c=${c}`);
  const url = () => `${http}/client/${swarmCn(Math.floor(Math.random() * options.clients))}/time`;
  return fetchLoad(url, c, 120, options.requests);
}

/** The same wrk load against ./direct-server.ts, for the machine's own latency tail in this run. */
async function directReference(options: SwarmOptions): Promise<LoadResult | undefined> {
  const wrk = findWrk();
  if (!wrk) return undefined;
  const direct = new NodeProcess([process.execPath, resolve(import.meta.dir, "direct-server.ts"), "0"], {});
  try {
    const http = String((await direct.waitForMessage("direct listening"))["http"]);
    return await wrkLoad(wrk, `${http}/time`, options.requestConcurrency, options.requestSeconds);
  } finally {
    await direct.stop();
  }
}

/** Runs the swarm and measures; everything started is stopped before it returns. */
export async function runSwarm(options: SwarmOptions): Promise<SwarmFigures> {
  const pki = await swarmPki(options.clients, log);
  const dir = await mkdtemp(join(tmpdir(), "restpipe-swarm-"));
  const loops: DialLoop[] = [];
  const pipes: Pipe[] = [];
  let server: Awaited<ReturnType<typeof startSwarmServer>> | undefined;
  try {
    server = await startSwarmServer(dir, pki, options.clients + 1024);
    const { proc } = server;
    await Bun.sleep(1_000);
    const rssBeforeKiB = rssKiB(proc.pid);
    log(`server pid ${proc.pid} RSS ${rssBeforeKiB} KiB; connecting ${options.clients} clients`);
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < options.clients) await dial(next++, pki, server!.port, loops, pipes);
    };
    await Promise.all(Array.from({ length: Math.min(options.dialConcurrency, options.clients) }, worker));
    const connectSeconds = (performance.now() - started) / 1000;
    log(`${options.clients} connected in ${connectSeconds.toFixed(1)} s`);
    await Bun.sleep(3_000);
    const rssAfterKiB = rssKiB(proc.pid);
    const serverSaw = Math.max(0, ...proc.logs.filter((r) => r.msg === "client connected").map((r) => Number(r["clients"])));
    log(`idle window ${options.idleSeconds} s (heartbeats only)`);
    const [cpu0, own0, t0] = [cpuSeconds(proc.pid), cpuSeconds(process.pid), performance.now()];
    await Bun.sleep(options.idleSeconds * 1000);
    const wall = (performance.now() - t0) / 1000;
    const idleCores = (cpuSeconds(proc.pid) - cpu0) / wall;
    const swarmIdleCores = (cpuSeconds(process.pid) - own0) / wall;
    const rssAfterIdleKiB = rssKiB(proc.pid);
    const [cpuR0, ownR0, tR0] = [cpuSeconds(proc.pid), cpuSeconds(process.pid), performance.now()];
    const requests = await randomRequests(server.http, options);
    const requestWall = (performance.now() - tR0) / 1000;
    const busyCores = { server: (cpuSeconds(proc.pid) - cpuR0) / requestWall, swarm: (cpuSeconds(process.pid) - ownR0) / requestWall };
    const machine = await directReference(options);
    return {
      clients: options.clients,
      serverSaw,
      connectSeconds,
      rssBeforeKiB,
      rssAfterKiB,
      rssAfterIdleKiB,
      idleCores,
      idleSeconds: wall,
      swarmIdleCores,
      requests,
      busyCores,
      machine,
      concurrency: options.requestConcurrency,
      swarmRssKiB: rssKiB(process.pid),
    };
  } finally {
    for (const loop of loops) loop.stop();
    for (const pipe of pipes) pipe.close();
    if (server) {
      const proc = server.proc;
      const timer = setTimeout(() => proc.signal("SIGKILL"), 15_000);
      await proc.stop();
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  }
}

const fmt = (x: number, digits = 0) => x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The figures as a markdown table with the targets. */
export function renderSwarm(f: SwarmFigures): string {
  const perConnection = (f.rssAfterKiB - f.rssBeforeKiB) / f.clients;
  const perConnectionIdle = (f.rssAfterIdleKiB - f.rssBeforeKiB) / f.clients;
  const rows = [
    ["clients connected (server's count)", `${fmt(f.serverSaw)} of ${fmt(f.clients)}`, `${fmt(f.clients)}`],
    ["time to connect all (s)", fmt(f.connectSeconds, 1), ""],
    ["server RSS before → after connecting (MiB)", `${fmt(f.rssBeforeKiB / 1024, 1)} → ${fmt(f.rssAfterKiB / 1024, 1)}`, ""],
    ["server RSS growth per connection (KiB)", `${fmt(perConnection, 1)} (${fmt(perConnectionIdle, 1)} after the idle window)`, "≤ 40"],
    [`server CPU while idle, heartbeats every 5 s (cores, over ${fmt(f.idleSeconds, 0)} s)`, fmt(f.idleCores, 3), "≤ 0.2"],
    ["swarm process CPU meanwhile (cores, all N clients)", fmt(f.swarmIdleCores, 3), ""],
    [`requests to random CNs: ${fmt(f.requests.requests)} at c=${f.concurrency}, p50 / p99 (ms)`, `${fmt(f.requests.p50Ms, 2)} / ${fmt(f.requests.p99Ms, 2)}`, "p99 ≤ 10"],
    ["  … req/s, errors", `${fmt(f.requests.perSecond)}, ${f.requests.errors}`, ""],
    ["  … CPU meanwhile: server / swarm process (cores)", `${fmt(f.busyCores.server, 2)} / ${fmt(f.busyCores.swarm, 2)}`, ""],
    ...(f.machine
      ? [[`  … the same load on direct HTTP (no pipe) right after: p50 / p99 (ms)`, `${fmt(f.machine.p50Ms, 2)} / ${fmt(f.machine.p99Ms, 2)}`, "the machine's own tail"]]
      : []),
    ["swarm process RSS (MiB)", fmt(f.swarmRssKiB / 1024, 0), ""],
  ];
  return ["| measure | value | target |", "| --- | ---: | --- |", ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

if (import.meta.main) {
  const quick = process.argv.includes("--quick");
  const env = process.env;
  const options: SwarmOptions = {
    clients: Number(env["SWARM_N"] ?? (quick ? 200 : 10_000)),
    dialConcurrency: Number(env["SWARM_DIAL_CONCURRENCY"] ?? 128),
    idleSeconds: Number(env["SWARM_IDLE_S"] ?? (quick ? 5 : 10)),
    requestSeconds: Number(env["SWARM_REQUEST_S"] ?? 5),
    requests: Number(env["SWARM_REQUESTS"] ?? 2_000),
    requestConcurrency: Number(env["SWARM_REQUEST_CONCURRENCY"] ?? 16),
  };
  ensureFdLimit(options.clients + 1024);
  const loadBefore = (await Bun.file("/proc/loadavg").text()).trim();
  const figures = await runSwarm(options);
  const loadAfter = (await Bun.file("/proc/loadavg").text()).trim();
  console.log(`swarm: ${fmt(options.clients)} mTLS clients in one process → one rp-server (loopback; loadavg ${loadBefore} → ${loadAfter})`);
  console.log(renderSwarm(figures));
  process.exit(0);
}
