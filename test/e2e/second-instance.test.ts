/** Issue 13 item 2: a second instance on the same front or pipe address is refused; a live unix socket is never unlinked. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  binary,
  makeTestPki,
  NodeProcess,
  startClientProcess,
  startServerProcess,
  type FileIdentity,
  type ServerProcess,
  type TestPki,
} from "../support/index.ts";

let pki: TestPki;
let client: FileIdentity;
let server: ServerProcess;

beforeAll(async () => {
  pki = await makeTestPki();
  client = await pki.client("twice");
  server = await startServerProcess(pki.server.dir);
});

afterAll(async () => {
  await server?.proc.stop();
  await pki?.cleanup();
});

/** Starts a program that should refuse to start: its exit code and standard error, within 10 s. */
async function refusedStart(name: "rp-server" | "rp-client", args: readonly string[]): Promise<{ code: number; stderr: string }> {
  const proc = new NodeProcess([binary(name), "start", ...args], { RP_LOG_FORMAT: "json" });
  const timer = setTimeout(() => proc.signal("SIGKILL"), 10_000); // a process that started anyway must not hang the test
  const { code, stderr } = await proc.result();
  clearTimeout(timer);
  return { code, stderr };
}

describe("a second instance on the same address", () => {
  test("rp-server on the same front address exits 1 naming the address and the setting", async () => {
    const front = server.http.replace("http://", "");
    const second = await refusedStart("rp-server", ["--bind", "127.0.0.1", "--port", "0", "--http", front, "--identity-dir", pki.server.dir]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`rp-server: Cannot listen on ${front}: in use by another process; stop it, or set RP_SERVER_HTTP_BIND (--http) to another address`);
    expect((await fetch(`${server.http}/healthz`)).status).toBe(200); // the first one still has every request
  });

  test("rp-server on the same pipe port exits 1 naming the port setting", async () => {
    const second = await refusedStart("rp-server", ["--bind", "127.0.0.1", "--port", String(server.pipePort), "--http", "127.0.0.1:0", "--identity-dir", pki.server.dir]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`Cannot listen on 127.0.0.1:${server.pipePort}: in use by another process; stop it, or set RP_SERVER_BIND_PORT (--port)`);
  });

  test("rp-client on the same front address exits 1; the first client keeps answering", async () => {
    const first = await startClientProcess(client.dir, server.pipePort);
    try {
      const front = first.http.replace("http://", "");
      const second = await refusedStart("rp-client", ["--server-host", "127.0.0.1", "--server-port", String(server.pipePort), "--http", front, "--identity-dir", client.dir]);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`rp-client: Cannot listen on ${front}: in use by another process; stop it, or set RP_CLIENT_HTTP_BIND (--http) to another address`);
      // Every one of 20 requests reaches the first client: nothing shares the port.
      for (let i = 0; i < 20; i++) expect((await fetch(`${first.http}/healthz`)).status).toBe(200);
    } finally {
      await first.proc.stop();
    }
  });
});

describe("a unix-socket front", () => {
  test("a live socket is refused and kept; a stale one (its process killed) is replaced", async () => {
    const path = join(pki.dir, "front.sock");
    const args = ["--server-host", "127.0.0.1", "--server-port", String(server.pipePort), "--identity-dir", client.dir, "--http", `unix:${path}`];
    const first = await startClientProcess(client.dir, server.pipePort, {}, ["--http", `unix:${path}`]);
    const second = await refusedStart("rp-client", args);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`Cannot listen on unix:${path}: in use by another process; stop it, or set RP_CLIENT_HTTP_BIND (--http) to another address`);
    expect((await fetch("http://localhost/healthz", { unix: path })).status).toBe(200); // the first one's socket is still there
    await first.proc.stop("SIGKILL"); // leaves its socket file behind
    expect(existsSync(path)).toBe(true);
    const third = await startClientProcess(client.dir, server.pipePort, {}, ["--http", `unix:${path}`]);
    try {
      expect((await fetch("http://localhost/healthz", { unix: path })).status).toBe(200);
    } finally {
      await third.proc.stop();
    }
  });

  test("a regular file at the socket path is never removed", async () => {
    const path = join(pki.dir, "not-a-socket");
    await Bun.write(path, "keep me");
    const refused = await refusedStart("rp-client", ["--server-port", "1", "--identity-dir", client.dir, "--http", `unix:${path}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`Cannot listen on unix:${path}: the path exists and is not a socket; remove it or choose another path`);
    expect(await Bun.file(path).text()).toBe("keep me");
  });
});
