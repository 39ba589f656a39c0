/**
 * Where a pair's CPU goes, thread by thread: one dist/rp-server and
 * dist/rp-client pair of policy-cost.ts's kinds (THREAD_KINDS, default
 * plain,both, each its own pair, taking turns THREAD_ROUNDS times), wrk at
 * c=64 through the server front for THREAD_S seconds, and each process's
 * threads read from /proc/PID/task/*\/stat before and after: CPU µs per
 * request of the main thread (user and system apart) and of the runtime's
 * helpers, by name (HeapHelper: the collector; JITWorker; "Bun Pool #": the
 * pool async file writes run on; mi-scavenger). Linux only; needs wrk.
 *
 *   bun run build && bun test/bench/thread-cpu.ts
 *   THREAD_KINDS=plain,audit,audit@/tmp/old/dist THREAD_ROUNDS=4 bun test/bench/thread-cpu.ts
 */
import { readdirSync, readFileSync } from "node:fs";
import { wrkLoad } from "./_load.ts";
import { statCpu } from "./_proc.ts";
import { policyWorkspace, startPair, wrkOrExit, type Kind, type Pair } from "./policy-cost.ts";

/** CPU seconds by thread name: the main thread as "main user" and "main system", the others by name with numbers folded ("Bun Pool #"). */
export function threadSeconds(pid: number): Map<string, number> {
  const seconds = new Map<string, number>();
  const add = (name: string, value: number) => seconds.set(name, (seconds.get(name) ?? 0) + value);
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    } catch {
      continue; // the thread ended meanwhile
    }
    const { user, system } = statCpu(stat);
    if (tid === String(pid)) {
      add("main user", user);
      add("main system", system);
    } else add(stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")).replace(/\d+/g, "#"), user + system);
  }
  return seconds;
}

/** µs per request by thread between two readings, largest first. */
function perRequest(before: Map<string, number>, after: Map<string, number>, requests: number): Array<[string, number]> {
  return [...after].map(([name, value]): [string, number] => [name, ((value - (before.get(name) ?? 0)) * 1e6) / Math.max(1, requests)]).sort((a, b) => b[1] - a[1]);
}

if (import.meta.main) {
  const wrk = wrkOrExit("thread benchmark");
  const seconds = Number(process.env["THREAD_S"] ?? 8);
  const rounds = Number(process.env["THREAD_ROUNDS"] ?? 2);
  const specs = (process.env["THREAD_KINDS"] ?? "plain,both").split(",").map((item) => item.trim().split("@") as [Kind, string | undefined]);
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const work = await policyWorkspace(cleanups);
    const pairs: Pair[] = [];
    for (const [i, [kind, dist]] of specs.entries()) pairs.push(await startPair(`${kind}${dist ? `@${dist}` : ""} ${i + 1}`, kind, work.dir, work.policyFile, cleanups, dist));
    for (const pair of pairs) await wrkLoad(wrk, pair.url, 64, 2); // warm-up
    console.log(`CPU µs per request by thread, wrk c=64, ${rounds} rounds × ${seconds} s per pair, taking turns`);
    for (let round = 0; round < rounds; round++) {
      for (const pair of pairs) {
        const before = [threadSeconds(pair.server), threadSeconds(pair.client)];
        const result = await wrkLoad(wrk, pair.url, 64, seconds);
        const after = [threadSeconds(pair.server), threadSeconds(pair.client)];
        const sides = ["server", "client"].map((side, i) => {
          const rows = perRequest(before[i]!, after[i]!, result.requests);
          const total = rows.reduce((sum, [, us]) => sum + us, 0); // every thread; those under 0.05 µs are not listed
          const shown = rows.filter(([, us]) => us >= 0.05);
          return `${side} ${total.toFixed(2)} (${shown.map(([name, us]) => `${name} ${us.toFixed(2)}`).join(", ")})`;
        });
        console.log(`${pair.name}: ${Math.round(result.perSecond)} req/s | ${sides.join(" | ")}`);
      }
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
}
