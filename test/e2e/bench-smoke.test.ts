/**
 * The benchmark scripts' code paths in a tiny mode (1 s at c=1, fetch instead
 * of wrk, one small blob), so that `bun run bench` cannot rot unnoticed.
 * Performance itself is never asserted here.
 */
import { describe, expect, test } from "bun:test";
import { benchOptions, renderTable, runHttpBench } from "../bench/pipe-http.ts";

describe("bench smoke", () => {
  test("pipe-http measures RestPipe and direct HTTP and renders the table", async () => {
    const figures = await runHttpBench(benchOptions(true));
    expect(figures.map((f) => f.name)).toEqual(["RestPipe", "direct HTTP"]);
    for (const peer of figures) {
      const run = peer.load.get(1)!;
      expect(run.requests).toBeGreaterThan(0);
      expect(run.errors).toBe(0);
      expect(peer.blobMbps.get(64 * 1024)).toBeGreaterThan(0);
    }
    const table = renderTable(figures);
    expect(table).toContain("| c=1 req/s |");
    expect(table).toContain("| 64 KiB reply MB/s |");
  });

  test("fleet: 3 servers and nats-server, single vs cross-server, renders the table", async () => {
    const child = Bun.spawn([process.execPath, "test/bench/fleet.ts"], {
      // wrk when installed, else fetch loops: either way the script's path runs.
      env: { ...process.env, BENCH_SECONDS: "1", BENCH_GIB_REPS: "1", BENCH_BODY_MIB: "4" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
    expect({ code, errors: /errors (\d+)/.exec(out)?.[1] }).toEqual({ code: 0, errors: "0" });
    expect(out).toContain("| c=64 req/s |");
    expect(out).toContain("| 4 MiB reply MB/s |");
  }, 120_000);
});
