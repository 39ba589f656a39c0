/**
 * CPU per audit line, in this process: lines encoded as bytes into chunks
 * (what AuditLog does) against the former way, a string per line, joined per
 * batch and encoded (kept here as the reference); then what the audit log
 * adds to one request as a node runs it: the `in` line of the event guard
 * (a guarded event with and without the audit log) and the front's `out`
 * line (NodeObserver.answered). No disk: the sink is a counter. Bounded: AUDIT_LINES (400,000) lines per run, AUDIT_ROUNDS (7) rounds of each way, interleaved.
 *
 *   bun test/bench/audit-lines.ts
 */
import { Buffer } from "node:buffer";
import { AuditLog, type AuditRecord, type AuditSink } from "../../src/audit/index.ts";
import type { Dispatcher } from "../../src/dispatch/index.ts";
import { silentLogger } from "../../src/log/index.ts";
import { guardDispatcher, NodeObserver } from "../../src/node/index.ts";
import { ALLOW_ALL, compilePolicy } from "../../src/policy/index.ts";

const LINES = Number(process.env["AUDIT_LINES"] ?? 400_000);

/** A typical `in` line of the policy benchmark (the client's). */
const record = (i: number): AuditRecord => ({
  direction: "in",
  cn: "localhost",
  verb: "GET",
  noun: "time",
  caller: undefined,
  code: 0,
  status: 200,
  bytesIn: 0,
  bytesOut: 22,
  durationMs: 0.0123 + i * 1e-6,
  rule: 50,
  traceparent: `00-${(i * 7919).toString(16).padStart(32, "0")}-b7ad6b7169203331-01`,
});
const records = Array.from({ length: 2_000 }, (_, i) => record(i));

/** The former line: a template string (JSON by hand), with a per-millisecond ISO cache. */
let isoMs = -1;
let isoText = "";
function stringLine(r: AuditRecord, epochMs: number): string {
  if (epochMs !== isoMs) [isoMs, isoText] = [epochMs, new Date(epochMs).toISOString()];
  const q = (t: string | undefined) => (t === undefined ? "null" : `"${t}"`);
  return (
    `{"time":"${isoText}","direction":"${r.direction}","cn":${q(r.cn)},"verb":${q(r.verb)},"noun":${q(r.noun)},"caller":${q(r.caller)},` +
    `"code":${r.code},"status":${r.status},"bytes_in":${r.bytesIn},"bytes_out":${r.bytesOut},"duration_ms":${Math.round(r.durationMs * 1000) / 1000},` +
    `"rule":${r.rule ?? "null"},"traceparent":${q(r.traceparent)}}\n`
  );
}

function strings(): number {
  let bytes = 0;
  let batch: string[] = [];
  for (let i = 0; i < LINES; i++) {
    batch.push(stringLine(records[i % records.length]!, 1_764_636_000_000 + (i >> 6)));
    if (batch.length === 2_000) [bytes, batch] = [bytes + Buffer.from(batch.join(""), "utf8").length, []];
  }
  return bytes;
}

async function chunks(): Promise<number> {
  let bytes = 0;
  const sink: AuditSink = { name: "counter", write: async (b) => void (bytes += b.length), reopen: async () => {}, close: async () => {} };
  let now = 1_764_636_000_000;
  const audit = new AuditLog({ sink, log: silentLogger, maxQueueBytes: 1 << 30, showArgs: false, now: () => now, schedule: () => {} });
  for (let i = 0; i < LINES; i++) {
    now = 1_764_636_000_000 + (i >> 6);
    audit.record(records[i % records.length]!);
  }
  await audit.flushed();
  return bytes;
}

/** A sink that only counts, and an audit log on it at `now`. */
function countingAudit(): AuditLog {
  const sink: AuditSink = { name: "counter", write: async () => {}, reopen: async () => {}, close: async () => {} };
  return new AuditLog({ sink, log: silentLogger, maxQueueBytes: 1 << 30, showArgs: false });
}

const REPLY = { version: 1, code: 0, mimetype: "application/json", data: new Uint8Array(22) };
const inner: Dispatcher = () => Promise.resolve(REPLY);
const policy = compilePolicy(ALLOW_ALL, (verb, noun) => `${verb}_${noun}`);
const context = { peer: { name: "localhost", remoteAddress: "127.0.0.1:4000" }, signal: new AbortController().signal };

/** `LINES` events through the guard (which always runs: caller and trace checks), with or without the audit log. */
function guarded(withAudit: boolean): () => Promise<number> {
  const dispatch = guardDispatcher(inner, { policy: () => policy, audit: withAudit ? countingAudit() : undefined });
  return async () => {
    for (let i = 0; i < LINES; i++) await dispatch({ version: 1, verb: "get", noun: "time", data: new Uint8Array(0) }, context);
    return 0;
  };
}

/** `LINES` front answers through the observer's `out` line. */
function answered(): () => number {
  const observer = new NodeObserver({ role: "server", version: "bench" });
  observer.audit = countingAudit();
  return () => {
    for (let i = 0; i < LINES; i++) observer.answered({ verb: "GET", noun: "time", peer: "bench", context: undefined, code: 0, status: 200, bytesIn: 0, bytesOut: 22, ms: 0.31, endedAt: 0 });
    return 0;
  };
}

/** CPU µs per line of one run. */
async function cpuPerLine(run: () => number | Promise<number>): Promise<number> {
  const cpu0 = process.cpuUsage();
  await run();
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / LINES;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

if (import.meta.main) {
  const rounds = Number(process.env["AUDIT_ROUNDS"] ?? 7);
  const ways = [
    { name: "line: string per line, joined and encoded per batch (before)", run: strings, cpu: [] as number[] },
    { name: "line: bytes into chunks (AuditLog)", run: chunks, cpu: [] as number[] },
    { name: "event through the guard, no audit log", run: guarded(false), cpu: [] as number[] },
    { name: "event through the guard, audit log on", run: guarded(true), cpu: [] as number[] },
    { name: "front answer's `out` line (NodeObserver.answered)", run: answered(), cpu: [] as number[] },
  ];
  for (const way of ways) await way.run(); // warm-up
  // Interleaved rounds, medians: the machine's other load hits every way alike.
  for (let round = 0; round < rounds; round++) for (const way of ways) way.cpu.push(await cpuPerLine(way.run));
  const load = (await Bun.file("/proc/loadavg").text()).trim();
  console.log(`audit lines, ${LINES.toLocaleString("en")} per run, ${rounds} rounds interleaved (CPU of this process; loadavg ${load})`);
  console.log("| way | CPU µs/line (median) | rounds |\n| --- | ---: | --- |");
  for (const way of ways) console.log(`| ${way.name} | ${median(way.cpu).toFixed(3)} | ${way.cpu.map((c) => c.toFixed(2)).join(", ")} |`);
  const [, , plain, audited, out] = ways.map((way) => median(way.cpu));
  console.log(`audit log per request, both lines (guard's extra + out line): ${(audited! - plain! + out!).toFixed(2)} µs`);
}
