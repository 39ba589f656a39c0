/**
 * rp-server from source under Deno, with the Bun-built dist/rp-client: the
 * seed's examples and a JSON POST both ways, and the clients a server must
 * refuse (another CA, expired, no certificate, too slow to shake hands),
 * while the good client keeps working. Ends with a graceful SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { realpathSync } from "node:fs";
import { connect, type Socket } from "node:net";
import {
  DENO,
  denoLauncher,
  FAST_RETRY,
  makeTestPki,
  refusal,
  startClientProcess,
  startServerProcess,
  type ClientProcess,
  type ServerProcess,
  type TestPki,
} from "../support/index.ts";
import { bigBodyEachWay, jsonPostEachWay, SEED_AND_ECHO, seedExamples } from "../support/interop.ts";
import { describeRefusals } from "../support/refusal-scenarios.ts";

const HANDSHAKE_TIMEOUT_MS = 1_000;

let pki: TestPki;
let server: ServerProcess;
let good: ClientProcess;
const started: ClientProcess[] = [];

beforeAll(async () => {
  pki = await makeTestPki();
  server = await startServerProcess(
    pki.server.dir,
    {
      RP_EVENT_HANDLER: SEED_AND_ECHO,
      FIXTURE_ROLE: "server",
      RP_SERVER_HANDSHAKE_TIMEOUT_S: String(HANDSHAKE_TIMEOUT_MS / 1000),
      RP_SERVER_MAX_PENDING_HANDSHAKES: "2",
    },
    [],
    denoLauncher("rp-server"),
  );
  good = await startClientProcess((await pki.client("bun-client")).dir, server.pipePort, { RP_EVENT_HANDLER: SEED_AND_ECHO, FIXTURE_ROLE: "client" });
  await server.proc.waitForMessage("client connected", { client: "bun-client" });
});

afterAll(async () => {
  await Promise.all([...started, good].map((client) => client?.proc.stop()));
  await server?.proc.stop("SIGKILL");
  await pki?.cleanup();
});

const pair = () => ({ serverHttp: server.http, clientHttp: good.http, clientCn: "bun-client" });

async function goodStillWorks(): Promise<void> {
  expect(await (await fetch(`${server.http}/client/bun-client/cat//still/%20here`)).json()).toEqual({ result_from_client: "still here" });
}

describe("Deno rp-server ↔ Bun dist/rp-client", () => {
  test("the server runs on Deno and loads the handler module there", async () => {
    expect(realpathSync(`/proc/${server.proc.pid}/exe`)).toBe(realpathSync(DENO));
    const record = await server.proc.waitForMessage("handlers loaded");
    expect(record["handlers"]).toBe("get_cat get_time post_bytes post_echo");
    expect(server.proc.logs.some((r) => /legacy behavior|Listening on/.test(r.msg))).toBe(false); // no stray output from Deno
  });

  test("the seed's four curl examples", async () => {
    await seedExamples(pair());
  });

  test("a JSON POST each way", async () => {
    await jsonPostEachWay(pair(), "localhost");
  });

  test("a 12 MiB body echoed each way", async () => {
    await bigBodyEachWay(pair());
  });
});

// Deno reports a refused certificate only as a close mid-handshake, without the reason (see src/runtime/deno/tls-server.ts).
const CERTIFICATE_REFUSED = /^closed during the TLS handshake .*another CA, expired or not yet valid/;

async function startRefused(dir: string): Promise<ClientProcess> {
  const client = await startClientProcess(dir, server.pipePort, FAST_RETRY);
  started.push(client);
  return client;
}

describeRefusals("clients the Deno server refuses", {
  server: () => server,
  pki: () => pki,
  startRefused,
  goodStillWorks,
  reasons: { foreignCa: CERTIFICATE_REFUSED, expired: CERTIFICATE_REFUSED, notYetValid: CERTIFICATE_REFUSED, withSubject: false },
});

describe("connections the Deno server cuts", () => {
  test("connections that never start the handshake: cut after the timeout, and past the pending limit at once", async () => {
    // The refused clients of the tests above keep redialling; one mid-handshake would hold a pending slot.
    await Promise.all(started.splice(0).map((client) => client.proc.stop()));
    const mark = server.proc.logs.length;
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const socket = connect(server.pipePort, "127.0.0.1");
        sockets.push(socket);
        await new Promise((resolve) => socket.once("connect", resolve));
      }
      await server.proc.waitForLog(refusal(/^2 handshakes already pending \(the limit\)$/), 5_000, mark);
      const started = performance.now();
      await server.proc.waitForLog(refusal(new RegExp(`^no TLS handshake within ${HANDSHAKE_TIMEOUT_MS} ms$`)), 5_000, mark);
      const elapsed = performance.now() - started;
      expect(elapsed).toBeLessThan(HANDSHAKE_TIMEOUT_MS + 1_500); // elapsed was ${elapsed}
      const timeouts = () => server.proc.logs.slice(mark).filter(refusal(/^no TLS handshake within/)).length;
      const deadline = performance.now() + 3_000;
      while (timeouts() < 2 && performance.now() < deadline) await Bun.sleep(50);
      expect(timeouts()).toBe(2);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
    // The good client finished its handshake long ago: the timeout must not have touched it.
    expect(server.proc.logs.some((r) => r.msg === "client disconnected")).toBe(false);
    await goodStillWorks();
  });
});

describe("shutdown", () => {
  test("SIGTERM drains and exits 0", async () => {
    expect(await server.proc.stop("SIGTERM")).toBe(0);
    expect(server.proc.logs.map((r) => r.msg)).toContain("stopped");
  });
});
