/**
 * The JavaScript cost of the policy and the audit log per request, without
 * the kernel and without TLS: the server's front (eventHandler, real Request
 * and Response objects, the audit log's `out` line through NodeObserver) and
 * two Pipes over the in-memory transport pair in one process, the answering
 * side's dispatcher behind the event guard (which always runs) with no
 * policy, or the 50-rule policy of policy-cost.ts, with or without the audit
 * log (both lines, written to a real file). Configurations take turns
 * (rotated each round, a second plain one for the spread); CPU µs per
 * request from process.cpuUsage, medians. Since the kernel and TLS are
 * left out, the cost as a share of this path is an upper bound of its share
 * of a real pair's CPU (policy-cost.ts). Bounded: BENCH_REQUESTS per run.
 *
 *   bun test/bench/policy-cpu.ts              (BENCH_REQUESTS=40000 BENCH_ROUNDS=7)
 */
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

type Kind = "plain" | "policy" | "both";

/** CPU µs per request of `requests` front requests, 64 in flight, in configuration `kind`; audit lines go to `dir`. */
async function cpuPerRequest(kind: Kind, requests: number, dir: string): Promise<number> {
  const [ta, tb] = memoryPair();
  const policy = compilePolicy(kind === "plain" ? ALLOW_ALL : parsePolicy(fiftyRules()), policyHandlerName);
  const auditOn = kind === "both";
  const audit = async (name: string) => (auditOn ? new AuditLog({ sink: await openAppendFile(join(dir, name)), log: silentLogger, maxQueueBytes: 64 << 20, showArgs: false }) : undefined);
  const clientAudit = await audit("client-audit.log");
  const observer = new NodeObserver({ role: "server", version: "bench" });
  observer.audit = await audit("server-audit.log");
  const dispatch = guardDispatcher(createDispatcher(handlers), { policy: () => policy, audit: clientAudit });
  const server = new Pipe(ta, { peer: { name: "bench", remoteAddress: "memory:bench" }, onEvent: () => ({ code: 0, mimetype: "", data: new Uint8Array(0) }), heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0 });
  const client = new Pipe(tb, { peer: { name: "localhost", remoteAddress: "memory:server" }, onEvent: (event, context) => dispatch(event, context), heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0 });
  const front = eventHandler({
    role: "server",
    acquire: async () => server,
    maxBodyBytes: 16 * 1024 * 1024,
    requestTimeoutMs: 30_000,
    onSent: observer.sent,
    ...(observer.audit ? { onAnswered: observer.answered } : {}),
  });
  const url = "http://127.0.0.1:8080/client/bench/time";
  let left = requests;
  const worker = async () => {
    while (left-- > 0) {
      const response = await front(new Request(url));
      if (response.status !== 200) throw new Error(`Cannot measure: the front answered ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
    }
  };
  Bun.gc(true); // each run starts from a collected heap: the garbage of the run before is not this one's
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: 64 }, worker));
  await Promise.all([clientAudit?.close(), observer.audit?.close()]); // the lines' writes are part of the cost
  const used = process.cpuUsage(before);
  server.close();
  client.close();
  observer.close();
  return (used.user + used.system) / requests;
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

if (import.meta.main) {
  const requests = Number(process.env["BENCH_REQUESTS"] ?? 40_000);
  const rounds = Number(process.env["BENCH_ROUNDS"] ?? 7);
  const dir = await mkdtemp(join(tmpdir(), "rp-policy-cpu-"));
  try {
    const ways: Array<{ name: string; kind: Kind; cpu: number[] }> = [
      { name: "plain A", kind: "plain", cpu: [] },
      { name: "50 rules", kind: "policy", cpu: [] },
      { name: "50 rules + audit", kind: "both", cpu: [] },
      { name: "plain B", kind: "plain", cpu: [] },
    ];
    for (const way of ways) await cpuPerRequest(way.kind, requests / 4, dir); // warm-up: the JIT compiles every path
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < ways.length; i++) {
        const way = ways[(i + round) % ways.length]!;
        way.cpu.push(await cpuPerRequest(way.kind, requests, dir));
      }
    }
    const load = (await Bun.file("/proc/loadavg").text()).trim();
    // Per round against the mean of that round's two plain runs.
    const plainOf = (r: number) => (ways[0]!.cpu[r]! + ways[3]!.cpu[r]!) / 2;
    console.log(`Policy and audit JavaScript cost per request (front + 2 pipes in memory, c=64, ${rounds} rounds × ${requests} requests, rotated; loadavg ${load})`);
    console.log("| configuration | CPU µs/request (median) | rounds | extra µs (median, range) | extra % |");
    console.log("| --- | ---: | --- | ---: | ---: |");
    for (const way of ways) {
      const extra = way.cpu.map((c, r) => c - plainOf(r));
      const share = way.cpu.map((c, r) => (c / plainOf(r) - 1) * 100);
      console.log(`| ${way.name} | ${median(way.cpu).toFixed(2)} | ${way.cpu.map((c) => c.toFixed(1)).join(", ")} | ${median(extra).toFixed(2)} (${Math.min(...extra).toFixed(2)}…${Math.max(...extra).toFixed(2)}) | ${median(share).toFixed(1)} % |`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
