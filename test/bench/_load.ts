/**
 * Load drivers for the HTTP benchmarks, every one bounded in time: wrk
 * (Debian's, with the percentile reporter) or, where wrk is missing or a
 * smoke run wants no extra tool, a fetch loop; large replies by curl or fetch.
 */
import { resolve } from "node:path";

/** What one load run measured. */
export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Connect/read/write/timeout errors and non-2xx answers. */
  readonly errors: number;
}

/** The path of the wrk binary, or undefined when it is not installed. */
export function findWrk(): string | undefined {
  return Bun.which("wrk") ?? undefined;
}

/** The p-th percentile (nearest rank) of `values`; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Runs a child to completion, killing it after `timeoutMs`; resolves with its stdout and exit code. */
async function run(command: readonly string[], timeoutMs: number, env: Record<string, string> = {}): Promise<{ stdout: string; exitCode: number }> {
  const child = Bun.spawn([...command], { stdout: "pipe", stderr: "pipe", stdin: "ignore", env: { ...process.env, ...env } });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [stdout, exitCode] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  clearTimeout(timer);
  return { stdout, exitCode };
}

/** The wrk script that prints the WRKRESULT line. */
export const WRK_REPORT = resolve(import.meta.dir, "wrk-report.lua");

/** `wrk -c connections -d seconds` GETs of `url`, with 2 threads at most; another `script` must still report (see swarm-random.lua). */
export async function wrkLoad(wrk: string, url: string, connections: number, seconds: number, script = WRK_REPORT, env: Record<string, string> = {}): Promise<LoadResult> {
  const threads = Math.min(2, connections);
  const args = [wrk, `-t${threads}`, `-c${connections}`, `-d${seconds}s`, "--latency", "--timeout", "5s", "-s", script, url];
  const { stdout, exitCode } = await run(args, (seconds + 30) * 1000, { WRK_REPORT, ...env });
  const line = stdout.split("\n").find((l) => l.startsWith("WRKRESULT "));
  if (!line) throw new Error(`Cannot read wrk's result (exit ${exitCode}):\n${stdout}`);
  const v = Object.fromEntries(line.split(" ").slice(1).map((kv) => kv.split("=") as [string, string]).map(([k, x]) => [k, Number(x)]));
  const secs = v["duration_us"]! / 1e6;
  const errors = ["err_connect", "err_read", "err_write", "err_status", "err_timeout"].reduce((sum, k) => sum + (v[k] ?? 0), 0);
  return { requests: v["requests"]!, seconds: secs, perSecond: v["requests"]! / secs, p50Ms: v["p50_us"]! / 1000, p99Ms: v["p99_us"]! / 1000, errors };
}

/** `connections` concurrent fetch loops GETting `url` (or a URL made per request) for `seconds`, at most `maxRequests` in all. */
export async function fetchLoad(url: string | (() => string), connections: number, seconds: number, maxRequests = 1_000_000): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let started = 0;
  const begin = performance.now();
  const deadline = begin + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline && started < maxRequests) {
      started++;
      const t0 = performance.now();
      try {
        const response = await fetch(typeof url === "string" ? url : url(), { signal: AbortSignal.timeout(5_000) });
        await response.arrayBuffer();
        if (!response.ok) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const secs = (performance.now() - begin) / 1000;
  return { requests: latencies.length, seconds: secs, perSecond: latencies.length / secs, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), errors };
}

/** Median MB/s (10^6 bytes) of `reps` sequential GETs of `url`, each checked for `expectBytes`; curl when installed, else fetch. */
export async function blobRate(url: string, expectBytes: number, reps: number): Promise<number> {
  const curl = Bun.which("curl");
  const rates: number[] = [];
  for (let i = 0; i < reps; i++) {
    let bytes: number;
    let seconds: number;
    if (curl) {
      const { stdout } = await run([curl, "-s", "-o", "/dev/null", "--max-time", "60", "-w", "%{http_code} %{size_download} %{time_total}", url], 70_000);
      const [code, size, total] = stdout.trim().split(" ");
      if (code !== "200") throw new Error(`GET ${url} answered ${code}`);
      bytes = Number(size);
      seconds = Number(total);
    } else {
      const t0 = performance.now();
      const response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
      bytes = (await response.arrayBuffer()).byteLength;
      seconds = (performance.now() - t0) / 1000;
      if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
    }
    if (bytes !== expectBytes) throw new Error(`GET ${url} gave ${bytes} bytes, expected ${expectBytes}`);
    rates.push(bytes / seconds / 1e6);
  }
  return percentile(rates, 50);
}
