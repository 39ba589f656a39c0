/**
 * The floor under a fan-out: what 1,000 bare TLS round trips cost on Bun,
 * with none of RestPipe (no pipe, frames, limiter or front). A server writes
 * one 64-byte message to each of N TLS sockets; a child process holding the
 * N client sockets echoes each back; a round ends when every echo is in.
 * The gap between this and bench:fanout's server CPU is what our own code
 * costs per fan-out.
 *
 *   FLOOR_N=1000 FLOOR_ROUNDS=50 bun test/bench/fanout-floor.ts
 *   FLOOR_PIN=1 bun test/bench/fanout-floor.ts     (server on CPU 0, echo clients on CPU 1)
 *   FLOOR_SCRATCH=1 bun test/bench/fanout-floor.ts (each write a 64-byte view of one 256 KiB buffer, as the pipe's outbox writes)
 *   FLOOR_TURNS=32 bun test/bench/fanout-floor.ts  (32 writes per turn of the event loop, setImmediate between, as the fan-out sends)
 *
 * Loopback only; bounded in count and time; cleans up.
 */
import type { Socket } from "bun";
import { percentile } from "./_load.ts";
import { cpuSeconds } from "./_proc.ts";
import { swarmPki } from "./_swarm-pki.ts";

const env = process.env;
const N = Number(env["FLOOR_N"] ?? 1_000);
const ROUNDS = Number(env["FLOOR_ROUNDS"] ?? 50);
const SCRATCH = env["FLOOR_SCRATCH"] === "1" ? new Uint8Array(256 * 1024 + 128).fill(7) : undefined;
const MESSAGE = SCRATCH ? SCRATCH.subarray(0, 64) : new Uint8Array(64).fill(7);
const TURNS = Number(env["FLOOR_TURNS"] ?? 0);
const fmt = (x: number) => x.toFixed(1);

/** The child: N TLS clients that echo what they get. */
async function clients(port: number): Promise<void> {
  let open = 0;
  for (let i = 0; i < N; i++) {
    await Bun.connect({
      hostname: "127.0.0.1",
      port,
      tls: { rejectUnauthorized: false },
      socket: {
        open: () => void open++,
        data: (socket, chunk) => void socket.write(chunk),
        close: () => {},
        error: () => {},
      },
    });
  }
  console.log(`open ${open}`);
  await new Promise(() => {}); // until the parent kills it
}

async function main(): Promise<void> {
  const pki = await swarmPki(1, (line) => console.error(`floor: ${line}`));
  const sockets: Array<Socket<undefined>> = [];
  let waiting = 0;
  let roundDone: (() => void) | undefined;
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    tls: { key: pki.server.keyPem, cert: pki.server.certPem },
    socket: {
      open: (socket) => {
        socket.setNoDelay(true);
        sockets.push(socket);
      },
      data: () => {
        if (--waiting === 0) roundDone?.();
      },
      close: () => {},
      error: () => {},
    },
  });
  const pin = env["FLOOR_PIN"] === "1";
  if (pin) Bun.spawnSync(["taskset", "-a", "-p", "-c", "0", String(process.pid)], { stdout: "ignore" });
  const child = Bun.spawn([...(pin ? ["taskset", "-c", "1"] : []), process.execPath, import.meta.path, "clients", String(server.port)], { stdout: "pipe", stderr: "inherit", env: { ...env } });
  try {
    const reader = child.stdout.getReader();
    const first = await reader.read();
    if (!new TextDecoder().decode(first.value).startsWith("open")) throw new Error("Cannot start the echo clients");
    const deadline = Date.now() + 30_000;
    while (sockets.length < N && Date.now() < deadline) await Bun.sleep(50);
    await Bun.sleep(500);
    const times: number[] = [];
    const cpu0 = { server: process.cpuUsage(), child: cpuSeconds(child.pid) };
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = performance.now();
      const done = new Promise<void>((resolve) => (roundDone = resolve));
      waiting = sockets.length;
      if (TURNS > 0) {
        for (let at = 0; at < sockets.length; at += TURNS) {
          for (const socket of sockets.slice(at, at + TURNS)) socket.write(MESSAGE);
          await new Promise((resolve) => setImmediate(resolve));
        }
      } else for (const socket of sockets) socket.write(MESSAGE);
      await Promise.race([done, Bun.sleep(10_000)]);
      times.push(performance.now() - t0);
    }
    const serverCpu = process.cpuUsage(cpu0.server);
    const serverMs = (serverCpu.user + serverCpu.system) / 1000 / ROUNDS;
    const childMs = ((cpuSeconds(child.pid) - cpu0.child) * 1000) / ROUNDS;
    const load = (await Bun.file("/proc/loadavg").text()).trim();
    console.log(`fanout-floor: ${sockets.length} bare Bun TLS sockets, 64-byte echo, ${ROUNDS} rounds${pin ? ", server CPU 0, clients CPU 1" : ""}${SCRATCH ? ", views of one 256 KiB buffer" : ""}${TURNS > 0 ? `, ${TURNS} writes per turn` : ""} (loadavg ${load})`);
    console.log("| measure | value |\n| --- | ---: |");
    console.log(`| round (write to all, every echo back): p50 / p99 (ms) | ${fmt(percentile(times, 50))} / ${fmt(percentile(times, 99))} |`);
    console.log(`| CPU ms per round: server / echo clients | ${fmt(serverMs)} / ${fmt(childMs)} |`);
  } finally {
    child.kill("SIGKILL");
    server.stop(true);
  }
}

if (import.meta.main) {
  if (process.argv[2] === "clients") await clients(Number(process.argv[3]));
  else {
    await main();
    process.exit(0);
  }
}
