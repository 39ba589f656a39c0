/**
 * Where the CPU of a streamed reply goes: one rp-server and one rp-client run
 * from source under Bun's sampling profiler (`--cpu-prof-md`), or under
 * `strace -c -f` (PROFILE_STRACE=1: system calls and their counts instead),
 * or plainly with `perf record -e cpu-clock -g` on both during the transfers
 * (PROFILE_PERF=1: native frames and the kernel's too), or plainly
 * (PROFILE_PLAIN=1: only the CPU each process used, to compare trees:
 * PROFILE_ROOT=/other/worktree runs that tree's source), then curl fetches PROFILE_16=20 × 16 MiB (a whole buffer the pipe streams)
 * and PROFILE_GIB=1 × 1 GiB (a handler's stream) through the server front.
 * The profiles (markdown, or strace's tables) are written when the nodes stop.
 *
 *   bun test/bench/stream-profile.ts        (PROFILE_DIR=/tmp/rp-stream-prof)
 */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { cpuSeconds } from "./_proc.ts";
import { makeTestPki, startClientProcess, startServerProcess, type Launcher } from "../support/index.ts";

const MiB = 1024 * 1024;

async function curlGet(url: string, expect: number): Promise<number> {
  const curl = Bun.spawn(["curl", "-s", "-o", "/dev/null", "--max-time", "300", "-w", "%{http_code} %{size_download} %{time_total}", url], { stdout: "pipe" });
  const [code, size, total] = (await new Response(curl.stdout).text()).trim().split(" ");
  await curl.exited;
  if (code !== "200" || Number(size) !== expect) throw new Error(`GET ${url}: ${code}, ${size} bytes (expected ${expect})`);
  return Number(size) / Number(total) / 1e6;
}

const cpuMs = (pid: number) => Math.round(cpuSeconds(pid) * 1000);

if (import.meta.main) {
  const dir = process.env["PROFILE_DIR"] ?? "/tmp/rp-stream-prof";
  const strace = process.env["PROFILE_STRACE"] === "1";
  const perf = process.env["PROFILE_PERF"] === "1";
  const plain = process.env["PROFILE_PLAIN"] === "1";
  const reps16 = Number(process.env["PROFILE_16"] ?? 20);
  const repsGiB = Number(process.env["PROFILE_GIB"] ?? 1);
  await mkdir(dir, { recursive: true });
  const pki = await makeTestPki();
  const root = process.env["PROFILE_ROOT"] ?? resolve(import.meta.dir, "../..");
  const source = (program: string): Launcher => {
    const entry = join(root, "src/cli", `${program}.ts`);
    if (perf || plain) return { argv: ["bun", entry] };
    if (strace) return { argv: ["strace", "-c", "-f", "-S", "calls", "-o", join(dir, `${program}.strace`), "bun", entry] };
    return { argv: ["bun", "--cpu-prof-md", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${program}.md`, entry] };
  };
  const server = await startServerProcess(pki.server.dir, {}, [], source("rp-server"));
  const identity = await pki.client("bench");
  const client = await startClientProcess(identity.dir, server.pipePort, { RP_EVENT_HANDLER: resolve(import.meta.dir, "handlers.ts") }, [], source("rp-client"));
  try {
    const url = (kind: string, n: number) => `${server.http}/client/bench/${kind}//${n}`;
    await curlGet(url("blob", 16 * MiB), 16 * MiB);
    const recorder = perf ? Bun.spawn(["perf", "record", "-e", "cpu-clock", "-g", "-o", join(dir, "perf.data"), "-p", `${server.proc.pid},${client.proc.pid}`], { stderr: "ignore" }) : undefined;
    const cpuBefore = [server.proc.pid, client.proc.pid].map(cpuMs);
    const mbps16: number[] = [];
    for (let i = 0; i < reps16; i++) mbps16.push(await curlGet(url("blob", 16 * MiB), 16 * MiB));
    const mbpsGiB: number[] = [];
    for (let i = 0; i < repsGiB; i++) mbpsGiB.push(await curlGet(url("gen", 1024 * MiB), 1024 * MiB));
    const cpu = [server.proc.pid, client.proc.pid].map((pid, i) => cpuMs(pid) - cpuBefore[i]!);
    recorder?.kill("SIGINT");
    await recorder?.exited;
    const gb = (reps16 * 16 * MiB + repsGiB * 1024 * MiB) / 1e9;
    console.log(`CPU during the transfers (utime+stime): server ${cpu[0]} ms, client ${cpu[1]} ms; per GB: server ${(cpu[0]! / gb).toFixed(0)} ms, client ${(cpu[1]! / gb).toFixed(0)} ms`);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    console.log(`16 MiB median ${median(mbps16).toFixed(0)} MB/s; 1 GiB ${mbpsGiB.map((x) => x.toFixed(0)).join(", ")} MB/s (${plain ? "plain" : strace ? "under strace" : perf ? "under perf" : "under the profiler"}; ${root})`);
  } finally {
    await client.proc.stop();
    await server.proc.stop();
    await pki.cleanup();
  }
  console.log(`profiles in ${dir}`);
}
