/**
 * `bun test/bench/redial-rate.ts`: how often a fleet redials a server that
 * went down at t=0 and stays down, from the client's own backoff function
 * (the dial loop's schedule: one delay per failed attempt, the attempt count
 * never reset while nothing connects). A refused dial is taken as instant.
 * Prints dials per second of the fleet for the first seconds and at the cap.
 * Pure computation: no sockets. REDIAL_N (10,000), REDIAL_S (30).
 */
import { backoff } from "../../src/client/index.ts";
import { loadClientConfig } from "../../src/config/index.ts";

const n = Number(process.env["REDIAL_N"] ?? 10_000);
const seconds = Number(process.env["REDIAL_S"] ?? 30);
const { reconnectBaseMs: baseMs, reconnectCapMs: capMs } = loadClientConfig({ env: {}, flags: {} });
const perSecond = new Array<number>(seconds).fill(0);
for (let client = 0; client < n; client++) {
  let at = 0;
  for (let attempt = 0; ; attempt++) {
    at += backoff(attempt, { baseMs, capMs });
    if (at >= seconds * 1_000) break;
    perSecond[Math.floor(at / 1_000)]!++;
  }
}
const steady = perSecond.slice(-10);
console.log(`${n} clients, base ${baseMs} ms, cap ${capMs} ms, server down from t=0:`);
console.log("| second | dials |\n| ---: | ---: |");
perSecond.slice(0, 6).forEach((dials, second) => console.log(`| ${second}-${second + 1} s | ${dials.toLocaleString("en")} |`));
console.log(`| last 10 s, mean | ${Math.round(steady.reduce((a, b) => a + b, 0) / steady.length).toLocaleString("en")} |`);
console.log(`| last 10 s, max | ${Math.max(...steady).toLocaleString("en")} |`);
