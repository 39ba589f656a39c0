/**
 * The fan-out's own cost, without sockets: N in-memory client pipes (both
 * ends in this process), `GET /clients/*\/time` through fanoutHandler, JSON
 * and NDJSON answers. What it prints (ms per fan-out, CPU µs per target) is
 * the runner, the cap, the entries and the answer document plus both pipes'
 * codec and correlation: compare builds in one run of each, on a quiet machine.
 * Bounded: FANOUT_REPS (100) fan-outs of each kind.
 *
 *   bun test/bench/fanout-memory.ts            N = FANOUT_N (1,000)
 *   FANOUT_MEMORY_PROFILE=1 bun --cpu-prof-md --cpu-prof-dir=/tmp/prof test/bench/fanout-memory.ts
 */
import { createDispatcher } from "../../src/dispatch/index.ts";
import { FanoutLimiter, RecentClients, RegistryDirectory } from "../../src/fanout/index.ts";
import { fanoutHandler } from "../../src/http/index.ts";
import { Pipe, PipeRegistry, systemClock } from "../../src/pipe/index.ts";
import { memoryPair } from "../support/memory-transport.ts";
import { percentile } from "./_load.ts";

const N = Number(process.env["FANOUT_N"] ?? 1_000);
const REPS = Number(process.env["FANOUT_REPS"] ?? 100);
const CONCURRENCY = Number(process.env["RP_SERVER_FANOUT_CONCURRENCY"] ?? 64);

/** The registry of N connected in-memory clients, each answering get_time. */
function swarm(): { registry: PipeRegistry; pipes: Pipe[] } {
  const registry = new PipeRegistry(systemClock);
  const pipes: Pipe[] = [];
  const quiet = { heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0 };
  for (let i = 0; i < N; i++) {
    const [serverSide, clientSide] = memoryPair();
    const name = `swarm-${i}`;
    const toClient = new Pipe(serverSide, { peer: { name, remoteAddress: `memory:${name}` }, onEvent: createDispatcher({}), ...quiet });
    const client = new Pipe(clientSide, {
      peer: { name: "server", remoteAddress: "memory:server" },
      onEvent: createDispatcher({ get_time: () => ({ time: Date.now() / 1000 }) }),
      ...quiet,
    });
    registry.add(toClient);
    pipes.push(toClient, client);
  }
  return { registry, pipes };
}

async function main(): Promise<void> {
  const { registry, pipes } = swarm();
  const handler = fanoutHandler({
    directory: new RegistryDirectory(registry, new RecentClients(10)),
    limiter: new FanoutLimiter(CONCURRENCY),
    maxFanout: 10_000,
    maxAnswerBytes: 64 << 20,
    maxBodyBytes: 1 << 20,
    requestTimeoutMs: 30_000,
  });
  const once = async (accept: string) => {
    const t0 = performance.now();
    const response = await handler(new Request("http://localhost/clients/*/time", { headers: { accept } }));
    const text = await response.text();
    if (accept === "application/json" && (JSON.parse(text) as { answered: number }).answered !== N) throw new Error(`Cannot measure: not all ${N} answered`);
    return performance.now() - t0;
  };
  for (let i = 0; i < 10; i++) await once("application/json"); // warm-up
  const rows: string[] = [];
  for (const accept of ["application/json", "application/x-ndjson"]) {
    const times: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < REPS; i++) times.push(await once(accept));
    const cpu = process.cpuUsage(cpu0);
    const perTarget = (cpu.user + cpu.system) / (REPS * N);
    rows.push(`| ${accept} | ${percentile(times, 50).toFixed(1)} / ${percentile(times, 99).toFixed(1)} | ${perTarget.toFixed(1)} |`);
  }
  const load = (await Bun.file("/proc/loadavg").text()).trim();
  console.log(`fan-out in memory: ${N} clients, cap ${CONCURRENCY}, ${REPS} fan-outs each (loadavg ${load})`);
  console.log(["| answer | ms p50 / p99 | CPU µs per target (both ends) |", "| --- | ---: | ---: |", ...rows].join("\n"));
  for (const pipe of pipes) pipe.close();
}

if (import.meta.main) await main();
