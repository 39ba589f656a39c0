/**
 * The JavaScript cost of one request through the front and the pipe, without
 * the kernel: the server's front (eventHandler, real Request and Response
 * objects) and two Pipes over the in-memory transport pair in one process,
 * the answering side running the benchmark's `time` handler through the
 * dispatcher. Prints CPU µs per request (process.cpuUsage, so a busy machine
 * skews it less than wall time) at 1 and 64 requests in flight. Use it to
 * compare builds of the hot path; the compiled binaries' figures, kernel
 * included, are pipe-http.ts's. Bounded: BENCH_REQUESTS requests per level.
 *
 *   bun test/bench/pipe-cpu.ts                 (BENCH_REQUESTS=50000 BENCH_ROUNDS=5)
 */
import { createDispatcher } from "../../src/dispatch/index.ts";
import { createFront, createFrontFetch, eventHandler, type FrontOptions } from "../../src/http/index.ts";
import type { IncomingReply, RequestTarget } from "../../src/pipe/index.ts";
import { Pipe } from "../../src/pipe/index.ts";
import { memoryPair } from "../support/index.ts";
import * as handlers from "./handlers.ts";

/** CPU µs per request of `requests` front requests, `inFlight` at a time. */
export async function cpuPerRequest(inFlight: number, requests: number): Promise<number> {
  const [ta, tb] = memoryPair();
  const dispatch = createDispatcher(handlers);
  const peer = { name: "bench", remoteAddress: "memory:bench" };
  const server = new Pipe(ta, { peer, onEvent: () => ({ code: 0, mimetype: "", data: new Uint8Array(0) }), heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0 });
  const client = new Pipe(tb, { peer: { name: "server", remoteAddress: "memory:server" }, onEvent: (event, context) => dispatch(event, context), heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0 });
  const front = eventHandler({ role: "server", acquire: async () => server, maxBodyBytes: 16 * 1024 * 1024, requestTimeoutMs: 30_000 });
  const url = "http://127.0.0.1:8080/client/bench/time";
  let left = requests;
  const worker = async () => {
    while (left-- > 0) {
      const response = await front(new Request(url));
      if (response.status !== 200) throw new Error(`Cannot measure: the front answered ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
    }
  };
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const used = process.cpuUsage(before);
  server.close();
  client.close();
  return (used.user + used.system) / requests;
}

/** CPU µs per request of the front alone (a pipe stub that answers at once): the event handler, Elysia's fetch, createFrontFetch. */
export async function frontCpuPerRequest(requests: number): Promise<Record<string, number>> {
  const reply: IncomingReply = { code: 0, mimetype: "application/json", data: new TextEncoder().encode('{"time_from_client":1}') };
  const target = { peer: { name: "bench", remoteAddress: "memory:bench" }, streams: true, replyHead: true, request: async () => reply } as unknown as RequestTarget;
  const options: FrontOptions = { role: "server", acquire: async () => target, maxBodyBytes: 16 * 1024 * 1024, requestTimeoutMs: 30_000 };
  const app = createFront(options);
  const fronts: Record<string, (request: Request) => Response | Promise<Response>> = {
    "event handler alone": eventHandler(options),
    "Elysia app.fetch": (request) => app.fetch(request),
    createFrontFetch: createFrontFetch(options),
  };
  const out: Record<string, number> = {};
  for (const [name, front] of Object.entries(fronts)) {
    let left = requests;
    const worker = async () => {
      while (left-- > 0) await (await front(new Request("http://127.0.0.1:8080/client/bench/time"))).arrayBuffer();
    };
    const before = process.cpuUsage();
    await Promise.all(Array.from({ length: 16 }, worker));
    const used = process.cpuUsage(before);
    out[name] = (used.user + used.system) / requests;
  }
  return out;
}

if (import.meta.main) {
  const requests = Number(process.env["BENCH_REQUESTS"] ?? 50_000);
  const rounds = Number(process.env["BENCH_ROUNDS"] ?? 5);
  await cpuPerRequest(64, requests / 5); // warm-up: the JIT compiles the path
  const rows: string[] = [];
  for (const inFlight of [1, 64]) {
    const runs: number[] = [];
    for (let i = 0; i < rounds; i++) runs.push(await cpuPerRequest(inFlight, requests));
    runs.sort((a, b) => a - b);
    rows.push(`| ${inFlight} | ${runs[Math.floor(runs.length / 2)]!.toFixed(1)} | ${runs[0]!.toFixed(1)}–${runs.at(-1)!.toFixed(1)} |`);
  }
  console.log(`Front + pipe JavaScript cost per request (in memory, ${rounds} rounds of ${requests} requests)`);
  console.log(["| in flight | CPU µs/request (median) | range |", "| ---: | ---: | ---: |", ...rows].join("\n"));
  await frontCpuPerRequest(requests / 5); // warm-up
  const fronts: Record<string, number[]> = {};
  for (let i = 0; i < rounds; i++) for (const [name, us] of Object.entries(await frontCpuPerRequest(requests))) (fronts[name] ??= []).push(us);
  console.log(`\nThe front alone, over a pipe stub, 16 in flight (${rounds} rounds, alternated)`);
  const median = (runs: number[]) => [...runs].sort((a, b) => a - b)[Math.floor(runs.length / 2)]!.toFixed(1);
  console.log(["| front | CPU µs/request (median) |", "| --- | ---: |", ...Object.entries(fronts).map(([name, runs]) => `| ${name} | ${median(runs)} |`)].join("\n"));
}
