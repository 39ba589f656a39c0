/**
 * What a 50-rule policy and the audit log cost, on loopback: real pairs of
 * dist/rp-server and dist/rp-client side by side, each pair one
 * configuration: plain; a 50-rule policy on the client (which judges the
 * server's calls; the matching rule is the last); the policy and the audit
 * log on in both processes; and a second plain pair, identical to the first,
 * whose difference from it is the benchmark's own spread. wrk GETs
 * /client/bench/time through each server front at c=64, the pairs taking
 * turns (A B C D, then B C D A, …: BENCH_ROUNDS rounds of BENCH_DURATION_S
 * each) so that background load hits all alike.
 *
 * Beside req/s it reads each process's CPU time from /proc before and after
 * each run: CPU µs per request is what the cost is judged on, since on a
 * shared machine req/s swings with what else runs while the work a request
 * costs does not (when the pair saturates the cores, req/s ∝ 1 / CPU per
 * request). Costs are taken round by round against the plain pairs of the
 * same round (their mean), then the median over rounds is shown with the
 * range; the spread row is plain B against plain A the same way.
 *
 *   bun run build && bun test/bench/policy-cost.ts        (needs wrk)
 *   BENCH_ROUNDS=7 BENCH_DURATION_S=5 BENCH_CONNS=64 bun test/bench/policy-cost.ts
 *   BENCH_CONFIGS=plain,audit,plain bun test/bench/policy-cost.ts   (any of plain, policy, audit, both; repeat plain for the spread)
 *   BENCH_CONFIGS=plain,both,floor,floor-audit bun test/bench/policy-cost.ts   (floor: the floor relay pair, floor-relay.ts;
 *     floor-audit: the same writing the least costly audit line of the same fields in both processes, _floor-audit.ts;
 *     floor-encode: encoding those lines, never writing them; the floor kinds' costs are taken against the floor
 *     pairs: what any audit line costs on this runtime, beside what ours costs; floor kinds' @DIR holds floor-relay)
 *   BENCH_CONFIGS=plain,both,both@/tmp/old/dist,plain bun test/bench/policy-cost.ts   (KIND@DIR: that pair on the binaries in DIR: a before/after in one run)
 *   BENCH_TOGETHER=1 bun test/bench/policy-cost.ts   (each round loads every pair at once, each with its own wrk at c=BENCH_CONNS:
 *     all meet the same background load at the same instants; the ratios are then far steadier on a busy machine)
 *   BENCH_BASELINE_DIST=/tmp/main/dist bun test/bench/policy-cost.ts  (every pair but the plain ones on dist/, the plain ones on other binaries)
 *   BENCH_GUARDED_DIST=/tmp/old/dist bun test/bench/policy-cost.ts    (the policy/audit pairs on other binaries: a before/after)
 *
 * The direct difference between pairs cannot resolve a few percent on a
 * shared machine (its identical-pairs spread is wider than that), so the
 * cost is also computed the precise way: the extra CPU µs per request that
 * policy-cpu.ts measures in one process on the real node code (this source
 * tree, not the binaries of KIND@DIR; BENCH_PRECISE_ROUNDS rounds, 0 to
 * skip), divided by the CPU µs per request of the plain pairs here (both
 * processes, median over rounds), against the 3 % target.
 */
import { stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { makeTestPki, NodeProcess, startClientProcess, startServerProcess } from "../support/index.ts";
import { findWrk, wrkLoad, type LoadResult } from "./_load.ts";
import { startFloorPair, type FloorAuditing } from "./_floor-pair.ts";
import { cpuSeconds } from "./_proc.ts";
import type { Estimate, GuardCost } from "./policy-cpu.ts";

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

/** The configurations a pair can run. */
export type Kind = "plain" | "policy" | "audit" | "both" | "floor" | "floor-audit" | "floor-encode";
const KINDS: readonly Kind[] = ["plain", "policy", "audit", "both", "floor", "floor-audit", "floor-encode"];
const LABEL: Record<Kind, string> = {
  plain: "plain",
  policy: "50 rules",
  audit: "audit",
  both: "50 rules + audit",
  floor: "floor",
  "floor-audit": "floor + audit lines",
  "floor-encode": "floor + audit lines encoded, not written",
};
/** The pairs a kind's cost is taken against: RestPipe's against the plain pairs, the floor's against the floor pairs. */
const BASE: Record<Kind, "plain" | "floor"> = { plain: "plain", policy: "plain", audit: "plain", both: "plain", floor: "floor", "floor-audit": "floor", "floor-encode": "floor" };
const FLOOR_AUDITING: Partial<Record<Kind, FloorAuditing>> = { floor: "none", "floor-audit": "write", "floor-encode": "encode" };

export interface Pair {
  readonly name: string;
  readonly kind: Kind;
  readonly url: string;
  readonly server: number;
  readonly client: number;
  readonly audits: readonly string[];
}

interface Runs {
  rates: number[];
  p99: number[];
  /** CPU µs per request per round: server, client, both. */
  server: number[];
  client: number[];
  total: number[];
  errors: number;
}

async function stopProcess(proc: NodeProcess): Promise<void> {
  const timer = setTimeout(() => proc.signal("SIGKILL"), 5_000);
  await proc.stop();
  clearTimeout(timer);
}

export async function startPair(
  name: string,
  kind: Kind,
  dir: string,
  policyFile: string,
  cleanups: Array<() => Promise<void>>,
  dist: string | undefined,
): Promise<Pair> {
  const file = name.replace(/[^A-Za-z0-9]+/g, "-");
  const auditing = FLOOR_AUDITING[kind];
  if (auditing !== undefined) {
    const floor = await startFloorPair(dir, file, auditing, dist);
    cleanups.push(() => floor.stop());
    return { name, kind, url: floor.url, server: floor.server, client: floor.client, audits: floor.audits };
  }
  const pki = await makeTestPki();
  cleanups.push(() => pki.cleanup());
  const audits = kind === "audit" || kind === "both" ? [join(dir, `${file}-server-audit.log`), join(dir, `${file}-client-audit.log`)] : [];
  const serverEnv = audits.length ? { RP_SERVER_AUDIT_LOG: audits[0]! } : {};
  const clientEnv: Record<string, string> = { RP_EVENT_HANDLER: HANDLERS };
  if (audits.length) clientEnv["RP_CLIENT_AUDIT_LOG"] = audits[1]!;
  if (kind === "policy" || kind === "both") clientEnv["RP_CLIENT_CONFIG"] = policyFile;
  const launcher = (program: string) => (dist === undefined ? [] : [{ argv: [join(dist, program)] }]);
  const server = await startServerProcess(pki.server.dir, serverEnv, [], ...launcher("rp-server"));
  cleanups.push(() => stopProcess(server.proc));
  const identity = await pki.client(CLIENT_CN);
  const client = await startClientProcess(identity.dir, server.pipePort, clientEnv, [], ...launcher("rp-client"));
  cleanups.push(() => stopProcess(client.proc));
  const url = `${server.http}/client/${CLIENT_CN}/time`;
  const first = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  if (first.status !== 200) throw new Error(`Cannot use the ${name} pair (${dir}): ${url} answered ${first.status} ${await first.text()}`);
  return { name, kind, url, server: server.proc.pid, client: client.proc.pid, audits };
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const range = (values: readonly number[], digits: number) => `${Math.min(...values).toFixed(digits)}…${Math.max(...values).toFixed(digits)}`;
const percent = (values: readonly number[]) => `${median(values).toFixed(1)} % (${range(values, 1)})`;

/** The cost target of issue #19: a 50-rule policy and the audit log add at most this share to the plain pair's CPU per request. */
export const COST_TARGET_PERCENT = 3;

/** policy-cpu.ts's measurement, run in a process of its own (after the pairs' load: nothing else of ours runs meanwhile). */
async function preciseExtra(rounds: number): Promise<GuardCost> {
  const child = Bun.spawn([process.execPath, resolve(import.meta.dir, "policy-cpu.ts")], { env: { ...process.env, BENCH_JSON: "1", BENCH_ROUNDS: String(rounds) }, stdout: "pipe", stderr: "inherit" });
  const out = await new Response(child.stdout).text();
  if ((await child.exited) !== 0) throw new Error(`Cannot measure the precise cost: policy-cpu.ts exited with ${child.exitCode}`);
  return JSON.parse(out.trim().split("\n").at(-1)!) as GuardCost;
}

/** The report: extra µs per request (one process, precise) over the plain pair's CPU µs per request (real binaries), against the target. */
export function preciseCost(cost: GuardCost, plainCpu: number, connections: number): string {
  const share = (e: Estimate) => `${((e.median / plainCpu) * 100).toFixed(2)} % (${((e.low / plainCpu) * 100).toFixed(2)}…${((e.high / plainCpu) * 100).toFixed(2)})`;
  const us = (e: Estimate) => `${e.median.toFixed(2)} µs (${e.low.toFixed(2)}…${e.high.toFixed(2)})`;
  const { extra } = cost;
  const judged = extra.total.process;
  const verdict = judged.high <= (COST_TARGET_PERCENT / 100) * plainCpu ? "met, interval included" : judged.median <= (COST_TARGET_PERCENT / 100) * plainCpu ? "met by the median, not by the whole interval" : "NOT met";
  return [
    `Precise cost (policy-cpu.ts: the real node code in one process, ${cost.rounds} shuffled rounds × ${cost.requestsPerRun} requests per rig; loadavg ${cost.loadavg}),`,
    `over the plain pairs' ${plainCpu.toFixed(1)} CPU µs/request (both processes, c=${connections}, median over rounds); medians with 95 % intervals:`,
    "| extra per request | main thread | whole process | share of the plain pair (process) |",
    "| --- | ---: | ---: | ---: |",
    `| 50-rule policy (client) | ${us(extra.policy.thread)} | ${us(extra.policy.process)} | ${share(extra.policy.process)} |`,
    `| audit \`in\` line (client) | ${us(extra.inLine.thread)} | ${us(extra.inLine.process)} | ${share(extra.inLine.process)} |`,
    `| audit \`out\` line (server) | ${us(extra.outLine.thread)} | ${us(extra.outLine.process)} | ${share(extra.outLine.process)} |`,
    `| 50 rules + audit, both sides | ${us(extra.total.thread)} | ${us(extra.total.process)} | ${share(extra.total.process)} |`,
    `| control: plain B − plain A | ${us(extra.control.thread)} | ${us(extra.control.process)} | ${share(extra.control.process)} |`,
    `cost target ≤ ${COST_TARGET_PERCENT} % (50 rules + audit, whole process): ${share(judged)}: ${verdict}`,
  ].join("\n");
}

/** The configurations to run, from BENCH_CONFIGS (default plain, policy, both, plain: the second plain for the spread); `KIND@DIR` runs on DIR's binaries. */
function configs(): Array<{ kind: Kind; dist: string | undefined }> {
  const list = (process.env["BENCH_CONFIGS"] ?? "plain,policy,both,plain").split(",").map((item) => {
    const [kind, dist] = item.trim().split("@") as [Kind, string | undefined];
    return { kind, dist };
  });
  const bad = list.find(({ kind }) => !KINDS.includes(kind));
  if (bad !== undefined) throw new Error(`Cannot run BENCH_CONFIGS=${process.env["BENCH_CONFIGS"]}: unknown ${JSON.stringify(bad.kind)}; use ${KINDS.join(", ")} (optionally @DIR)`);
  return list;
}

/** wrk's path; without it the benchmark stops here, saying so. */
export function wrkOrExit(benchmark: string): string {
  const wrk = findWrk();
  if (wrk) return wrk;
  console.error(`Cannot run the ${benchmark}: wrk is not installed (apt-get install wrk)`);
  process.exit(2);
}

/** The run's scratch PKI directory (pairs' audit files go there) and the 50-rule client policy file in it; `cleanups` removes them. */
export async function policyWorkspace(cleanups: Array<() => Promise<void>>): Promise<{ dir: string; policyFile: string }> {
  const work = await makeTestPki();
  cleanups.push(() => work.cleanup());
  const policyFile = join(work.dir, "rp-client.json");
  await writeFile(policyFile, JSON.stringify({ RP_CLIENT_POLICY: fiftyRules() }));
  return { dir: work.dir, policyFile };
}

if (import.meta.main) {
  const wrk = wrkOrExit("policy benchmark");
  const seconds = Number(process.env["BENCH_DURATION_S"] ?? 5);
  const rounds = Number(process.env["BENCH_ROUNDS"] ?? 5);
  const connections = Number(process.env["BENCH_CONNS"] ?? 64);
  const together = process.env["BENCH_TOGETHER"] === "1";
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const work = await policyWorkspace(cleanups);
    const baseline = process.env["BENCH_BASELINE_DIST"];
    const guardedDist = process.env["BENCH_GUARDED_DIST"];
    const pairs: Pair[] = [];
    const list = configs();
    const seen = new Map<Kind, number>();
    for (const { kind, dist: own } of list) {
      const n = (seen.get(kind) ?? 0) + 1;
      seen.set(kind, n);
      // BENCH_BASELINE_DIST and BENCH_GUARDED_DIST name rp-server/rp-client builds: a floor pair takes only its own @DIR.
      const dist = own ?? (FLOOR_AUDITING[kind] !== undefined ? undefined : kind === "plain" ? baseline : guardedDist);
      const twins = list.filter((k) => k.kind === kind).length > 1;
      const name = `${LABEL[kind]}${twins ? ` ${String.fromCharCode(64 + n)}` : ""}${dist ? ` (${dist})` : ""}`;
      pairs.push(await startPair(name, kind, work.dir, work.policyFile, cleanups, dist));
    }
    const results = new Map<Pair, Runs>(pairs.map((p) => [p, { rates: [], p99: [], server: [], client: [], total: [], errors: 0 }]));
    for (const pair of pairs) await wrkLoad(wrk, pair.url, 16, 2); // warm-up
    const loads: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const order = pairs.map((_, i) => pairs[(i + round) % pairs.length]!);
      const measure = async (pair: Pair) => {
        const s0 = cpuSeconds(pair.server);
        const c0 = cpuSeconds(pair.client);
        const result: LoadResult = await wrkLoad(wrk, pair.url, connections, seconds);
        const [s1, c1] = [cpuSeconds(pair.server), cpuSeconds(pair.client)];
        return () => {
          const perRequest = (cpu: number) => (cpu / Math.max(1, result.requests)) * 1e6;
          const entry = results.get(pair)!;
          const server = perRequest(s1 - s0);
          const client = perRequest(c1 - c0);
          entry.rates.push(result.perSecond);
          entry.p99.push(result.p99Ms);
          entry.server.push(server);
          entry.client.push(client);
          entry.total.push(server + client);
          entry.errors += result.errors;
        };
      };
      if (together) for (const record of await Promise.all(pairs.map(measure))) record();
      else for (const pair of order) (await measure(pair))();
      loads.push((await Bun.file("/proc/loadavg").text()).split(" ")[0]!);
    }
    const plains = pairs.filter((p) => p.kind === "plain");
    const bases = (kind: Kind) => pairs.filter((p) => p.kind === BASE[kind]);
    // Per round: the mean of that round's plain pairs (floor pairs, for floor-audit) is the reference.
    const referenceFor = (kind: Kind) => (measure: keyof Omit<Runs, "errors">, r: number) => bases(kind).reduce((sum, p) => sum + results.get(p)![measure][r]!, 0) / Math.max(1, bases(kind).length);
    const costs = (pair: Pair, measure: "rates" | "total" | "server" | "client", against: (r: number) => number) =>
      results.get(pair)![measure].map((value, r) => (measure === "rates" ? (1 - value / against(r)) * 100 : (value / against(r) - 1) * 100));
    const how = together ? "all pairs loaded at once" : "order rotated each round";
    console.log(`Policy + audit cost at c=${connections} (wrk, ${rounds} rounds × ${seconds} s per pair, ${how}; loadavg per round ${loads.join(", ")})`);
    console.log("| pair | req/s (median; range) | p99 ms | CPU µs/req server | client | both | req/s cost | CPU/req cost | errors |");
    console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const pair of pairs) {
      const r = results.get(pair)!;
      const reference = referenceFor(pair.kind);
      const versus = bases(pair.kind).length === 0 || pair.kind === BASE[pair.kind] ? ["", ""] : [percent(costs(pair, "rates", (i) => reference("rates", i))), percent(costs(pair, "total", (i) => reference("total", i)))];
      console.log(
        `| ${pair.name} | ${Math.round(median(r.rates))} (${range(r.rates, 0)}) | ${median(r.p99).toFixed(2)} | ${median(r.server).toFixed(1)} | ${median(r.client).toFixed(1)} | ${median(r.total).toFixed(1)} (${range(r.total, 1)}) | ${versus[0]} | ${versus[1]} | ${r.errors} |`,
      );
    }
    if (plains.length >= 2) {
      const [a, b] = [plains[0]!, plains[1]!];
      const against = (measure: "rates" | "total") => (r: number) => results.get(a)![measure][r]!;
      console.log(`spread of identical pairs (${b.name} against ${a.name}, round by round): req/s ${percent(costs(b, "rates", against("rates")))}, CPU/req ${percent(costs(b, "total", against("total")))}`);
    }
    for (const pair of pairs) {
      if (pair.kind === BASE[pair.kind] || bases(pair.kind).length === 0) continue;
      const r = results.get(pair)!;
      const reference = referenceFor(pair.kind);
      const extra = (measure: "server" | "client") => r[measure].map((v, i) => v - reference(measure, i));
      console.log(`${pair.name}: extra CPU µs/request, median (range): server ${median(extra("server")).toFixed(2)} (${range(extra("server"), 2)}), client ${median(extra("client")).toFixed(2)} (${range(extra("client"), 2)})`);
    }
    console.log("The direct cost is judged on CPU µs per request (both processes); req/s is shown beside it.");
    const preciseRounds = Number(process.env["BENCH_PRECISE_ROUNDS"] ?? 60);
    if (preciseRounds > 0 && plains.length > 0) {
      const plainCpu = median(plains.flatMap((p) => results.get(p)!.total));
      console.log(preciseCost(await preciseExtra(preciseRounds), plainCpu, connections));
    }
    const size = (file: string) => stat(file).then((s) => s.size, () => 0);
    for (const pair of pairs) if (pair.audits.length) console.log(`${pair.name}: audit lines written: server ${await size(pair.audits[0]!)} bytes, client ${await size(pair.audits[1]!)} bytes`);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
}
