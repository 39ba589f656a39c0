/**
 * Round trips per second of two Pipes over the in-memory transport pair, with
 * 1 and 64 requests in flight: the cost of the codec, correlation and
 * dispatch without any socket. Bounded: each run stops after its count or
 * its time budget, whichever comes first.
 *
 *   bun test/bench/pipe-memory.ts
 */
import { Pipe } from "../../src/pipe/index.ts";
import { createDispatcher, exampleHandlers } from "../../src/dispatch/index.ts";
import { memoryPair } from "../support/memory-transport.ts";

/** One measured configuration. */
export interface MemoryResult {
  readonly inFlight: number;
  readonly roundTrips: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/** Runs `total` round trips with `inFlight` outstanding at a time, for at most `budgetMs`. */
export async function measure(inFlight: number, total: number, budgetMs: number): Promise<MemoryResult> {
  const [ta, tb] = memoryPair();
  const peer = { name: "bench", remoteAddress: "memory" };
  const client = new Pipe(ta, { peer, onEvent: createDispatcher(exampleHandlers("client")), heartbeatIntervalMs: 0 });
  const server = new Pipe(tb, { peer, onEvent: createDispatcher(exampleHandlers("server")), heartbeatIntervalMs: 0 });
  const started = performance.now();
  const deadline = started + budgetMs;
  let done = 0;
  async function worker(): Promise<void> {
    while (done < total && performance.now() < deadline) {
      await client.request({ verb: "get", noun: "time" });
      done++;
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  client.close();
  server.close();
  return { inFlight, roundTrips: done, seconds, perSecond: done / seconds };
}

if (import.meta.main) {
  await measure(8, 5_000, 2_000); // warm-up
  console.log("in-memory pipe (codec + correlation + dispatch, no socket)");
  console.log("| in flight | round trips | seconds | round trips/s |");
  console.log("| --- | --- | --- | --- |");
  for (const inFlight of [1, 64]) {
    const r = await measure(inFlight, 200_000, 5_000);
    console.log(`| ${r.inFlight} | ${r.roundTrips} | ${r.seconds.toFixed(2)} | ${Math.round(r.perSecond).toLocaleString("en")} |`);
  }
}
