/**
 * Many clients on one server: one process opens N mTLS client pipes with the
 * project's own client code (dial loop + Pipe, default heartbeats, not N
 * binaries) to one dist/rp-server with its default settings, and reports the
 * server's RSS growth per connection, its CPU while every pipe only
 * heartbeats, and the latency of requests to random CNs through its front
 * while all are connected. Loopback only; bounded in time; cleans up.
 *
 * Last, the server is killed and started again on the same port, and the
 * time until all N clients are back is measured (the reconnect storm, with
 * the clients' own backoff).
 *
 *   bun test/bench/swarm.ts             N = SWARM_N (default 10,000)
 *   bun test/bench/swarm.ts --quick     N = 200, 5 s idle window
 *   SWARM_N=2000 SWARM_IDLE_S=10 SWARM_REQUEST_S=5 SWARM_REQUEST_CONCURRENCY=16 bun test/bench/swarm.ts
 *   (requests by wrk when installed, else SWARM_REQUESTS by fetch from this process)
 *   SWARM_SOURCES=4          dial from 127.0.0.1 … 127.0.0.4 (default: one per 20,000 clients; one
 *                            source address has ~28,000 ephemeral ports towards one server port)
 *   SWARM_RESTART=kill|term|none   how the server is restarted for the storm (default kill: a crash, no GoAway)
 *   SWARM_PROCS=4            the clients spread over this many worker processes (default 1: all in this
 *                            process), to tell the swarm's own pauses from the server's: at 10,000 the
 *                            p99 to random CNs was the same either way (15.7-20.1 ms, 2 pairs)
 *   SWARM_RECONNECT_TIMEOUT_S=120  the storm's bound
 * Both this process and the server need N + 1,024 open files: the hard limit (`ulimit -Hn`) caps N.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { storeIdentity } from "../../src/pki/index.ts";
import { binary, NodeProcess } from "../support/index.ts";
import { fetchLoad, findWrk, wrkLoad, type LoadResult } from "./_load.ts";
import { cpuSeconds, rssKiB } from "./_proc.ts";
import { dialRange } from "./_swarm-dial.ts";
import { swarmCn, swarmPki, type SwarmPki } from "./_swarm-pki.ts";

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
  /** Loopback source addresses to spread the clients over (127.0.0.1 …). */
  readonly sources: number;
  readonly restart: "kill" | "term" | "none";
  readonly reconnectTimeoutSeconds: number;
  /** Processes the clients are spread over (1: this one). */
  readonly processes: number;
}

/** The reconnect storm after a server restart. */
export interface StormFigures {
  readonly signal: "kill" | "term";
  /** From the old server's end to the new one's N-th client (the new process's start-up included). */
  readonly seconds: number;
  readonly reconnected: number;
  /** Server CPU over the storm (cores). */
  readonly serverCores: number;
  /** The swarm processes' CPU over the storm (cores): the N clients' side of the handshakes. */
  readonly swarmCores: number;
  /** Connections the new server refused meanwhile (handshake gate full, handshake timeout), by reason. */
  readonly refusals: Readonly<Record<string, number>>;
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
  /** CPU used while the requests ran (cores): the server, and the swarm processes answering for all N clients. */
  readonly busyCores: { readonly server: number; readonly swarm: number };
  /** The same load on a direct HTTP server (no pipe) right after: what this machine's tail is now. */
  readonly machine: LoadResult | undefined;
  readonly concurrency: number;
  readonly swarmRssKiB: number;
  readonly storm: StormFigures | undefined;
  readonly sources: number;
  readonly processes: number;
}

const log = (line: string) => console.error(`swarm: ${line}`);

/**
 * Re-runs this script (or another benchmark's) under a raised open-files limit when the current one is too low for
 * `needed` sockets; `wanted` (default `needed`) is asked for when the hard limit allows: during a reconnect storm
 * the sockets being closed and the new attempts overlap (at N + 1,024 the swarm ran out of files at 10,000 and its
 * storm stalled).
 */
export function ensureFdLimit(needed: number, wanted = needed): void {
  const read = (flag: string) => Number(spawnSync("sh", ["-c", `ulimit ${flag}`], { encoding: "utf8" }).stdout.trim());
  const soft = read("-n");
  const hard = spawnSync("sh", ["-c", "ulimit -Hn"], { encoding: "utf8" }).stdout.trim();
  const target = hard === "unlimited" ? wanted : Math.max(needed, Math.min(wanted, Number(hard) || needed));
  if (soft >= target || soft === 0 || process.env["RP_SWARM_RAISED"]) return;
  log(`open-files limit ${soft} < ${target}: re-running under ulimit -n ${target}`);
  const child = spawnSync("bash", ["-c", 'ulimit -n "$0" || { echo "cannot raise the open-files limit to $0 (run as root or raise the hard limit)" >&2; exit 2; }; exec "$@"', String(target), process.execPath, ...process.argv.slice(1)], {
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
  port = 0,
): Promise<{ proc: NodeProcess; port: number; http: string }> {
  await storeIdentity(dir, "server", { keyPem: pki.server.keyPem, certPem: pki.server.certPem, caPem: pki.ca.certPem });
  const raise = 'ulimit -n "$0" 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"';
  const args = ["start", "--bind", "127.0.0.1", "--port", String(port), "--http", "127.0.0.1:0", "--identity-dir", dir];
  const proc = new NodeProcess(["bash", "-c", raise, String(fdLimit), ...command, ...args], { RP_LOG_FORMAT: "json", ...env });
  const ready = await proc.waitForMessage("server listening");
  const pipe = String(ready["pipe"]);
  return { proc, port: Number(pipe.slice(pipe.lastIndexOf(":") + 1)), http: String(ready["http"]) };
}

/** How long one client may take to connect at first (SWARM_DIAL_TIMEOUT_S; a loaded machine needs more). */
const DIAL_TIMEOUT_S = Number(process.env["SWARM_DIAL_TIMEOUT_S"] ?? 120);

/** The swarm's clients, in this process or spread over worker processes. */
interface Swarm {
  /** The processes whose CPU and RSS are the swarm's. */
  readonly pids: readonly number[];
  readonly connected: Promise<void>;
  stop(): Promise<void>;
}

/** Dials all N clients, from this process or from `options.processes` workers (./_swarm-worker.ts), each a share of the dial concurrency. */
function startSwarm(pki: SwarmPki, port: number, options: SwarmOptions): Swarm {
  const range = { port, sources: options.sources };
  if (options.processes <= 1) {
    const swarm = dialRange(pki, { ...range, from: 0, to: options.clients, dialConcurrency: options.dialConcurrency });
    return { pids: [process.pid], connected: swarm.connected, stop: async () => swarm.stop() };
  }
  const share = Math.ceil(options.clients / options.processes);
  const workers: NodeProcess[] = [];
  for (let from = 0; from < options.clients; from += share) {
    const env = {
      SWARM_WORKER_FROM: String(from),
      SWARM_WORKER_TO: String(Math.min(options.clients, from + share)),
      SWARM_PORT: String(port),
      SWARM_SOURCES: String(options.sources),
      SWARM_DIAL_CONCURRENCY: String(Math.max(1, Math.ceil(options.dialConcurrency / options.processes))),
      SWARM_DIAL_TIMEOUT_S: String(DIAL_TIMEOUT_S),
      TMPDIR: tmpdir(), // where the certificates' cache is
    };
    workers.push(new NodeProcess([process.execPath, resolve(import.meta.dir, "_swarm-worker.ts")], env));
  }
  const ready = (worker: NodeProcess) =>
    worker.waitForLog((r) => r.msg === "swarm worker connected" || r.msg === "swarm worker failed", (DIAL_TIMEOUT_S + 60) * 1000).then((r) => {
      if (r.msg !== "swarm worker connected") throw new Error(`a swarm worker failed: ${String(r["error"])}`);
    });
  return {
    pids: workers.map((w) => w.pid),
    connected: Promise.all(workers.map(ready)).then(() => undefined),
    stop: async () => {
      await Promise.all(
        workers.map((w) => {
          const timer = setTimeout(() => w.signal("SIGKILL"), 10_000);
          return w.stop().finally(() => clearTimeout(timer));
        }),
      );
    },
  };
}

/** CPU seconds and RSS of the swarm's processes together. */
const swarmCpu = (swarm: Swarm) => swarm.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
const swarmRss = (swarm: Swarm) => swarm.pids.reduce((sum, pid) => sum + rssKiB(pid), 0);

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

/** The highest client count the server has logged since record `from`. */
function serverCount(proc: NodeProcess, from = 0): number {
  let most = 0;
  for (let i = from; i < proc.logs.length; i++) {
    const record = proc.logs[i]!;
    if (record.msg === "client connected" || record.msg.startsWith("client reconnected")) most = Math.max(most, Number(record["clients"]) || 0);
  }
  return most;
}

/**
 * Ends the server (SIGKILL: a crash; SIGTERM: a graceful stop with GoAway),
 * starts a new one on the same port and waits until all clients are back,
 * bounded by reconnectTimeoutSeconds.
 */
async function restartStorm(
  old: Awaited<ReturnType<typeof startSwarmServer>>,
  dir: string,
  pki: SwarmPki,
  options: SwarmOptions,
  swarm: Swarm,
): Promise<{ server: Awaited<ReturnType<typeof startSwarmServer>>; storm: StormFigures }> {
  const signal = options.restart === "term" ? "term" : "kill";
  log(`restart: ${signal === "kill" ? "SIGKILL" : "SIGTERM"} to the server, a new one on port ${old.port}`);
  const killer = setTimeout(() => old.proc.signal("SIGKILL"), 30_000);
  await old.proc.stop(signal === "kill" ? "SIGKILL" : "SIGTERM");
  clearTimeout(killer);
  const started = performance.now();
  let server: Awaited<ReturnType<typeof startSwarmServer>> | undefined;
  for (let attempt = 0; !server; attempt++) {
    try {
      server = await startSwarmServer(dir, pki, options.clients + 1024, {}, undefined, old.port);
    } catch (error) {
      if (attempt >= 20) throw error;
      await Bun.sleep(250); // the port may take a moment to be free
    }
  }
  const cpu0 = cpuSeconds(server.proc.pid);
  const own0 = swarmCpu(swarm);
  const bound = started + options.reconnectTimeoutSeconds * 1000;
  let reconnected = 0;
  while ((reconnected = serverCount(server.proc)) < options.clients && performance.now() < bound) await Bun.sleep(100);
  const seconds = (performance.now() - started) / 1000;
  log(`${reconnected} of ${options.clients} back in ${seconds.toFixed(1)} s`);
  const refusals: Record<string, number> = {};
  for (const record of server.proc.logs) {
    if (record.msg !== "refused client connection") continue;
    const reason = String(record["reason"]).replace(/^\d+ handshakes/, "N handshakes");
    refusals[reason] = (refusals[reason] ?? 0) + 1;
  }
  const storm: StormFigures = { signal, seconds, reconnected, serverCores: (cpuSeconds(server.proc.pid) - cpu0) / seconds, swarmCores: (swarmCpu(swarm) - own0) / seconds, refusals };
  return { server, storm };
}

/** Runs the swarm and measures; everything started is stopped before it returns. */
export async function runSwarm(options: SwarmOptions): Promise<SwarmFigures> {
  const pki = await swarmPki(options.clients, log);
  const dir = await mkdtemp(join(tmpdir(), "restpipe-swarm-"));
  let swarm: Swarm | undefined;
  let server: Awaited<ReturnType<typeof startSwarmServer>> | undefined;
  try {
    server = await startSwarmServer(dir, pki, options.clients + 1024);
    const { proc } = server;
    await Bun.sleep(1_000);
    const rssBeforeKiB = rssKiB(proc.pid);
    log(`server pid ${proc.pid} RSS ${rssBeforeKiB} KiB; connecting ${options.clients} clients`);
    const started = performance.now();
    swarm = startSwarm(pki, server.port, options);
    await swarm.connected;
    const connectSeconds = (performance.now() - started) / 1000;
    log(`${options.clients} connected in ${connectSeconds.toFixed(1)} s`);
    await Bun.sleep(3_000);
    const rssAfterKiB = rssKiB(proc.pid);
    const serverSaw = Math.max(0, ...proc.logs.filter((r) => r.msg === "client connected").map((r) => Number(r["clients"])));
    log(`idle window ${options.idleSeconds} s (heartbeats only)`);
    const [cpu0, own0, t0] = [cpuSeconds(proc.pid), swarmCpu(swarm), performance.now()];
    await Bun.sleep(options.idleSeconds * 1000);
    const wall = (performance.now() - t0) / 1000;
    const idleCores = (cpuSeconds(proc.pid) - cpu0) / wall;
    const swarmIdleCores = (swarmCpu(swarm) - own0) / wall;
    const rssAfterIdleKiB = rssKiB(proc.pid);
    const [cpuR0, ownR0, tR0] = [cpuSeconds(proc.pid), swarmCpu(swarm), performance.now()];
    const requests = await randomRequests(server.http, options);
    const requestWall = (performance.now() - tR0) / 1000;
    const busyCores = { server: (cpuSeconds(proc.pid) - cpuR0) / requestWall, swarm: (swarmCpu(swarm) - ownR0) / requestWall };
    const machine = await directReference(options);
    let storm: StormFigures | undefined;
    if (options.restart !== "none") {
      const restarted = await restartStorm(server, dir, pki, options, swarm);
      server = restarted.server;
      storm = restarted.storm;
    }
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
      swarmRssKiB: swarmRss(swarm),
      storm,
      sources: options.sources,
      processes: swarm.pids.length,
    };
  } finally {
    await swarm?.stop();
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

/** Cores, or why there is no figure (a /proc read failed at the end: the swarm process ran out of open files). */
const cores = (x: number) => (x < 0 ? "unread (out of files?)" : fmt(x, 2));

/** The figures as a markdown table with the issue's targets. */
export function renderSwarm(f: SwarmFigures): string {
  const perConnection = (f.rssAfterKiB - f.rssBeforeKiB) / f.clients;
  const perConnectionIdle = (f.rssAfterIdleKiB - f.rssBeforeKiB) / f.clients;
  const rows = [
    ["clients connected (server's count)", `${fmt(f.serverSaw)} of ${fmt(f.clients)}`, `${fmt(f.clients)}`],
    ["time to connect all (s)", fmt(f.connectSeconds, 1), ""],
    ["server RSS before → after connecting (MiB)", `${fmt(f.rssBeforeKiB / 1024, 1)} → ${fmt(f.rssAfterKiB / 1024, 1)}`, ""],
    ["server RSS growth per connection (KiB)", `${fmt(perConnection, 1)} (${fmt(perConnectionIdle, 1)} after the idle window)`, "≤ 16"],
    [`server CPU while idle, heartbeats every 5 s (cores, over ${fmt(f.idleSeconds, 0)} s)`, fmt(f.idleCores, 3), "≤ 0.3"],
    ["swarm processes' CPU meanwhile (cores, all N clients)", fmt(f.swarmIdleCores, 3), ""],
    [`requests to random CNs: ${fmt(f.requests.requests)} at c=${f.concurrency}, p50 / p99 (ms)`, `${fmt(f.requests.p50Ms, 2)} / ${fmt(f.requests.p99Ms, 2)}`, "p99 ≤ 10"],
    ["  … req/s, errors", `${fmt(f.requests.perSecond)}, ${f.requests.errors}`, ""],
    ["  … CPU meanwhile: server / swarm processes (cores)", `${fmt(f.busyCores.server, 2)} / ${fmt(f.busyCores.swarm, 2)}`, ""],
    ...(f.machine
      ? [[`  … the same load on direct HTTP (no pipe) right after: p50 / p99 (ms)`, `${fmt(f.machine.p50Ms, 2)} / ${fmt(f.machine.p99Ms, 2)}`, "the machine's own tail"]]
      : []),
    [`swarm processes: ${f.processes}, their RSS (MiB)`, f.swarmRssKiB > 0 ? fmt(f.swarmRssKiB / 1024, 0) : "unread (out of files?)", ""],
    ["loopback source addresses", String(f.sources), ""],
    ...(f.storm
      ? [
          [
            `all reconnected after a server restart (${f.storm.signal === "kill" ? "SIGKILL" : "SIGTERM"}, new process on the same port) (s)`,
            `${fmt(f.storm.seconds, 1)} (${fmt(f.storm.reconnected)} of ${fmt(f.clients)} back)`,
            "≤ 60",
          ],
          // A negative figure means /proc could not be read at the end (this process out of open files).
          ["  … CPU during the storm: server / swarm processes (cores)", `${cores(f.storm.serverCores)} / ${cores(f.storm.swarmCores)}`, ""],
          [
            "  … connections the new server refused meanwhile",
            Object.entries(f.storm.refusals).map(([reason, n]) => `${fmt(n)}: ${reason}`).join("; ") || "none",
            "",
          ],
        ]
      : []),
  ];
  return ["| measure | value | target |", "| --- | ---: | --- |", ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

if (import.meta.main) {
  const quick = process.argv.includes("--quick");
  const env = process.env;
  const clients = Number(env["SWARM_N"] ?? (quick ? 200 : 10_000));
  const options: SwarmOptions = {
    clients,
    dialConcurrency: Number(env["SWARM_DIAL_CONCURRENCY"] ?? 128),
    idleSeconds: Number(env["SWARM_IDLE_S"] ?? (quick ? 5 : 10)),
    requestSeconds: Number(env["SWARM_REQUEST_S"] ?? 5),
    requests: Number(env["SWARM_REQUESTS"] ?? 2_000),
    requestConcurrency: Number(env["SWARM_REQUEST_CONCURRENCY"] ?? 16),
    sources: Math.max(1, Math.min(254, Number(env["SWARM_SOURCES"] ?? Math.ceil(clients / 20_000)))),
    restart: env["SWARM_RESTART"] === "term" ? "term" : env["SWARM_RESTART"] === "none" ? "none" : "kill",
    reconnectTimeoutSeconds: Number(env["SWARM_RECONNECT_TIMEOUT_S"] ?? 120),
    processes: Math.max(1, Math.min(64, Number(env["SWARM_PROCS"] ?? 1))),
  };
  ensureFdLimit(options.clients + 1024, 2 * options.clients + 1024);
  const loadBefore = (await Bun.file("/proc/loadavg").text()).trim();
  const figures = await runSwarm(options);
  const loadAfter = (await Bun.file("/proc/loadavg").text()).trim();
  console.log(`swarm: ${fmt(options.clients)} mTLS clients in ${options.processes === 1 ? "one process" : `${options.processes} processes`} → one rp-server (loopback; loadavg ${loadBefore} → ${loadAfter})`);
  console.log(renderSwarm(figures));
  process.exit(0);
}
