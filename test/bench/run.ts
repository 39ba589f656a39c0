/**
 * `bun run bench`: every benchmark of the project, bounded in time, loopback only.
 * The HTTP comparison needs wrk (Debian); it is checked before anything starts.
 */
import { findWrk } from "./_load.ts";

if (!findWrk()) {
  console.error("Cannot run the benchmarks: wrk is not installed (apt-get install wrk).");
  process.exit(2);
}
const scripts = ["test/bench/pipe-memory.ts", "test/bench/pipe-cpu.ts", "test/bench/startup.ts", "test/bench/front-metrics.ts", "test/bench/pipe-http.ts", "test/bench/pipe-streams.ts"];
for (const script of scripts) {
  const child = Bun.spawnSync([process.execPath, script], { stdout: "inherit", stderr: "inherit" });
  if (child.exitCode !== 0) {
    console.error(`${script} failed with exit code ${child.exitCode}`);
    process.exit(1);
  }
}
