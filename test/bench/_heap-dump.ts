/**
 * Preloaded into a node run from source by swarm-heap.ts: on SIGUSR2, collects garbage and writes the JS heap's
 * figures (bun:jsc heapStats: size, object count, objects per type) and process.memoryUsage() to $RP_HEAP_DUMP.
 */
import { heapStats } from "bun:jsc";
import { writeFileSync } from "node:fs";

process.on("SIGUSR2", () => {
  Bun.gc(true);
  const stats = heapStats();
  const memory = process.memoryUsage();
  const dump = { heapSize: stats.heapSize, objectCount: stats.objectCount, extraMemorySize: stats.extraMemorySize, memory, objectTypeCounts: stats.objectTypeCounts };
  const snapshot = process.env["RP_HEAP_SNAPSHOT"];
  // A V8-format snapshot too when asked (node names and self sizes, for bytes per type): large, and slow to write.
  if (snapshot) writeFileSync(`${snapshot}.${Date.now()}.heapsnapshot`, Bun.generateHeapSnapshot("v8"));
  writeFileSync(process.env["RP_HEAP_DUMP"] ?? "/dev/null", JSON.stringify(dump));
});
