/**
 * `bun run bench`: every benchmark of the project, bounded in time, loopback only.
 */
const scripts = ["test/bench/pipe-memory.ts", "test/bench/startup.ts", "test/bench/front-metrics.ts"];
for (const script of scripts) {
  const child = Bun.spawnSync([process.execPath, script], { stdout: "inherit", stderr: "inherit" });
  if (child.exitCode !== 0) {
    console.error(`${script} failed with exit code ${child.exitCode}`);
    process.exit(1);
  }
}
