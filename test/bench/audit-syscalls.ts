/**
 * What the audit file's writes cost in the kernel: one dist/rp-server and
 * dist/rp-client pair with the 50-rule policy and the audit log on (as
 * policy-cost.ts's "50 rules + audit"), wrk at c=64 through the server front
 * for BENCH_DURATION_S, both processes under `strace -C -f -T -y` for the
 * write calls only; each call is sorted by what its file descriptor names
 * (the audit file, a socket, anything else) and its wall time in the kernel
 * summed (-T: on a loaded machine it includes time the thread waited for a
 * core), and strace's own summary (-C: system CPU time per syscall) is
 * printed after it.
 * strace slows every traced process, so req/s here means nothing; the
 * count of audit writes per request and their kernel time per request do.
 *
 *   bun run build && bun test/bench/audit-syscalls.ts        (needs wrk and strace)
 */
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { makeTestPki, startClientProcess, startServerProcess } from "../support/index.ts";
import { findWrk, wrkLoad } from "./_load.ts";
import { fiftyRules } from "./policy-cost.ts";

/** Sums strace -T lines (`write(12</path>, ...) = 123 <0.000012>`) by what the descriptor names. */
export function sumWrites(trace: string, auditPaths: readonly string[]): Map<string, { calls: number; seconds: number; bytes: number }> {
  const sums = new Map<string, { calls: number; seconds: number; bytes: number }>();
  for (const line of trace.split("\n")) {
    const match = /\b(write|pwrite64|writev|pwritev2?)\(\d+<([^>]*)>.*\) = (-?\d+).*<([\d.]+)>\s*$/.exec(line);
    if (!match) continue;
    const [, call, target, result, seconds] = match;
    const kind = auditPaths.some((path) => target!.endsWith(path)) ? "audit file" : target!.startsWith("TCP") || target!.startsWith("socket") || target!.startsWith("UNIX") ? "sockets" : "other";
    const key = `${kind} (${call})`;
    const sum = sums.get(key) ?? { calls: 0, seconds: 0, bytes: 0 };
    sum.calls++;
    sum.seconds += Number(seconds);
    sum.bytes += Math.max(0, Number(result));
    sums.set(key, sum);
  }
  return sums;
}

if (import.meta.main) {
  const wrk = findWrk();
  if (!wrk || !Bun.which("strace")) throw new Error("Cannot trace: wrk and strace are needed (apt-get install wrk strace)");
  const seconds = Number(process.env["BENCH_DURATION_S"] ?? 10);
  const pki = await makeTestPki();
  const policyFile = join(pki.dir, "rp-client.json");
  await writeFile(policyFile, JSON.stringify({ RP_CLIENT_POLICY: fiftyRules() }));
  const audits = [join(pki.dir, "server-audit.log"), join(pki.dir, "client-audit.log")];
  const server = await startServerProcess(pki.server.dir, { RP_SERVER_AUDIT_LOG: audits[0]! });
  const identity = await pki.client("bench");
  const client = await startClientProcess(identity.dir, server.pipePort, { RP_EVENT_HANDLER: resolve(import.meta.dir, "handlers.ts"), RP_CLIENT_CONFIG: policyFile, RP_CLIENT_AUDIT_LOG: audits[1]! });
  const traceFile = join(pki.dir, "strace.txt");
  try {
    const url = `${server.http}/client/bench/time`;
    await wrkLoad(wrk, url, 16, 2); // warm-up, untraced
    const strace = Bun.spawn(["strace", "-C", "-f", "-qq", "-T", "-y", "-e", "trace=write,pwrite64,writev,pwritev,pwritev2", "-o", traceFile, "-p", String(server.proc.pid), "-p", String(client.proc.pid)], { stderr: "inherit" });
    await Bun.sleep(1_000); // strace attaches to every thread; no event says when it is done
    const result = await wrkLoad(wrk, url, 64, seconds);
    strace.kill("SIGINT");
    await strace.exited;
    const sums = sumWrites(await readFile(traceFile, "utf8"), audits);
    console.log(`writes under strace, ${result.requests} requests at c=64 (${seconds} s; loadavg ${(await Bun.file("/proc/loadavg").text()).trim()})`);
    console.log("| writes to | calls | calls per 1000 requests | bytes per request | kernel µs per request (strace -T) | µs per call |");
    console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
    const trace = await readFile(traceFile, "utf8");
    const summary = trace.slice(trace.indexOf("% time"));
    for (const [key, sum] of [...sums].sort()) {
      const per = Math.max(1, result.requests);
      console.log(`| ${key} | ${sum.calls} | ${((sum.calls / per) * 1000).toFixed(2)} | ${(sum.bytes / per).toFixed(1)} | ${((sum.seconds / per) * 1e6).toFixed(3)} | ${((sum.seconds / Math.max(1, sum.calls)) * 1e6).toFixed(1)} |`);
    }
    console.log(`strace -C summary (system time):\n${summary.trim()}`);
  } finally {
    await client.proc.stop();
    await server.proc.stop();
    await pki.cleanup();
  }
}
