/**
 * Fan-out over a swarm: N mTLS client pipes in this process (the project's
 * dial loop and Pipe, as test/bench/swarm.ts) on one dist/rp-server, then
 *
 *   1. `GET /clients/*\/time`, FANOUT_REPS times one after another: p50/p99 of the complete answer;
 *   2. `GET /clients/*\/maybe?timeout=1s` with every tenth client never answering: the answer's time, and its 504s;
 *   3. single requests to random CNs by wrk (c=16, FANOUT_SINGLE_S = 3 seconds) with no fan-out, then while
 *      fan-outs to all N run back to back, FANOUT_SINGLE_ROUNDS (3) times in turn: median p99 during / median p99 idle.
 *
 *   bun run bench:fanout                 N = FANOUT_N (default 1,000)
 *   FANOUT_N=200 FANOUT_REPS=20 FANOUT_SINGLE_S=3 bun test/bench/fanout.ts
 *   RP_SERVER_FANOUT_CONCURRENCY=1000 bun test/bench/fanout.ts   (RP_SERVER_* pass through to the server)
 *   FANOUT_SERVER_PROFILE=/tmp/prof bun test/bench/fanout.ts      (the server from source under Bun's CPU profiler)
 *   FANOUT_PIN=1 bun test/bench/fanout.ts   (taskset: the server on CPU 0, this swarm process on CPU 1; what each side costs alone)
 *
 * The answer's Server-Timing header gives the server's phases per fan-out (last send, last reply, run, document).
 *
 * Loopback only; bounded in count and time; cleans up.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { DialLoop } from "../../src/client/index.ts";
import { loadClientConfig } from "../../src/config/index.ts";
import { createDispatcher } from "../../src/dispatch/index.ts";
import { Pipe } from "../../src/pipe/index.ts";
import { findWrk, percentile, wrkLoad, type LoadResult } from "./_load.ts";
import { binary } from "../support/index.ts";
import { cpuSeconds } from "./_proc.ts";
import { startSwarmClient } from "./_swarm-client.ts";
import { swarmPki, type SwarmPki } from "./_swarm-pki.ts";
import { ensureFdLimit, startSwarmServer } from "./swarm.ts";

const log = (line: string) => console.error(`fanout: ${line}`);
const env = process.env;
const N = Number(env["FANOUT_N"] ?? 1_000);
const REPS = Number(env["FANOUT_REPS"] ?? 50);
const SINGLE_S = Number(env["FANOUT_SINGLE_S"] ?? 3);
const SINGLE_ROUNDS = Number(env["FANOUT_SINGLE_ROUNDS"] ?? 3);
const SILENT_EVERY = 10;

/** Client i's handlers: `time` always answers; `maybe` never answers on every tenth client. */
function handlersFor(i: number) {
  return {
    get_time: () => ({ time: Date.now() / 1000 }),
    // A silent client stays silent even when the deadline aborts its handler (an answer then could still beat the server's timer).
    get_maybe: () => (i % SILENT_EVERY === 0 ? new Promise(() => {}) : { i }),
  };
}

function dial(i: number, pki: SwarmPki, port: number, loops: DialLoop[], pipes: Pipe[]): Promise<void> {
  const config = loadClientConfig({ env: {}, flags: {} });
  const { loop, connected } = startSwarmClient({ pki, i, targets: [{ host: "127.0.0.1", port }], config, dispatcher: createDispatcher(handlersFor(i)), pipes, timeoutS: 60 });
  loops.push(loop);
  return connected;
}

interface Answer {
  readonly matched: number;
  readonly answered: number;
  readonly results: Record<string, { readonly status: number }>;
}

/** The server's phases of one fan-out (its Server-Timing header), in ms. */
type Phases = Record<string, number>;

/** `a;dur=1.5, b;dur=2` → { a: 1.5, b: 2 }. */
function parsePhases(header: string | null): Phases {
  const phases: Phases = {};
  for (const part of (header ?? "").split(",")) {
    const [name, dur] = part.trim().split(";dur=");
    if (name && dur !== undefined) phases[name] = Number(dur);
  }
  return phases;
}

/** One fan-out: its time, its answer and the server's phases. */
async function fanout(http: string, path: string): Promise<{ ms: number; answer: Answer; phases: Phases }> {
  const t0 = performance.now();
  const response = await fetch(`${http}${path}`, { signal: AbortSignal.timeout(30_000) });
  const answer = (await response.json()) as Answer;
  return { ms: performance.now() - t0, answer, phases: parsePhases(response.headers.get("server-timing")) };
}

/** The server's phases, in the order they happen. */
const PHASES = ["select", "send", "reply", "run", "answer"];

const fmt = (x: number, digits = 1) => x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main(): Promise<void> {
  const wrk = findWrk();
  if (!wrk) throw new Error("Cannot run the single-request part: wrk is not installed (Debian: apt-get install wrk)");
  ensureFdLimit(N + 1024);
  const pki = await swarmPki(N, log);
  const dir = await mkdtemp(join(tmpdir(), "restpipe-fanout-bench-"));
  const loops: DialLoop[] = [];
  const pipes: Pipe[] = [];
  // The server's own settings pass through (e.g. RP_SERVER_FANOUT_CONCURRENCY=1000 to compare caps); otherwise its defaults.
  const serverEnv = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[0].startsWith("RP_SERVER_") && e[1] !== undefined));
  // FANOUT_SERVER_PROFILE=<dir>: the server runs from source under Bun's CPU profiler (a markdown profile in <dir> when it stops).
  const profile = env["FANOUT_SERVER_PROFILE"];
  let command = profile ? [process.execPath, "--cpu-prof-md", `--cpu-prof-dir=${profile}`, resolve(import.meta.dir, "../../src/cli/rp-server.ts")] : undefined;
  // FANOUT_PIN=1: server and swarm on a core each, so that neither's cost lands on the other's wall time.
  const pin = env["FANOUT_PIN"] === "1";
  if (pin) {
    command = ["taskset", "-c", "0", ...(command ?? [binary("rp-server")])];
    Bun.spawnSync(["taskset", "-a", "-p", "-c", "1", String(process.pid)], { stdout: "ignore" });
  }
  const server = await startSwarmServer(dir, pki, N + 1024, serverEnv, ...(command ? [command] : []));
  try {
    log(`connecting ${N} clients`);
    let next = 0;
    const worker = async () => {
      while (next < N) await dial(next++, pki, server.port, loops, pipes);
    };
    await Promise.all(Array.from({ length: Math.min(128, N) }, worker));
    await Bun.sleep(2_000);

    log(`${REPS} fan-outs to all ${N}`);
    const times: number[] = [];
    const phases: Phases[] = [];
    let incomplete = 0;
    // CPU per fan-out, of the server and of this process (the swarm): steadier than wall time on a shared machine.
    const cpu0 = { server: cpuSeconds(server.proc.pid), swarm: process.cpuUsage() };
    for (let i = 0; i < REPS; i++) {
      const { ms, answer, phases: seen } = await fanout(server.http, "/clients/*/time");
      times.push(ms);
      phases.push(seen);
      if (answer.matched !== N || answer.answered !== N) incomplete++;
    }
    const swarmCpu = process.cpuUsage(cpu0.swarm);
    const cpuMs = { server: ((cpuSeconds(server.proc.pid) - cpu0.server) * 1000) / REPS, swarm: (swarmCpu.user + swarmCpu.system) / 1000 / REPS };

    log(`fan-outs with 1 in ${SILENT_EVERY} silent, timeout=1s`);
    const partial: Array<{ ms: number; timeouts: number; answered: number }> = [];
    for (let i = 0; i < 3; i++) {
      const { ms, answer } = await fanout(server.http, "/clients/*/maybe?timeout=1s");
      partial.push({ ms, timeouts: Object.values(answer.results).filter((entry) => entry.status === 504).length, answered: answer.answered });
    }

    const random = resolve(import.meta.dir, "swarm-random.lua");
    // Idle and busy phases alternate, FANOUT_SINGLE_ROUNDS times: the machine's other load then hits both alike (medians compared).
    const idleRuns: LoadResult[] = [];
    const busyRuns: LoadResult[] = [];
    let during = 0;
    for (let round = 0; round < SINGLE_ROUNDS; round++) {
      log(`round ${round + 1}/${SINGLE_ROUNDS}: single requests idle, then during back-to-back fan-outs to all ${N} (wrk c=16 ${SINGLE_S} s each)`);
      idleRuns.push(await wrkLoad(wrk, `${server.http}/`, 16, SINGLE_S, random, { SWARM_N: String(N) }));
      let running = true;
      const loop = (async () => {
        while (running) {
          await fanout(server.http, "/clients/*/time");
          during++;
        }
      })();
      busyRuns.push(await wrkLoad(wrk, `${server.http}/`, 16, SINGLE_S, random, { SWARM_N: String(N) }));
      running = false;
      await loop;
    }
    const mid = (runs: LoadResult[], pick: (run: LoadResult) => number) => percentile(runs.map(pick), 50);
    const idle = { p50Ms: mid(idleRuns, (r) => r.p50Ms), p99Ms: mid(idleRuns, (r) => r.p99Ms), perSecond: mid(idleRuns, (r) => r.perSecond) };
    const busy = { p50Ms: mid(busyRuns, (r) => r.p50Ms), p99Ms: mid(busyRuns, (r) => r.p99Ms), perSecond: mid(busyRuns, (r) => r.perSecond), errors: busyRuns.reduce((n, r) => n + r.errors, 0) };
    const ratios = idleRuns.map((r, i) => fmt(busyRuns[i]!.p99Ms / r.p99Ms, 2)).join(", ");

    const expected = Math.ceil(N / SILENT_EVERY);
    const rows = [
      [`GET /clients/*/time over ${N} clients, ${REPS} runs: p50 / p99 (ms)`, `${fmt(percentile(times, 50))} / ${fmt(percentile(times, 99))}`, "p50 ≤ 50, p99 ≤ 150"],
      [
        `  … server phases, p50 / p99 (ms): ${PHASES.join(", ")} (send, reply, run: since the run began)`,
        PHASES.map((name) => `${fmt(percentile(phases.map((p) => p[name] ?? NaN), 50))} / ${fmt(percentile(phases.map((p) => p[name] ?? NaN), 99))}`).join(", "),
        "",
      ],
      ["  … answers not complete (matched or answered ≠ N)", String(incomplete), "0"],
      ["  … CPU ms per fan-out: server / swarm (this process)", `${fmt(cpuMs.server)} / ${fmt(cpuMs.swarm)}`, ""],
      [`GET /clients/*/maybe?timeout=1s, ${expected} silent: answer time (ms), 3 runs`, partial.map((p) => fmt(p.ms, 0)).join(", "), "≤ 1100"],
      ["  … 504s / answered", partial.map((p) => `${p.timeouts} / ${p.answered}`).join(", "), `${expected} / ${N - expected}`],
      [`single requests (wrk c=16, ${SINGLE_ROUNDS} × ${SINGLE_S} s) idle: p50 / p99 (ms), req/s (medians)`, `${fmt(idle.p50Ms, 2)} / ${fmt(idle.p99Ms, 2)}, ${fmt(idle.perSecond, 0)}`, ""],
      [`  … during ${during} fan-outs to all: p50 / p99 (ms), req/s (medians), errors`, `${fmt(busy.p50Ms, 2)} / ${fmt(busy.p99Ms, 2)}, ${fmt(busy.perSecond, 0)}, ${busy.errors}`, ""],
      [`  … p99 during / p99 idle (medians; each round: ${ratios})`, fmt(busy.p99Ms / idle.p99Ms, 2), "≤ 2"],
    ];
    const load = (await Bun.file("/proc/loadavg").text()).trim();
    const settings = (Object.entries(serverEnv).map(([k, v]) => `${k}=${v}`).join(" ") || "defaults") + (pin ? "; server on CPU 0, swarm on CPU 1" : "");
    console.log(`fanout: ${N} mTLS clients in one process → one rp-server (${settings}; loopback; loadavg ${load})`);
    console.log(["| measure | value | target |", "| --- | ---: | --- |", ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n"));
  } finally {
    for (const loop of loops) loop.stop();
    for (const pipe of pipes) pipe.close();
    const timer = setTimeout(() => server.proc.signal("SIGKILL"), 15_000);
    await server.proc.stop();
    clearTimeout(timer);
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  await main();
  process.exit(0);
}
