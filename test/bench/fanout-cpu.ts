/**
 * The JavaScript cost of a fan-out, without the kernel or TLS: the server's
 * fan-out route (fanoutHandler, a real Request and Response) over N pipes on
 * the in-memory transport pair, each answered by a client Pipe running the
 * benchmark's `time` handler through the dispatcher, all in this process.
 * Prints CPU µs per target of one fan-out (process.cpuUsage: both sides
 * together, steadier than wall time on a shared machine). Use it to compare
 * builds of the per-target path; bench:fanout gives the real figures over TLS.
 *
 *   bun test/bench/fanout-cpu.ts      (FANOUT_CPU_N=1000 FANOUT_CPU_REPS=200 FANOUT_CPU_ROUNDS=5)
 *
 * Bounded in count; in memory only.
 */
import { createDispatcher } from "../../src/dispatch/index.ts";
import { FanoutLimiter, type ClientDirectory, type FanoutTarget } from "../../src/fanout/index.ts";
import { fanoutHandler } from "../../src/http/index.ts";
import { Pipe } from "../../src/pipe/index.ts";
import { percentile } from "./_load.ts";
import { memoryPair } from "../support/index.ts";

const env = process.env;
const N = Number(env["FANOUT_CPU_N"] ?? 1_000);
const REPS = Number(env["FANOUT_CPU_REPS"] ?? 200);
const ROUNDS = Number(env["FANOUT_CPU_ROUNDS"] ?? 5);

const handlers = { get_time: () => ({ time: Date.now() / 1000 }) };

async function main(): Promise<void> {
  const targets: FanoutTarget[] = [];
  const pipes: Pipe[] = [];
  const dispatch = createDispatcher(handlers);
  for (let i = 0; i < N; i++) {
    const [ta, tb] = memoryPair();
    const name = `client-${String(i).padStart(5, "0")}`;
    const server = new Pipe(ta, { peer: { name, remoteAddress: `memory:${name}` }, onEvent: () => ({ code: 0, mimetype: "", data: new Uint8Array(0) }), heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0 });
    const client = new Pipe(tb, { peer: { name: "server", remoteAddress: "memory:server" }, onEvent: (event, context) => dispatch(event, context), heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0 });
    pipes.push(server, client);
    targets.push({ name, pipe: server });
  }
  const directory: ClientDirectory = { select: async () => ({ targets, matched: targets.length }) };
  const handle = fanoutHandler({ directory, limiter: new FanoutLimiter(64), maxFanout: 10_000, maxAnswerBytes: 64 * 1024 * 1024, maxBodyBytes: 1024 * 1024, requestTimeoutMs: 30_000 });
  const once = async () => {
    const response = await handle(new Request("http://127.0.0.1:8080/clients/*/time"));
    const answer = (await response.json()) as { answered: number };
    if (answer.answered !== N) throw new Error(`Cannot measure: ${answer.answered} of ${N} answered`);
  };
  for (let i = 0; i < 20; i++) await once(); // warm-up (JIT)
  const perTarget: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const before = process.cpuUsage();
    for (let i = 0; i < REPS; i++) await once();
    const used = process.cpuUsage(before);
    perTarget.push((used.user + used.system) / REPS / N);
  }
  const load = (await Bun.file("/proc/loadavg").text()).trim();
  console.log(`fanout-cpu: ${N} memory pipes, ${REPS} fan-outs × ${ROUNDS} rounds (loadavg ${load})`);
  console.log(`CPU µs per target (server + client side, JS only): median ${percentile(perTarget, 50).toFixed(2)}; rounds ${perTarget.map((x) => x.toFixed(2)).join(", ")}`);
  for (const pipe of pipes) pipe.close();
}

if (import.meta.main) {
  await main();
  process.exit(0);
}
