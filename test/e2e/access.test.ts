/**
 * Access control and leaks on the compiled binaries: a token-protected front
 * on 127.0.0.2, the refusal of a front beyond loopback without a token and of
 * a private key others may read, and logs that hold neither bodies, nor key
 * material, nor the token.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, cpSync } from "node:fs";
import { join } from "node:path";
import {
  binary,
  FIXTURE_HANDLERS,
  makeTestPki,
  NodeProcess,
  startConnectedPair,
  startServerProcess,
  type ClientProcess,
  type FileIdentity,
  type ServerProcess,
  type TestPki,
} from "../support/index.ts";

const SERVER_TOKEN = "server-token-7f3a9c";
const CLIENT_TOKEN = "client-token-51be02";

let pki: TestPki;
let clientIdentity: FileIdentity;
let server: ServerProcess;
let client: ClientProcess;

beforeAll(async () => {
  pki = await makeTestPki();
  clientIdentity = await pki.client("guarded");
  const debug = { DEBUG: "1", RP_EVENT_HANDLER: FIXTURE_HANDLERS };
  ({ server, client } = await startConnectedPair(pki.server.dir, clientIdentity, {
    serverEnv: { ...debug, RP_SERVER_HTTP_TOKEN: SERVER_TOKEN },
    clientEnv: { ...debug, RP_CLIENT_HTTP_TOKEN: CLIENT_TOKEN },
    serverArgs: ["--http", "127.0.0.2:0"],
    clientArgs: ["--http", "127.0.0.2:0"],
  }));
});

afterAll(async () => {
  await Promise.all([client?.proc.stop(), server?.proc.stop()]);
  await pki?.cleanup();
});

async function run(name: "rp-server" | "rp-client", args: string[], env: Record<string, string> = {}) {
  const proc = new NodeProcess([binary(name), ...args], env);
  const code = await proc.exited;
  await Bun.sleep(0); // let the last output lines be collected
  return { code, stderr: proc.logs.map((r) => r.msg).join("\n") };
}

describe("a token-protected front on 127.0.0.2", () => {
  test("listens there only", async () => {
    expect(server.http).toStartWith("http://127.0.0.2:");
    const elsewhere = server.http.replace("127.0.0.2", "127.0.0.1");
    expect(await fetch(`${elsewhere}/client/guarded/time`).then(() => "answered", () => "refused")).toBe("refused");
  });

  test("without the token 401 with WWW-Authenticate; with it 200; both fronts", async () => {
    for (const [url, token] of [[`${server.http}/client/guarded/time`, SERVER_TOKEN], [`${client.http}/server/time`, CLIENT_TOKEN]] as const) {
      const without = await fetch(url);
      expect([without.status, without.headers.get("www-authenticate"), await without.json()]).toEqual([
        401,
        'Bearer realm="restpipe"',
        { error: "Cannot accept request: it needs an Authorization: Bearer <token> header" },
      ]);
      const wrong = await fetch(url, { headers: { authorization: "Bearer guess" } });
      expect([wrong.status, await wrong.json()]).toEqual([401, { error: "Cannot accept request: the bearer token is wrong" }]);
      const right = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(right.status).toBe(200);
    }
  });
});

describe("start-up refusals", () => {
  test("a front beyond loopback without a token", async () => {
    const result = await run("rp-server", ["start", "--identity-dir", pki.server.dir, "--http", "0.0.0.0:0"]);
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n").map((line) => line.trim())).toEqual([
      "rp-server: invalid configuration:",
      '--http="0.0.0.0:0": listening beyond loopback needs RP_SERVER_HTTP_TOKEN',
    ]);
  });

  test.each([
    ["rp-server", "server", "0644", "readable"],
    ["rp-client", "client", "0640", "readable"],
    ["rp-client", "client", "0620", "accessible"],
  ] as const)("%s with a %s key of mode %s", async (program, role, octal, what) => {
    const mode = parseInt(octal, 8);
    const dir = join(pki.dir, `open-key-${program}-${octal}`);
    cpSync(role === "server" ? pki.server.dir : clientIdentity.dir, dir, { recursive: true });
    const key = join(dir, `${role}.key.pem`);
    chmodSync(key, mode);
    const port = program === "rp-server" ? ["--port", "0"] : ["--server-port", "1"];
    const result = await run(program, ["start", "--identity-dir", dir, "--http", "127.0.0.1:0", ...port]);
    expect(result).toEqual({ code: 1, stderr: `${program}: Cannot start: the private key ${key} is ${what} by group or others (mode ${octal}); run: chmod 600 ${key}` });
  });
});

test("a key opened to others after start: a reload (SIGHUP) is refused and the current identity kept", async () => {
  const dir = join(pki.dir, "opened-later");
  cpSync(pki.server.dir, dir, { recursive: true });
  const running = await startServerProcess(dir);
  try {
    const key = join(dir, "server.key.pem");
    chmodSync(key, 0o644);
    process.kill(running.proc.pid, "SIGHUP");
    const failed = await running.proc.waitForMessage("identity reload failed: keeping the current identity");
    expect(failed["reason"]).toBe(`Cannot reload the identity: the private key ${key} is readable by group or others (mode 0644); run: chmod 600 ${key}`);
  } finally {
    await running.proc.stop();
  }
});

describe("no leaks (DEBUG=1, the most verbose logs)", () => {
  test("bodies, key material and tokens never reach the logs; a handler error in debug carries its stack", async () => {
    const marker = "BODY-MARKER-d41d8cd9";
    const post = (url: string, token: string) =>
      fetch(url, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ marker }) });
    expect((await post(`${server.http}/client/guarded/echo`, SERVER_TOKEN)).status).toBe(200);
    expect((await post(`${client.http}/server/echo`, CLIENT_TOKEN)).status).toBe(200);
    expect((await post(`${client.http}/server/no-such-handler`, CLIENT_TOKEN)).status).toBe(404);
    const broken = await fetch(`${server.http}/client/guarded/echo`, {
      method: "POST",
      headers: { authorization: `Bearer ${SERVER_TOKEN}`, "content-type": "application/json" },
      body: `{"${marker}": oops`,
    });
    expect(broken.status).toBe(400);
    const failed = await fetch(`${server.http}/client/guarded/fail`, { headers: { authorization: `Bearer ${SERVER_TOKEN}` } });
    const exception = ((await failed.json()) as { exception: Record<string, string> }).exception;
    expect([failed.status, exception["class"], exception["stack"]]).toEqual([500, "RangeError", expect.stringContaining("handlers.ts")]);

    const logs = [...server.proc.logs, ...client.proc.logs].map((record) => JSON.stringify(record));
    expect(logs.length).toBeGreaterThan(5);
    expect(logs.some((line) => line.includes('"level":"debug"'))).toBe(true);
    const keyLines = [pki.server.keyPem, clientIdentity.keyPem].flatMap((pem) => pem.split("\n").filter((line) => line.length > 20 && !line.startsWith("-----")));
    for (const secret of [marker, "PRIVATE KEY", SERVER_TOKEN, CLIENT_TOKEN, ...keyLines]) {
      expect(logs.filter((line) => line.includes(secret))).toEqual([]);
    }
  });
});
