/**
 * One process of a swarm split over several (swarm.ts, SWARM_PROCS): dials
 * clients SWARM_WORKER_FROM ≤ i < SWARM_WORKER_TO to the server on
 * 127.0.0.1:SWARM_PORT, says so on standard error as a JSON log line
 * ("swarm worker connected"), and keeps them (their dial loops reconnect by
 * themselves) until SIGTERM. Real clients are processes of their own; ten
 * thousand in one process pause for its collector (up to 24 ms at 800 MiB),
 * and this tells whether that shows in the latency measured through the server.
 */
import { swarmPki } from "./_swarm-pki.ts";
import { dialRange } from "./_swarm-dial.ts";

const env = process.env;
const from = Number(env["SWARM_WORKER_FROM"]);
const to = Number(env["SWARM_WORKER_TO"]);
const say = (msg: string, fields: Record<string, unknown> = {}) => console.error(JSON.stringify({ msg, ...fields }));
const pki = await swarmPki(to, () => {});
const swarm = dialRange(pki, {
  from,
  to,
  port: Number(env["SWARM_PORT"]),
  sources: Number(env["SWARM_SOURCES"] ?? 1),
  dialConcurrency: Number(env["SWARM_DIAL_CONCURRENCY"] ?? 32),
});
process.on("SIGTERM", () => {
  swarm.stop();
  process.exit(0);
});
try {
  await swarm.connected;
  say("swarm worker connected", { clients: to - from });
} catch (error) {
  say("swarm worker failed", { error: (error as Error).message });
  process.exit(1);
}
