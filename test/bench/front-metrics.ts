/**
 * What metrics cost on the event path: front requests (eventHandler, no
 * socket) through two in-memory pipes to the example handlers, with and
 * without the node observer (front onSent + dispatcher onHandled): Prometheus
 * alone, and Prometheus plus statsd into a null sink; alternated rounds share
 * the machine's noise. Both ends run in this process, so each request pays
 * for the sender's and the handler's metrics.
 * Bounded by count.
 *
 *   bun test/bench/front-metrics.ts
 */
import { createDispatcher, exampleHandlers } from "../../src/dispatch/index.ts";
import { eventHandler } from "../../src/http/index.ts";
import { NodeObserver } from "../../src/node/index.ts";
import { Pipe } from "../../src/pipe/index.ts";
import { memoryPair } from "../support/memory-transport.ts";

const REQUESTS = 30_000;
const ROUNDS = 9;

type Mode = "none" | "prometheus" | "prometheus+statsd";

async function run(mode: Mode, inFlight: number): Promise<number> {
  const statsd = mode === "prometheus+statsd" ? { statsd: { sink: { send() {}, close() {} } } } : {};
  const observer = mode === "none" ? undefined : new NodeObserver({ role: "client", version: "bench", ...statsd });
  const [a, b] = memoryPair();
  const dispatcher = createDispatcher(exampleHandlers("server"), observer ? { onHandled: observer.handled } : {});
  const client = new Pipe(a, { peer: { name: "server", remoteAddress: "m" }, onEvent: dispatcher, heartbeatIntervalMs: 0 });
  const server = new Pipe(b, { peer: { name: "client", remoteAddress: "m" }, onEvent: dispatcher, heartbeatIntervalMs: 0 });
  const handle = eventHandler({
    role: "client",
    acquire: async () => client,
    maxBodyBytes: 1024,
    requestTimeoutMs: 10_000,
    ...(observer ? { onSent: observer.sent } : {}),
  });
  const request = () => handle(new Request("http://front.local/server/cat//a/b"));
  const started = performance.now();
  let sent = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (sent < REQUESTS) {
        sent++;
        const response = await request();
        if (response.status !== 200) throw new Error(`status ${response.status}`);
        await response.arrayBuffer();
      }
    }),
  );
  const perSecond = REQUESTS / ((performance.now() - started) / 1000);
  client.close();
  server.close();
  observer?.close();
  return perSecond;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
for (const inFlight of [1, 64]) {
  for (const mode of ["prometheus", "prometheus+statsd"] as const) {
    // Paired rounds in alternating order; the median of the per-round ratios resists the machine's noise.
    const ratios: number[] = [];
    const rates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const observedFirst = round % 2 === 0;
      const a = await run(observedFirst ? mode : "none", inFlight);
      const b = await run(observedFirst ? "none" : mode, inFlight);
      const [on, off] = observedFirst ? [a, b] : [b, a];
      ratios.push(on / off);
      rates.push(off);
    }
    const change = ((median(ratios) - 1) * 100).toFixed(1);
    console.log(`front → pipe → handler, ${inFlight} in flight: ~${Math.round(median(rates))}/s without metrics; ${mode}: ${change}% (median of ${ROUNDS} paired rounds)`);
  }
}
