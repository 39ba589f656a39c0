/**
 * A fleet of one rp-server from source under Deno and one Bun-built
 * dist/rp-server on one nats-server: the NATS client, the peer link and
 * forwarding work on both runtimes, both ways.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { denoLauncher, FIXTURE_HANDLERS, makeTestPki, startClientProcess, startServerProcess, type ClientProcess, type ServerProcess, type TestPki } from "../support/index.ts";
import { fleetEnv, reachable, startFleetServer } from "../support/fleet.ts";
import { startNats, type NatsServer } from "../support/nats.ts";

let pki: TestPki;
let nats: NatsServer;
const processes: Array<ServerProcess | ClientProcess> = [];
let onDeno: ServerProcess;
let onBun: ServerProcess;

beforeAll(async () => {
  pki = await makeTestPki();
  nats = await startNats();
  onDeno = await startServerProcess(pki.server.dir, fleetEnv(nats), [], denoLauncher("rp-server"));
  processes.push(onDeno);
  await onDeno.proc.waitForMessage("joined the fleet", {}, 30_000);
  onBun = await startFleetServer(pki.server.dir, nats);
  processes.push(onBun);
  for (const [cn, server] of [["edge-deno", onDeno], ["edge-bun", onBun]] as const) {
    const identity = await pki.client(cn);
    processes.push(await startClientProcess(identity.dir, server.pipePort, { RP_EVENT_HANDLER: FIXTURE_HANDLERS, FIXTURE_NAME: cn }));
    await server.proc.waitForMessage("client connected", { client: cn });
  }
}, 90_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.proc.stop("SIGKILL")));
  await nats?.stop();
  await pki?.cleanup();
});

test("the Deno server's front reaches the Bun server's client and the other way round", async () => {
  await reachable(`${onDeno.http}/client/edge-bun/whoami`, 20_000);
  await reachable(`${onBun.http}/client/edge-deno/whoami`, 20_000);
  for (const [front, cn] of [
    [onDeno, "edge-bun"],
    [onBun, "edge-deno"],
  ] as const) {
    const response = await fetch(`${front.http}/client/${cn}/whoami//x`);
    expect(await response.json()).toEqual({ name: cn, tag: "x" });
  }
}, 60_000);
