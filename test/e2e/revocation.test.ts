/**
 * Revocation on the binaries: `rp-server ca revoke NAME` signs a new CRL and
 * installs it in the server's identity directory; the running server picks it
 * up (no restart, no signal), cuts the revoked client off and refuses it from
 * then on, while other clients carry on. A client revoked before it ever
 * connects is refused on connect.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBinary, startClientProcess, startServerProcess, type ClientProcess, type LogRecord, type ServerProcess } from "../support/index.ts";

let work: string;
let serverDir: string;
let server: ServerProcess;
const clients: ClientProcess[] = [];

const QUICK_RETRY = { RP_CLIENT_RECONNECT_BASE_S: "0.1", RP_CLIENT_RECONNECT_CAP_S: "0.5" };

async function ok(args: string[], env: Record<string, string>): Promise<string> {
  const result = await runBinary(args[0] as "rp-server" | "rp-client", args.slice(1), env);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  return result.stdout;
}

/** `rp-server ca issue --cn NAME`, then `rp-client set-identity --bundle` into a directory of its own. */
async function clientIdentity(cn: string): Promise<string> {
  const env = { RP_SERVER_CERT_PATH: serverDir };
  await ok(["rp-server", "ca", "issue", "--cn", cn], env);
  const dir = join(work, `client-${cn}`);
  await ok(["rp-client", "set-identity", "--bundle", join(serverDir, "ca", `${cn}.bundle.pem`), "--identity-dir", dir], {});
  return dir;
}

async function startClient(dir: string): Promise<ClientProcess> {
  const client = await startClientProcess(dir, server.pipePort, QUICK_RETRY);
  clients.push(client);
  return client;
}

const revoke = (name: string) => runBinary("rp-server", ["ca", "revoke", name], { RP_SERVER_CERT_PATH: serverDir });

function refusedAsRevoked(cn: string) {
  return (record: LogRecord) =>
    record.msg === "refused client connection" && /^certificate has been revoked/.test(String(record["reason"])) && record["subject"] === `CN=${cn}`;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "restpipe-revocation-"));
  serverDir = join(work, "server");
  const env = { RP_SERVER_CERT_PATH: serverDir };
  await ok(["rp-server", "ca", "init"], env);
  await ok(["rp-server", "ca", "issue", "--server", "--san", "localhost", "--san", "127.0.0.1"], env);
  await ok(["rp-server", "set-identity", "--bundle", join(serverDir, "ca", "localhost.bundle.pem")], env);
  server = await startServerProcess(serverDir, { RP_SERVER_CLIENT_WAIT_S: "0.3" });
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.proc.stop()));
  await server?.proc.stop();
  await rm(work, { recursive: true, force: true });
});

describe("revocation", () => {
  test("a connected client is cut off within seconds, with a clear line on both sides; the others are unaffected", async () => {
    const [alice, bob] = await Promise.all([clientIdentity("alice"), clientIdentity("bob")]);
    const [aliceProcess, bobProcess] = [await startClient(alice), await startClient(bob)];
    await server.proc.waitForMessage("client connected", { client: "alice" });
    await server.proc.waitForMessage("client connected", { client: "bob" });
    const mark = server.proc.logs.length;

    const started = performance.now();
    const revoked = await revoke("alice");
    expect(revoked).toMatchObject({ code: 0, stderr: "" });
    expect(revoked.stdout).toMatch(/^revoked client CN=alice serial [0-9a-f]{32}\n/);
    expect(revoked.stdout).toContain(`installed it as ${join(serverDir, "server.crl.pem")}`);

    const cut = await server.proc.waitForMessage("client revoked: disconnecting", { client: "alice" }, 10_000, mark);
    const cutMs = performance.now() - started;
    expect(cut["serial"]).toBe(/serial ([0-9a-f]+)/.exec(revoked.stdout)![1]);
    expect(cutMs).toBeLessThan(5_000); // cutMs was ${cutMs}
    console.log(`revoked client cut off ${cutMs.toFixed(0)} ms after \`ca revoke\` returned`);
    await server.proc.waitForMessage("client disconnected", { client: "alice" }, 5_000, mark);
    await aliceProcess.proc.waitForMessage("lost the pipe to the server");

    // Its reconnects are refused during the handshake, and the client says why it thinks it was dropped.
    await server.proc.waitForLog(refusedAsRevoked("alice"), 10_000, mark);
    await aliceProcess.proc.waitForLog((r) => r.msg === "cannot connect to the server" && String(r["reason"]).includes("certificate rejected?"));
    expect((await fetch(`${server.http}/client/alice/time`)).status).toBe(503);

    // Bob never noticed.
    expect(await (await fetch(`${server.http}/client/bob/cat//still%20here`)).json()).toEqual({ result_from_client: "still here" });
    expect(server.proc.logs.some((r) => r.msg === "client disconnected" && r["client"] === "bob")).toBe(false);
    expect(bobProcess.proc.logs.some((r) => r.msg === "lost the pipe to the server")).toBe(false);
  });

  test("a client revoked before it ever connects is refused on connect", async () => {
    const carol = await clientIdentity("carol");
    const mark = server.proc.logs.length;
    expect((await revoke("carol")).code).toBe(0);
    await server.proc.waitForLog((r) => r.msg === "identity reloaded" && r["revoked"] === 2, 10_000, mark);
    const carolProcess = await startClient(carol);
    await server.proc.waitForLog(refusedAsRevoked("carol"), 10_000, mark);
    const line = await carolProcess.proc.waitForMessage("cannot connect to the server");
    expect(String(line["reason"])).toStartWith("closed by the server before the first reply: certificate rejected?");
    expect(server.proc.logs.some((r) => r.msg === "client connected" && r["client"] === "carol")).toBe(false);
  });

  test("revoking again, or someone unknown, is an error that changes nothing", async () => {
    expect(await revoke("carol")).toMatchObject({ code: 1, stderr: 'rp-server: Cannot revoke "carol": already revoked' });
    const unknown = await revoke("mallory");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toStartWith('rp-server: Cannot revoke "mallory": no certificate with that CN or serial');
    const list = await runBinary("rp-server", ["ca", "list"], { RP_SERVER_CERT_PATH: serverDir });
    expect(list.stdout.split("\n").filter((line) => / revoked \d{4}-/.test(line)).map((line) => line.split(" ")[0])).toEqual(["alice", "carol"]);
  });
});
