/**
 * Issue 13 item 7: why a pipe ended, told truthfully on both sides (the log, rp-client status, the status page):
 * revocation, replacement by a newer session, shutdown; a revoked client's redials as a counted line on the server.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBinary, startClientProcess, startServerProcess, type ClientProcess, type ServerProcess } from "../support/index.ts";

let work: string;
let serverDir: string;
let server: ServerProcess;
const QUICK_RETRY = { RP_CLIENT_RECONNECT_BASE_S: "0.05", RP_CLIENT_RECONNECT_CAP_S: "0.2" };

async function ok(name: "rp-server" | "rp-client", args: string[], env: Record<string, string> = { RP_SERVER_CERT_PATH: serverDir }): Promise<void> {
  const result = await runBinary(name, args, env);
  expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: "" });
}

async function clientIdentity(cn: string): Promise<string> {
  await ok("rp-server", ["ca", "issue", "--cn", cn]);
  const dir = join(work, `client-${cn}`);
  await ok("rp-client", ["set-identity", "--bundle", join(serverDir, "ca", `${cn}.bundle.pem`), "--identity-dir", dir], {});
  return dir;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "restpipe-reasons-"));
  serverDir = join(work, "server");
  await ok("rp-server", ["ca", "init"]);
  await ok("rp-server", ["ca", "issue", "--server", "--san", "localhost", "--san", "127.0.0.1"]);
  await ok("rp-server", ["set-identity", "--bundle", join(serverDir, "ca", "localhost.bundle.pem")]);
  server = await startServerProcess(serverDir);
});

afterAll(async () => {
  await server?.proc.stop();
  await rm(work, { recursive: true, force: true });
});

type Events = { events: Array<{ kind: string; name: string; reason?: string }> };
const statusOf = async (http: string) => (await (await fetch(`${http}/_rp/status.json`)).json()) as Events & Record<string, unknown>;

/** Waits until the server has an answered heartbeat from `cn`: each side has heard the other's capabilities by then. */
async function heartbeatSeen(http: string, cn: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const clients = (await statusOf(http))["clients"] as Array<{ name: string; rttMs: number | null }>;
    if (clients.some((c) => c.name === cn && c.rttMs !== null)) return;
    await Bun.sleep(50);
  }
}

test("revoked: both logs and both status pages say so; its redials are one counted line", async () => {
  const client = await startClientProcess(await clientIdentity("revokee"), server.pipePort, QUICK_RETRY);
  try {
    await server.proc.waitForMessage("client connected", { client: "revokee" });
    await heartbeatSeen(server.http, "revokee");
    await ok("rp-server", ["ca", "revoke", "revokee"]);
    const cut = await server.proc.waitForMessage("client disconnected", { client: "revokee" });
    expect(String(cut["reason"])).toStartWith("the client certificate has been revoked (serial ");
    const lost = await client.proc.waitForMessage("lost the pipe to the server");
    expect(lost["reason"]).toBe(`closed by the peer: ${String(cut["reason"])}`);
    const serverEvent = (await statusOf(server.http)).events.find((e) => e.kind === "disconnected" && e.name === "revokee");
    expect(serverEvent?.reason).toBe(String(cut["reason"]));
    const clientEvent = (await statusOf(client.http)).events.find((e) => e.kind === "disconnected");
    expect(clientEvent?.reason).toBe(String(lost["reason"]));
    // It redials and is refused: a counted line per CN on the server's page, one refusal line in the log.
    const deadline = performance.now() + 15_000;
    let refused: Array<{ subject: string; count: number }> = [];
    while (performance.now() < deadline) {
      refused = ((await statusOf(server.http))["refused"] as typeof refused) ?? [];
      if ((refused.find((r) => r.subject === "CN=revokee")?.count ?? 0) >= 3) break;
      await Bun.sleep(100);
    }
    expect(refused.find((r) => r.subject === "CN=revokee")?.count ?? 0).toBeGreaterThanOrEqual(3);
    expect(server.proc.logs.filter((r) => r.msg === "refused client connection" && r["subject"] === "CN=revokee")).toHaveLength(1);
  } finally {
    await client.proc.stop();
  }
});

test("replaced by a newer session: the old session's client hears why", async () => {
  const dir = await clientIdentity("twice");
  const first = await startClientProcess(dir, server.pipePort, { RP_CLIENT_RECONNECT_BASE_S: "5", RP_CLIENT_RECONNECT_CAP_S: "5" });
  let second: ClientProcess | undefined;
  try {
    await server.proc.waitForMessage("client connected", { client: "twice" });
    await heartbeatSeen(server.http, "twice");
    const from = server.proc.logs.length;
    second = await startClientProcess(dir, server.pipePort);
    await server.proc.waitForMessage("client reconnected; replaced its stale session", { client: "twice" }, 10_000, from);
    const lost = await first.proc.waitForMessage("lost the pipe to the server");
    expect(String(lost["reason"])).toStartWith('closed by the peer: replaced by a newer connection from "twice"');
    const status = await runBinary("rp-client", ["status", "--http", first.http.replace("http://", "")]);
    // Reconnecting, or (the first retry is drawn from [0, base)) connected again: the reason shows either way.
    expect(status.stdout).toMatch(/(reason|last lost) +closed by the peer: replaced by a newer connection/);
  } finally {
    await second?.proc.stop();
    await first.proc.stop();
  }
});

test("shutdown: the client's log and status say the server is shutting down", async () => {
  const own = await startServerProcess(serverDir);
  const client = await startClientProcess(await clientIdentity("bystander"), own.pipePort, { RP_CLIENT_RECONNECT_BASE_S: "5", RP_CLIENT_RECONNECT_CAP_S: "5" });
  try {
    await own.proc.waitForMessage("client connected", { client: "bystander" });
    await heartbeatSeen(own.http, "bystander");
    await own.proc.stop();
    const lost = await client.proc.waitForMessage("lost the pipe to the server");
    expect(lost["reason"]).toBe("closed by the peer: shutting down");
  } finally {
    await client.proc.stop();
  }
});
