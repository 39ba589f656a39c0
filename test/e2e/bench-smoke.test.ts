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
});
