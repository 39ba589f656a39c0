/**
 * Revocation with a Deno server (Deno's node:tls ignores CRLs; the adapter
 * checks them itself): the built-in CA of the Bun binary revokes a client,
 * the Deno server picks the new CRL up, switches its listener to it, cuts the
 * revoked client off and refuses its reconnects; the other client carries on.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  denoLauncher,
  FAST_RETRY,
  refusal,
  runBinary,
  startClientProcess,
  startServerProcess,
  type ClientProcess,
  type ServerProcess,
} from "../support/index.ts";

let work: string;
let serverDir: string;
let server: ServerProcess;
const clients: ClientProcess[] = [];

async function ok(name: "rp-server" | "rp-client", args: string[], env: Record<string, string> = {}): Promise<string> {
  const result = await runBinary(name, args, env);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  return result.stdout;
}

/** `rp-server ca issue --cn NAME` and a client identity directory from its bundle. */
async function clientIdentity(cn: string): Promise<string> {
  await ok("rp-server", ["ca", "issue", "--cn", cn], { RP_SERVER_CERT_PATH: serverDir });
  const dir = join(work, `client-${cn}`);
  await ok("rp-client", ["set-identity", "--bundle", join(serverDir, "ca", `${cn}.bundle.pem`), "--identity-dir", dir]);
  return dir;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "restpipe-deno-revocation-"));
  serverDir = join(work, "server");
  const env = { RP_SERVER_CERT_PATH: serverDir };
  await ok("rp-server", ["ca", "init"], env);
  await ok("rp-server", ["ca", "issue", "--server", "--san", "localhost", "--san", "127.0.0.1"], env);
  await ok("rp-server", ["set-identity", "--bundle", join(serverDir, "ca", "localhost.bundle.pem")], env);
  server = await startServerProcess(serverDir, { RP_SERVER_CLIENT_WAIT_S: "0.3", RP_SERVER_IDENTITY_POLL_S: "0.2" }, [], denoLauncher("rp-server"));
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.proc.stop()));
  await server?.proc.stop();
  await rm(work, { recursive: true, force: true });
});

describe("revocation on a Deno server", () => {
  test("a revoked client is cut off and refused from then on; the other one carries on", async () => {
    const [alice, bob] = await Promise.all([clientIdentity("alice"), clientIdentity("bob")]);
    for (const dir of [alice, bob]) clients.push(await startClientProcess(dir, server.pipePort, FAST_RETRY));
    await server.proc.waitForMessage("client connected", { client: "alice" });
    await server.proc.waitForMessage("client connected", { client: "bob" });
    const mark = server.proc.logs.length;

    const revoked = await ok("rp-server", ["ca", "revoke", "alice"], { RP_SERVER_CERT_PATH: serverDir });
    const serial = /serial ([0-9a-f]+)/.exec(revoked)![1];
    await server.proc.waitForMessage("pipe listener switched to the new identity", {}, 10_000, mark);
    await server.proc.waitForMessage("client revoked: disconnecting", { client: "alice", serial }, 10_000, mark);
    const refused = await server.proc.waitForLog(refusal(new RegExp(`^certificate has been revoked \\(serial ${serial}\\)$`), "CN=alice"), 10_000, mark);
    expect(refused["remote"]).toMatch(/^127\.0\.0\.1:\d+$/);
    expect((await fetch(`${server.http}/client/alice/time`)).status).toBe(503);

    expect(await (await fetch(`${server.http}/client/bob/cat//still%20here`)).json()).toEqual({ result_from_client: "still here" });
    expect(server.proc.logs.some((r) => r.msg === "client disconnected" && r["client"] === "bob")).toBe(false);
  });
});
