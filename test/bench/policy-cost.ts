/**
 * What a 50-rule policy and the audit log cost, in one run on loopback: two
 * real pairs of dist/rp-server and dist/rp-client side by side, one plain,
 * one with a 50-rule policy on the client (which judges the server's calls;
 * the matching rule is the last) and the audit log on in both processes.
 * wrk GETs /client/bench/time through the server front at c=64, the pairs
 * taking turns (BENCH_ROUNDS rounds of BENCH_DURATION_S each) so that
 * background load hits both alike; the medians are compared.
 *
 *   bun run build && bun test/bench/policy-cost.ts        (needs wrk)
 *   BENCH_ROUNDS=5 BENCH_DURATION_S=10 BENCH_CONNS=64 bun test/bench/policy-cost.ts
 *   BENCH_ONLY=policy (or audit, or none) bun test/bench/policy-cost.ts   (one part alone, or neither)
 *   BENCH_BASELINE_DIST=/tmp/main/dist bun test/bench/policy-cost.ts  (the plain pair on other binaries)
 */
import { stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { makeTestPki, NodeProcess, startClientProcess, startServerProcess } from "../support/index.ts";
import { findWrk, wrkLoad, type LoadResult } from "./_load.ts";
import { cpuSeconds } from "./_proc.ts";

const HANDLERS = resolve(import.meta.dir, "handlers.ts");
const CLIENT_CN = "bench";

/** 49 rules that do not match the benchmark's call, then the one that allows it; default deny. */
export function fiftyRules(): { default: string; rules: Array<Record<string, unknown>> } {
  const rules: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 49; i++) {
    rules.push(
      i % 3 === 0
        ? { cn: `edge-${i}-*`, verbs: ["POST", "PUT"], noun: `telemetry/${i}//*`, action: "allow" }
        : i % 3 === 1
          ? { cn: "*", verbs: ["DELETE"], handler: `delete_files_${i}*`, action: "deny" }
          : { cn: `other-${i}`, handler: "get_*", action: "deny" },
    );
  }
  rules.push({ cn: "localhost", verbs: ["GET"], handler: "get_time", action: "allow" });
  return { default: "deny", rules };
}

interface Pair {
  readonly name: string;
  readonly url: string;
  readonly pids: readonly number[];
}

async function stopProcess(proc: NodeProcess): Promise<void> {
  const timer = setTimeout(() => proc.signal("SIGKILL"), 5_000);
  await proc.stop();
  clearTimeout(timer);
}

async function startPair(
  name: string,
  dir: string,
  serverEnv: Record<string, string>,
  clientEnv: Record<string, string>,
  cleanups: Array<() => Promise<void>>,
  dist?: string,
): Promise<Pair> {
  const pki = await makeTestPki();
  cleanups.push(() => pki.cleanup());
  const launcher = (program: string) => (dist === undefined ? [] : [{ argv: [join(dist, program)] }]);
  const server = await startServerProcess(pki.server.dir, serverEnv, [], ...launcher("rp-server"));
  cleanups.push(() => stopProcess(server.proc));
  const identity = await pki.client(CLIENT_CN);
  const client = await startClientProcess(identity.dir, server.pipePort, { RP_EVENT_HANDLER: HANDLERS, ...clientEnv }, [], ...launcher("rp-client"));
  cleanups.push(() => stopProcess(client.proc));
  const url = `${server.http}/client/${CLIENT_CN}/time`;
  const first = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  if (first.status !== 200) throw new Error(`Cannot use the ${name} pair (${dir}): ${url} answered ${first.status} ${await first.text()}`);
  return { name, url, pids: [server.proc.pid, client.proc.pid] };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

if (import.meta.main) {
  const wrk = findWrk();
  if (!wrk) {
    console.error("Cannot run the policy benchmark: wrk is not installed (apt-get install wrk)");
    process.exit(2);
  }
  const seconds = Number(process.env["BENCH_DURATION_S"] ?? 5);
  const rounds = Number(process.env["BENCH_ROUNDS"] ?? 3);
  const connections = Number(process.env["BENCH_CONNS"] ?? 64);
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const work = await makeTestPki();
    cleanups.push(() => work.cleanup());
    const policyFile = join(work.dir, "rp-client.json");
    await writeFile(policyFile, JSON.stringify({ RP_CLIENT_POLICY: fiftyRules() }));
    const serverAudit = join(work.dir, "server-audit.log");
    const clientAudit = join(work.dir, "client-audit.log");
    // BENCH_BASELINE_DIST=<dir with rp-server and rp-client> runs the plain pair on other binaries (e.g. a build of main).
    const baseline = process.env["BENCH_BASELINE_DIST"];
    const plain = await startPair(baseline ? `plain (${baseline})` : "plain", work.dir, {}, {}, cleanups, baseline);
    // BENCH_ONLY=policy or =audit measures one part alone; =none neither (with BENCH_BASELINE_DIST: this build against another).
    const only = process.env["BENCH_ONLY"];
    const withPolicy = only === undefined || only === "policy" ? { RP_CLIENT_CONFIG: policyFile } : {};
    const withAudit = (file: string, role: "SERVER" | "CLIENT") => (only === undefined || only === "audit" ? { [`RP_${role}_AUDIT_LOG`]: file } : {});
    const guarded = await startPair(only === "none" ? "no policy, no audit" : only ? `${only} only` : "50 rules + audit", work.dir, withAudit(serverAudit, "SERVER"), { ...withPolicy, ...withAudit(clientAudit, "CLIENT") }, cleanups);
    const pairs = [plain, guarded];
    const results = new Map<string, { rates: number[]; cpu: number[]; errors: number; p99: number[] }>(pairs.map((p) => [p.name, { rates: [], cpu: [], errors: 0, p99: [] }]));
    for (const pair of pairs) await wrkLoad(wrk, pair.url, 16, 2); // warm-up
    for (let round = 0; round < rounds; round++) {
      for (const pair of round % 2 === 0 ? pairs : [...pairs].reverse()) {
        const cpu0 = pair.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
        const result: LoadResult = await wrkLoad(wrk, pair.url, connections, seconds);
        const cpu1 = pair.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
        const entry = results.get(pair.name)!;
        entry.rates.push(result.perSecond);
        entry.p99.push(result.p99Ms);
        entry.cpu.push(((cpu1 - cpu0) / Math.max(1, result.requests)) * 1e6);
        entry.errors += result.errors;
      }
    }
    const [a, b] = [results.get(plain.name)!, results.get(guarded.name)!];
    const cost = (1 - median(b.rates) / median(a.rates)) * 100;
    const loadavg = (await Bun.file("/proc/loadavg").text()).trim();
    console.log(`Policy + audit cost at c=${connections} (wrk, ${rounds} rounds × ${seconds} s per pair, interleaved; loadavg ${loadavg})`);
    console.log(`| measure | ${plain.name} | ${guarded.name} | cost |`);
    console.log("| --- | ---: | ---: | ---: |");
    console.log(`| req/s (median; rounds: ${a.rates.map(Math.round).join(", ")} vs ${b.rates.map(Math.round).join(", ")}) | ${Math.round(median(a.rates))} | ${Math.round(median(b.rates))} | ${cost.toFixed(1)} % |`);
    console.log(`| p99 ms (median) | ${median(a.p99).toFixed(2)} | ${median(b.p99).toFixed(2)} | |`);
    console.log(`| CPU µs/request, both processes (median) | ${median(a.cpu).toFixed(1)} | ${median(b.cpu).toFixed(1)} | ${(median(b.cpu) - median(a.cpu)).toFixed(1)} µs |`);
    console.log(`| errors | ${a.errors} | ${b.errors} | |`);
    const size = (file: string) => stat(file).then((s) => s.size, () => 0);
    console.log(`audit lines written: server ${await size(serverAudit)} bytes, client ${await size(clientAudit)} bytes`);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
}
