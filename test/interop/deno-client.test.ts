/**
 * rp-client from source under Deno, with the Bun-built dist/rp-server: the
 * seed's examples and a JSON POST both ways, the client front on a unix
 * socket (Deno.serve), and a dial the Deno client must refuse.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createPrivateKey } from "node:crypto";
import { realpathSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  DENO,
  denoLauncher,
  makeTestPki,
  NodeProcess,
  startClientProcess,
  startServerProcess,
  type ClientProcess,
  type ServerProcess,
  type TestPki,
} from "../support/index.ts";
import { bigBodyEachWay, jsonPostEachWay, SEED_AND_ECHO, seedExamples } from "../support/interop.ts";

let pki: TestPki;
let server: ServerProcess;
let client: ClientProcess;
const started: ClientProcess[] = [];

beforeAll(async () => {
  pki = await makeTestPki();
  server = await startServerProcess(pki.server.dir, { RP_EVENT_HANDLER: SEED_AND_ECHO, FIXTURE_ROLE: "server" });
  const identity = await pki.client("deno-client");
  client = await startClientProcess(identity.dir, server.pipePort, { RP_EVENT_HANDLER: SEED_AND_ECHO, FIXTURE_ROLE: "client" }, [], denoLauncher("rp-client"));
  await server.proc.waitForMessage("client connected", { client: "deno-client" });
});

afterAll(async () => {
  await Promise.all([...started, client].map((c) => c?.proc.stop("SIGKILL")));
  await server?.proc.stop();
  await pki?.cleanup();
});

describe("Bun dist/rp-server ↔ Deno rp-client", () => {
  test("the client runs on Deno", () => {
    expect(realpathSync(`/proc/${client.proc.pid}/exe`)).toBe(realpathSync(DENO));
  });

  test("the seed's four curl examples", async () => {
    await seedExamples({ serverHttp: server.http, clientHttp: client.http, clientCn: "deno-client" });
  });

  test("a JSON POST each way", async () => {
    await jsonPostEachWay({ serverHttp: server.http, clientHttp: client.http, clientCn: "deno-client" }, "localhost");
  });

  test("a 12 MiB body echoed each way", async () => {
    await bigBodyEachWay({ serverHttp: server.http, clientHttp: client.http, clientCn: "deno-client" });
  });

  test("a 96 MiB body streamed each way (echoed as a stream while it arrives)", async () => {
    await bigBodyEachWay({ serverHttp: server.http, clientHttp: client.http, clientCn: "deno-client" }, 96 * 1024 * 1024);
  }, 60_000);

  test("the Deno client front on a unix socket", async () => {
    const socketPath = join(pki.dir, "deno-front.sock");
    const unixClient = await startClientProcess((await pki.client("deno-unix")).dir, server.pipePort, {}, ["--http", `unix:${socketPath}`], denoLauncher("rp-client"));
    started.push(unixClient);
    expect(unixClient.http).toBe(`unix:${socketPath}`);
    await server.proc.waitForMessage("client connected", { client: "deno-unix" });
    const response = await fetch("http://localhost/server/cat//via/%20unix", { unix: socketPath });
    expect(await response.json()).toEqual({ result_from_server: "via unix" });
  });

  test("a server certificate that does not carry the dialled name is refused by the Deno client", async () => {
    const wrong = await startClientProcess((await pki.client("misdialled")).dir, server.pipePort, {}, ["--server-name", "rp.example.com"], denoLauncher("rp-client"));
    started.push(wrong);
    const line = await wrong.proc.waitForMessage("cannot connect to the server");
    expect(String(line["reason"])).toMatch(/^Cannot connect to 127\.0\.0\.1:\d+: server certificate does not match the name/);
    // node:tls checks the name after the handshake (the server sees a connection come and go); no pipe is opened.
    expect(wrong.proc.logs.some((r) => r.msg === "connected to the server")).toBe(false);
  });

  test("set-identity on Deno stores an encrypted key, and the Deno client dials with its passphrase", async () => {
    const plain = await pki.client("sealed");
    const keyPath = join(pki.dir, "sealed.enc.key.pem");
    const sealed = createPrivateKey(plain.keyPem).export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "s3cret" });
    writeFileSync(keyPath, String(sealed), { mode: 0o600 });
    const dir = join(pki.dir, "sealed-identity");
    const env = { RP_CLIENT_KEY_PASSPHRASE: "s3cret" };
    const launcher = denoLauncher("rp-client");
    const store = new NodeProcess([...launcher.argv, "set-identity", keyPath, plain.certPath, plain.caPath, "--identity-dir", dir], { ...launcher.env, ...env }, launcher.cwd);
    expect(await store.exited).toBe(0);
    expect(statSync(join(dir, "client.key.pem")).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const sealedClient = await startClientProcess(dir, server.pipePort, env, [], denoLauncher("rp-client"));
    started.push(sealedClient);
    await server.proc.waitForMessage("client connected", { client: "sealed" });
    expect(await (await fetch(`${sealedClient.http}/server/cat//sealed`)).json()).toEqual({ result_from_server: "sealed" });
  });

  test("failover on Deno: two servers listed (one by name), kill -9 of the one in use, on the other one", async () => {
    const second = await startServerProcess(pki.server.dir);
    const spare = await startServerProcess(pki.server.dir);
    const identity = await pki.client("deno-roamer");
    const list = `127.0.0.1:${second.pipePort},localhost:${spare.pipePort}`;
    const roamer = await startClientProcess(identity.dir, 1, {}, ["--server-host", list], denoLauncher("rp-client"));
    started.push(roamer);
    try {
      const holders = [second, spare];
      const first = await Promise.race(holders.map((s) => s.proc.waitForMessage("client connected", { client: "deno-roamer" }, 20_000).then(() => s)));
      const other = holders.find((s) => s !== first)!;
      await roamer.proc.waitForMessage("connected to the server");
      const mark = other.proc.logs.length;
      const killedAt = performance.now();
      first.proc.signal("SIGKILL");
      await other.proc.waitForMessage("client connected", { client: "deno-roamer" }, 10_000, mark);
      const ms = performance.now() - killedAt;
      console.log(`Deno client failover after kill -9: connected to the other server ${ms.toFixed(0)} ms after the kill`);
      expect(ms).toBeLessThan(3_000); // was ${ms}
      expect((await fetch(`${other.http}/client/deno-roamer/time`)).status).toBe(200);
    } finally {
      await Promise.all([second.proc.stop("SIGKILL"), spare.proc.stop("SIGKILL")]);
    }
  });

  test("SIGTERM drains and exits 0", async () => {
    expect(await client.proc.stop("SIGTERM")).toBe(0);
    expect(client.proc.logs.map((r) => r.msg)).toContain("stopped");
  });
});
