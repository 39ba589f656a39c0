/**
 * Issue 13 items 8 and 9: a failure that repeats is logged once and then summarized (a client redialling nothing, a
 * refused client redialling the server: a counted line per subject on the status page); two hosts with one identity
 * are detected and warned about on the server, its status page and /metrics.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { makeTestPki, sample, startClientProcess, startServerProcess, type ClientProcess, type TestPki } from "../support/index.ts";

let pki: TestPki;
beforeAll(async () => (pki = await makeTestPki()));
afterAll(() => pki?.cleanup());

/** Polls `read` until `done` holds (at most `timeoutMs`); returns the last value read. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || performance.now() > deadline) return value;
    await Bun.sleep(100);
  }
}

const FAST_REDIAL = { RP_CLIENT_RECONNECT_BASE_S: "0.05", RP_CLIENT_RECONNECT_CAP_S: "0.1" };

test("a client redialling a port where nothing listens logs the first failure only (until the first summary)", async () => {
  const client = await startClientProcess((await pki.client("lonely")).dir, 1, FAST_REDIAL);
  try {
    const metrics = async () => (await fetch(`${client.http}/metrics`)).text();
    const text = await until(metrics, (t) => (sample(t, "restpipe_connect_failures_total") ?? 0) >= 8);
    const failures = sample(text, "restpipe_connect_failures_total") ?? 0;
    expect(failures).toBeGreaterThanOrEqual(8); // was ${failures}
    expect(client.proc.logs.filter((r) => r.msg === "cannot connect to the server")).toHaveLength(1);
  } finally {
    await client.proc.stop();
  }
});

test("a refused client redialling: one log line on the server, a counted line on its status page", async () => {
  const server = await startServerProcess(pki.server.dir);
  const intruder = await startClientProcess((await pki.foreignClient("intruder")).dir, server.pipePort, FAST_REDIAL);
  try {
    const status = async () => (await (await fetch(`${server.http}/_rp/status.json`)).json()) as { refused: Array<{ subject: string; count: number; lastReason: string }> };
    const seen = await until(status, (s) => (s.refused[0]?.count ?? 0) >= 5);
    expect(seen.refused).toHaveLength(1);
    expect(seen.refused[0]).toMatchObject({ subject: "CN=intruder" });
    expect(seen.refused[0]!.count).toBeGreaterThanOrEqual(5); // was ${seen.refused[0]!.count}
    expect(seen.refused[0]!.lastReason).toContain("certificate not issued by our CA");
    expect(server.proc.logs.filter((r) => r.msg === "refused client connection" && r["subject"] === "CN=intruder")).toHaveLength(1);
    const page = await (await fetch(`${server.http}/_rp/`)).text();
    expect(page).toContain('id="refused"');
  } finally {
    await intruder.proc.stop();
    await server.proc.stop();
  }
});

test("two hosts with one identity: warned once, on the status page and in /metrics", async () => {
  const server = await startServerProcess(pki.server.dir, {}, ["--bind", "::"]);
  const twin = await pki.client("twin");
  const clients: ClientProcess[] = [];
  try {
    clients.push(await startClientProcess(twin.dir, server.pipePort)); // from 127.0.0.1
    clients.push(await startClientProcess(twin.dir, server.pipePort, {}, ["--server-host", "::1"])); // from ::1
    const warned = await server.proc.waitForMessage("two hosts share one identity: their sessions keep replacing each other", { client: "twin" }, 20_000);
    expect(warned["level"]).toBe("warn");
    expect(String(warned["hosts"])).toContain("::1");
    expect(String(warned["fix"])).toContain("rp-server ca issue --cn");
    const status = (await (await fetch(`${server.http}/_rp/status.json`)).json()) as { sharedIdentities: Array<{ cn: string; replacements: number }> };
    expect(status.sharedIdentities.map((s) => s.cn)).toEqual(["twin"]);
    expect(sample(await (await fetch(`${server.http}/metrics`)).text(), "restpipe_shared_identities")).toBe(1);
    // Once a minute at most: however often they replace each other meanwhile.
    await Bun.sleep(1_000);
    expect(server.proc.logs.filter((r) => r.msg.startsWith("two hosts share one identity"))).toHaveLength(1);
  } finally {
    for (const client of clients) await client.proc.stop();
    await server.proc.stop();
  }
});
