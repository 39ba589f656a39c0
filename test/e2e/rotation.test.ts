/**
 * Rotation without restart, on the binaries, under load. Polling of the
 * identity files is off (RP_*_IDENTITY_POLL_S=0) so that SIGHUP alone is what
 * makes each node reload.
 *
 * - Server: its certificate is replaced and SIGHUP sent while requests flow
 *   both ways; no request fails, the established pipe stays, and a new
 *   connection is shown the new certificate.
 * - Client: its certificate is replaced and SIGHUP sent; the pipe stays. Once
 *   the old certificate is revoked the server cuts that pipe, and the client
 *   comes back with the new certificate.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCertificatesPem } from "../../src/pki/index.ts";
import { runBinary, startClientProcess, startServerProcess, waitUntil, type ClientProcess, type ServerProcess } from "../support/index.ts";

let work: string;
let serverDir: string;
let clientDir: string;
let server: ServerProcess;
let client: ClientProcess;

const SERVER_ENV = { RP_SERVER_IDENTITY_POLL_S: "0" };
const CLIENT_ENV = { RP_CLIENT_IDENTITY_POLL_S: "0", RP_CLIENT_RECONNECT_BASE_S: "0.05", RP_CLIENT_RECONNECT_CAP_S: "0.2" };

async function ok(program: "rp-server" | "rp-client", ...args: string[]): Promise<string> {
  const result = await runBinary(program, args, { RP_SERVER_CERT_PATH: serverDir, RP_CLIENT_CERT_PATH: clientDir });
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  return result.stdout;
}

// --force: a rotation issues the same CN again, replacing its files in the CA directory.
const issueServer = () => ok("rp-server", "ca", "issue", "--server", "--san", "localhost", "--san", "127.0.0.1", "--force");
const issueClient = () => ok("rp-server", "ca", "issue", "--cn", "mover", "--force");
const serialIn = (out: string) => /serial ([0-9a-f]+)/.exec(out)![1]!;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "restpipe-rotation-"));
  serverDir = join(work, "server");
  clientDir = join(work, "client");
  await ok("rp-server", "ca", "init");
  await issueServer();
  await ok("rp-server", "set-identity", "--bundle", join(serverDir, "ca", "localhost.bundle.pem"));
  await issueClient();
  await ok("rp-client", "set-identity", "--bundle", join(serverDir, "ca", "mover.bundle.pem"));
  await ok("rp-server", "ca", "issue", "--cn", "probe"); // its own CN: a probe with mover's would take mover's pipe over
  server = await startServerProcess(serverDir, SERVER_ENV);
  client = await startClientProcess(clientDir, server.pipePort, CLIENT_ENV);
  await server.proc.waitForMessage("client connected", { client: "mover" });
});

afterAll(async () => {
  await Promise.all([client?.proc.stop(), server?.proc.stop()]);
  await rm(work, { recursive: true, force: true });
});

/** Requests in a bounded loop, `workers` at a time, both ways, until `stop` resolves; counts successes and failures. */
function load(stop: Promise<void>, workers = 8, cap = 20_000) {
  const counts = { ok: 0, failed: [] as string[] };
  let stopped = false;
  void stop.then(() => (stopped = true));
  const urls = [`${server.http}/client/mover/cat//n`, `${client.http}/server/cat//n`];
  const worker = async (w: number) => {
    for (let i = 0; !stopped && i < cap; i++) {
      const url = `${urls[(w + i) % 2]}${i}`;
      try {
        const response = await fetch(url);
        const body = await response.text();
        if (response.status === 200) counts.ok++;
        else counts.failed.push(`${url}: ${response.status} ${body}`);
      } catch (error) {
        counts.failed.push(`${url}: ${(error as Error).message}`);
      }
    }
  };
  return { counts, done: Promise.all(Array.from({ length: workers }, (_, w) => worker(w))) };
}

/** The SHA-256 fingerprint of the certificate a brand-new TLS connection to the pipe port is shown (as client "probe"). */
async function presentedFingerprint(): Promise<string> {
  const ca = (name: string) => readFile(join(serverDir, "ca", name), "utf8");
  const [keyPem, certPem, caPem] = await Promise.all([ca("probe.key.pem"), ca("probe.crt.pem"), ca("ca.crt.pem")]);
  return new Promise((resolve, reject) => {
    void Bun.connect({
      hostname: "127.0.0.1",
      port: server.pipePort,
      tls: { key: keyPem, cert: certPem, ca: caPem, serverName: "localhost", rejectUnauthorized: true },
      socket: {
        open(socket) {
          resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? "none");
          socket.end();
        },
        data() {},
        error: (_socket, error) => reject(error),
        connectError: (_socket, error) => reject(error),
      },
    });
  });
}

async function fingerprintOf(path: string): Promise<string> {
  return (await parseCertificatesPem(await readFile(path, "utf8")))[0]!.fingerprintSha256;
}

describe("rotation without restart", () => {
  test("server: new certificate + SIGHUP under load: no request fails, the pipe stays, new connections see the new certificate", async () => {
    const oldFingerprint = await fingerprintOf(join(serverDir, "server.crt.pem"));
    expect(await presentedFingerprint()).toBe(oldFingerprint);
    const serverMark = server.proc.logs.length;
    const clientMark = client.proc.logs.length;

    let finish!: () => void;
    const traffic = load(new Promise<void>((resolve) => (finish = resolve)));
    await waitUntil(() => traffic.counts.ok >= 200, "200 requests before rotating", 10_000);

    await issueServer();
    await ok("rp-server", "set-identity", "--bundle", join(serverDir, "ca", "localhost.bundle.pem"));
    const newFingerprint = await fingerprintOf(join(serverDir, "server.crt.pem"));
    expect(newFingerprint).not.toBe(oldFingerprint);
    server.proc.signal("SIGHUP");
    const reloaded = await server.proc.waitForMessage("identity reloaded", { trigger: "SIGHUP" }, 10_000, serverMark);
    expect(reloaded["fingerprint"]).toBe(newFingerprint);
    const switched = await server.proc.waitForMessage("pipe listener switched to the new identity", {}, 10_000, serverMark);
    console.log(`server listener switch: port closed for ${switched["gapMs"]} ms`);

    const atSwitch = traffic.counts.ok;
    await waitUntil(() => traffic.counts.ok >= atSwitch + 200, "200 requests after the switch", 10_000);
    finish();
    await traffic.done;
    console.log(`requests during server rotation: ${traffic.counts.ok} ok, ${traffic.counts.failed.length} failed`);
    expect(traffic.counts.failed).toEqual([]);
    expect(await presentedFingerprint()).toBe(newFingerprint);
    expect(server.proc.logs.slice(serverMark).filter((r) => r.msg === "client disconnected" && r["client"] === "mover")).toEqual([]);
    expect(client.proc.logs.slice(clientMark).filter((r) => r.msg === "lost the pipe to the server")).toEqual([]);
  });

  test("client: new certificate + SIGHUP keeps the pipe; revoking the old one makes it come back with the new one", async () => {
    const oldSerial = (await parseCertificatesPem(await readFile(join(clientDir, "client.crt.pem"), "utf8")))[0]!.serialHex;
    const newSerial = serialIn(await issueClient());
    await ok("rp-client", "set-identity", "--bundle", join(serverDir, "ca", "mover.bundle.pem"));
    const serverMark = server.proc.logs.length;
    const clientMark = client.proc.logs.length;
    client.proc.signal("SIGHUP");
    const reloaded = await client.proc.waitForMessage("identity reloaded", { trigger: "SIGHUP" }, 10_000, clientMark);
    expect(reloaded["serial"]).toBe(newSerial);
    expect(await (await fetch(`${server.http}/client/mover/cat//same%20pipe`)).json()).toEqual({ result_from_client: "same pipe" });
    expect(client.proc.logs.slice(clientMark).filter((r) => r.msg === "lost the pipe to the server")).toEqual([]);

    await ok("rp-server", "ca", "revoke", oldSerial);
    server.proc.signal("SIGHUP");
    const cut = await server.proc.waitForMessage("client revoked: disconnecting", { client: "mover" }, 10_000, serverMark);
    expect(cut["serial"]).toBe(oldSerial);
    await server.proc.waitForLog((r) => r.msg === "client connected" && r["client"] === "mover", 10_000, server.proc.logs.indexOf(cut));
    expect(await (await fetch(`${server.http}/client/mover/cat//new%20pipe`)).json()).toEqual({ result_from_client: "new pipe" });
    expect(server.proc.logs.slice(serverMark).some((r) => r.msg === "refused client connection")).toBe(false);
  });
});
