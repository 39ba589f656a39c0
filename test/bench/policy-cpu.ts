/**
 * What the 50-rule policy and the audit log add to one request, measured
 * finely enough to judge a 3 % target (well under 1 µs): the real node code
 * in this one process (the server's front, eventHandler with real Request
 * and Response objects and NodeObserver's `out` line; two Pipes over the
 * in-memory transport pair; the answering side's dispatcher behind the
 * event guard, which always runs), in five rigs built once and kept:
 *
 *   plain A, plain B  no policy, no audit log (B is the control: B − A must come out ~0)
 *   policy            the 50-rule policy of policy-cost.ts on the answering side (the client)
 *   policy + in       and the answering side's audit log (the guard's `in` line)
 *   policy + in + out and the calling side's audit log too (the front's `out` line): policy-cost.ts's "50 rules + audit"
 *
 * Audit lines go to real files (their writes' system time counts: each run
 * ends when its lines are written). Many short runs, the rigs taking turns
 * in an order shuffled each round; each round's cost is a rig's CPU per
 * request minus the mean of that round's two plain runs, and the median
 * over rounds is shown with a 95 % confidence interval of the median (from
 * the ranks, no assumption about the distribution). CPU is read two ways:
 * the main thread's own (clock_gettime(CLOCK_THREAD_CPUTIME_ID) through
 * bun:ffi: the JavaScript and the syscalls it makes, without the JIT's and
 * the collector's helper threads, so far steadier) and the whole process's
 * (process.cpuUsage). The difference between rigs is split by side: the
 * calling side (the server in policy-cost.ts) adds the `out` line; the
 * answering side (the client) the policy and the `in` line.
 *
 *   bun test/bench/policy-cpu.ts        (BENCH_REQUESTS=4000 per run, BENCH_ROUNDS=60)
 *   BENCH_JSON=1 bun test/bench/policy-cpu.ts   (one JSON line at the end: what policy-cost.ts reads)
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog } from "../../src/audit/index.ts";
import { createDispatcher } from "../../src/dispatch/index.ts";
import { eventHandler } from "../../src/http/index.ts";
import { silentLogger } from "../../src/log/index.ts";
import { guardDispatcher, NodeObserver, policyHandlerName } from "../../src/node/index.ts";
import { openAppendFile } from "../../src/platform/index.ts";
import { Pipe } from "../../src/pipe/index.ts";
import { ALLOW_ALL, compilePolicy, parsePolicy } from "../../src/policy/index.ts";
import { memoryPair } from "../support/index.ts";
import * as handlers from "./handlers.ts";
import { fiftyRules } from "./policy-cost.ts";

/** Requests in flight, as wrk's c=64. */
const IN_FLIGHT = 64;

/** A rig's configuration. */
interface Setup {
  readonly name: string;
  readonly policy: boolean;
  readonly inLine: boolean;
  readonly outLine: boolean;
}
export const SETUPS: readonly Setup[] = [
  { name: "plain A", policy: false, inLine: false, outLine: false },
  { name: "policy", policy: true, inLine: false, outLine: false },
  { name: "policy + in", policy: true, inLine: true, outLine: false },
  { name: "policy + in + out", policy: true, inLine: true, outLine: true },
  { name: "plain B", policy: false, inLine: false, outLine: false },
];

/** A front, two pipes and a guarded dispatcher, kept for every run of one setup. */
interface Rig {
  readonly setup: Setup;
  run(requests: number): Promise<void>;
  close(): Promise<void>;
}

export async function makeRig(setup: Setup, dir: string, index: number): Promise<Rig> {
  const [ta, tb] = memoryPair();
  const policy = compilePolicy(setup.policy ? parsePolicy(fiftyRules()) : ALLOW_ALL, policyHandlerName);
  const audit = async (on: boolean, side: string) =>
    on ? new AuditLog({ sink: await openAppendFile(join(dir, `${index}-${side}-audit.log`)), log: silentLogger, maxQueueBytes: 64 << 20, showArgs: false }) : undefined;
  const inAudit = await audit(setup.inLine, "client");
  const observer = new NodeObserver({ role: "server", version: "bench" });
  observer.audit = await audit(setup.outLine, "server");
  const dispatch = guardDispatcher(createDispatcher(handlers), { policy: () => policy, audit: inAudit });
  const caller = new Pipe(ta, { peer: { name: "bench", remoteAddress: "memory:bench" }, onEvent: () => ({ code: 0 }), heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0 });
  const answerer = new Pipe(tb, { peer: { name: "localhost", remoteAddress: "memory:server" }, onEvent: (event, context) => dispatch(event, context), heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0 });
  const front = eventHandler({
    role: "server",
    acquire: async () => caller,
    maxBodyBytes: 16 * 1024 * 1024,
    requestTimeoutMs: 30_000,
    onSent: observer.sent,
    ...(observer.audit ? { onAnswered: observer.answered } : {}),
  });
  const url = "http://127.0.0.1:8080/client/bench/time";
  return {
    setup,
    async run(requests) {
      let left = requests;
      const worker = async () => {
        while (left-- > 0) {
          const response = await front(new Request(url));
          if (response.status !== 200) throw new Error(`Cannot measure ${setup.name}: the front answered ${response.status} ${await response.text()}`);
          await response.arrayBuffer();
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
      await Promise.all([inAudit?.flushed(), observer.audit?.flushed()]); // the lines' writes are part of the cost
    },
    async close() {
      await Promise.all([inAudit?.close(), observer.audit?.close()]);
      caller.close();
      answerer.close();
      observer.close();
    },
  };
}

/** CPU µs the calling thread has used (CLOCK_THREAD_CPUTIME_ID), or undefined where bun:ffi cannot reach libc. */
function threadClock(): (() => number) | undefined {
  try {
    const libc = dlopen("libc.so.6", { clock_gettime: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 } });
    const spec = new BigInt64Array(2);
    const at = ptr(spec);
    const CLOCK_THREAD_CPUTIME_ID = 3;
    return () => {
      libc.symbols.clock_gettime(CLOCK_THREAD_CPUTIME_ID, at);
      return Number(spec[0]) * 1e6 + Number(spec[1]) / 1e3;
    };
  } catch {
    return undefined;
  }
}

/** A small seeded generator of numbers in [0, 1). */
function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** 0 … n−1 in a random order (Fisher–Yates). */
function shuffled(n: number, random: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

const processClock = () => {
  const used = process.cpuUsage();
  return used.user + used.system;
};

/** The median of `values` and a 95 % confidence interval of it, from the ranks (distribution-free). */
export function medianWithInterval(values: readonly number[]): { median: number; low: number; high: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mid = Math.floor(n / 2);
  const median = n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const half = 0.98 * Math.sqrt(n); // 1.96 · √n / 2
  return { median, low: sorted[Math.max(0, Math.floor(n / 2 - half))]!, high: sorted[Math.min(n - 1, Math.ceil(n / 2 + half))]! };
}

/** One estimate: µs per request, median with its interval. */
export interface Estimate {
  readonly median: number;
  readonly low: number;
  readonly high: number;
}

/** What policy-cost.ts reads (BENCH_JSON=1): extra CPU µs per request by side, main thread and whole process. */
export interface GuardCost {
  readonly rounds: number;
  readonly requestsPerRun: number;
  readonly loadavg: string;
  /** µs per request of the plain rig in this process (not a real pair's: no TLS, no kernel sockets). */
  readonly plain: Record<"thread" | "process", Estimate>;
  /** Extra µs per request against plain, by piece and clock. */
  readonly extra: Record<"control" | "policy" | "inLine" | "outLine" | "answering" | "total", Record<"thread" | "process", Estimate>>;
}

/**
 * When a run collects: "none" (the collector runs when it will: a run may pay for the one before), "before"
 * (a full collection before each run, outside it), "inside" (one at the end of each run, inside it: each run
 * pays for its own garbage, plus a fixed cost that cancels in the differences).
 */
export type GcMode = "none" | "before" | "inside";

export async function measureGuardCost(requests: number, rounds: number, gc: GcMode = "inside"): Promise<GuardCost> {
  const dir = await mkdtemp(join(tmpdir(), "rp-policy-cpu-"));
  const rigs: Rig[] = [];
  try {
    for (const [i, setup] of SETUPS.entries()) rigs.push(await makeRig(setup, dir, i));
    const clocks = { thread: threadClock() ?? processClock, process: processClock };
    for (let i = 0; i < 3; i++) for (const rig of rigs) await rig.run(requests); // warm-up: the JIT compiles every path
    // cpu[clock][rig][round]: µs per request.
    const cpu = { thread: rigs.map(() => [] as number[]), process: rigs.map(() => [] as number[]) };
    // A fresh random order each round (seeded: runs are repeatable): rotating one order kept each rig always after the same
    // other, so what a run leaves behind (the helper threads' work, the heap) landed on the same rig every round.
    const random = xorshift(0x9e3779b9);
    for (let round = 0; round < rounds; round++) {
      const order = shuffled(rigs.length, random);
      for (const r of order) {
        if (gc === "before") Bun.gc(true);
        const [t0, p0] = [clocks.thread(), clocks.process()];
        await rigs[r]!.run(requests);
        if (gc === "inside") Bun.gc(true);
        const [t1, p1] = [clocks.thread(), clocks.process()];
        cpu.thread[r]!.push((t1 - t0) / requests);
        cpu.process[r]!.push((p1 - p0) / requests);
      }
    }
    const [plainA, policy, policyIn, all, plainB] = [0, 1, 2, 3, 4];
    const estimate = (fn: (of: (rig: number) => number) => number) => {
      const per = (clock: "thread" | "process") => medianWithInterval(Array.from({ length: rounds }, (_, round) => fn((rig) => cpu[clock][rig]![round]!)));
      return { thread: per("thread"), process: per("process") };
    };
    const plain = (of: (rig: number) => number) => (of(plainA) + of(plainB)) / 2;
    return {
      rounds,
      requestsPerRun: requests,
      loadavg: (await Bun.file("/proc/loadavg").text()).trim(),
      plain: estimate(plain),
      extra: {
        control: estimate((of) => of(plainB) - of(plainA)),
        policy: estimate((of) => of(policy) - plain(of)),
        inLine: estimate((of) => of(policyIn) - of(policy)),
        outLine: estimate((of) => of(all) - of(policyIn)),
        answering: estimate((of) => of(policyIn) - plain(of)),
        total: estimate((of) => of(all) - plain(of)),
      },
    };
  } finally {
    for (const rig of rigs) await rig.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const show = (e: Estimate) => `${e.median.toFixed(2)} (${e.low.toFixed(2)}…${e.high.toFixed(2)})`;

if (import.meta.main) {
  const requests = Number(process.env["BENCH_REQUESTS"] ?? 4_000);
  const rounds = Number(process.env["BENCH_ROUNDS"] ?? 60);
  const cost = await measureGuardCost(requests, rounds, (process.env["BENCH_GC"] ?? "inside") as GcMode);
  if (process.env["BENCH_JSON"] === "1") {
    console.log(JSON.stringify(cost));
  } else {
    console.log(`Policy and audit CPU per request, in one process (front + 2 pipes in memory, c=${IN_FLIGHT}; ${rounds} rounds × ${requests} requests per rig, order shuffled each round; loadavg ${cost.loadavg})`);
    console.log(`plain: main thread ${show(cost.plain.thread)} µs/request, process ${show(cost.plain.process)}`);
    console.log("| extra µs/request, median (95 % interval) | main thread | whole process |");
    console.log("| --- | ---: | ---: |");
    const rows: Array<[string, keyof GuardCost["extra"]]> = [
      ["control: plain B − plain A (should be ~0)", "control"],
      ["50-rule policy (answering side)", "policy"],
      ["audit `in` line (answering side)", "inLine"],
      ["audit `out` line (calling side)", "outLine"],
      ["answering side: policy + `in` line", "answering"],
      ["policy + audit, both sides", "total"],
    ];
    for (const [label, key] of rows) console.log(`| ${label} | ${show(cost.extra[key].thread)} | ${show(cost.extra[key].process)} |`);
  }
}
