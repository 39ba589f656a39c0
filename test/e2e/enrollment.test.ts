/**
 * Enrollment without moving private keys, on the binaries: `rp-client
 * identity request` (key 0600 stays in the client's identity directory),
 * `rp-server ca sign` (refusing a server's CN, a damaged request),
 * `rp-client set-identity --cert --ca` pairs it; then a round trip with the
 * identity whose key never left the client host. Online: `ca token`, `ca
 * serve` (the separate enrollment listener), `rp-client enroll`: a token
 * works once, expires, and is never sent to a server whose CA is not the
 * token's.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openssl } from "../unit/pki/_openssl.ts";
import { binary, NodeProcess, runBinary, startConnectedPair } from "../support/index.ts";

let work: string;
let serverDir: string;
let clientDir: string;
let carried: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "rp-enroll-"));
  serverDir = join(work, "server-host");
  clientDir = join(work, "client-host");
  carried = join(work, "usb-stick");
  await ok(server("ca", "init"));
  await ok(server("ca", "issue", "--server", "--san", "localhost", "--san", "127.0.0.1"));
  await ok(server("set-identity", "--bundle", join(serverDir, "ca", "localhost.bundle.pem")));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const server = (...args: string[]) => runBinary("rp-server", args, { RP_SERVER_CERT_PATH: serverDir });
const client = (...args: string[]) => runBinary("rp-client", args, { RP_CLIENT_CERT_PATH: clientDir });

async function ok(result: Promise<{ code: number; stdout: string; stderr: string }>): Promise<string> {
  const { code, stdout, stderr } = await result;
  expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
  return stdout;
}

describe("offline enrollment: a CSR out, a certificate back", () => {
  test("identity request keeps the key (0600) and writes only a CSR to carry", async () => {
    const out = await ok(client("identity", "request", "--cn", "edge-7", "--out", await mkdirp(carried)));
    expect(out).toContain(`wrote the private key ${join(clientDir, "client.request.key.pem")} (0600: it stays on this host)`);
    expect((await stat(join(clientDir, "client.request.key.pem"))).mode & 0o777).toBe(0o600);
    const csr = await readFile(join(carried, "edge-7.csr.pem"), "utf8");
    expect(csr).toStartWith("-----BEGIN CERTIFICATE REQUEST-----");
    expect(csr).not.toContain("PRIVATE KEY");
    const again = await client("identity", "request", "--cn", "edge-7", "--out", carried);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("holds the key of a pending one (its certificate would no longer fit); add --force to replace it");
    const checked = openssl(["req", "-in", join(carried, "edge-7.csr.pem"), "-noout", "-verify", "-subject"], work);
    expect(checked.stdout + checked.stderr).toContain("subject=CN = edge-7");
  });

  test("rp-server makes no requests: ca sign issues client certificates only", async () => {
    const result = await server("identity", "request", "--cn", "hub");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Cannot make a request for a server identity: ca sign issues client certificates; use: rp-server ca issue --server --san HOST");
  });

  test("ca sign refuses a damaged request and a server's CN", async () => {
    const csr = await readFile(join(carried, "edge-7.csr.pem"), "utf8");
    const lines = csr.split("\n");
    lines[3] = lines[3]!.slice(0, 10) + (lines[3]![10] === "A" ? "B" : "A") + lines[3]!.slice(11);
    await writeFile(join(work, "damaged.csr.pem"), lines.join("\n"));
    const damaged = await server("ca", "sign", join(work, "damaged.csr.pem"));
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toMatch(/Cannot sign the request: (its signature does not verify|it is not a valid PKCS#10 request)/);

    await ok(runBinary("rp-client", ["identity", "request", "--cn", "localhost", "--out", work], { RP_CLIENT_CERT_PATH: join(work, "impostor") }));
    const impostor = await server("ca", "sign", join(work, "localhost.csr.pem"));
    expect(impostor.code).toBe(1);
    expect(impostor.stderr).toContain('Cannot issue a client certificate for CN "localhost": it is the CN of the server identity (serial ');
    expect(impostor.stderr).toContain("choose another --cn for the client");
  });

  test("ca issue refuses a client named like the server too (it would overwrite the server's files in ca/)", async () => {
    const before = await readFile(join(serverDir, "ca", "localhost.key.pem"), "utf8");
    const result = await server("ca", "issue", "--cn", "localhost");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Cannot issue a client certificate for CN "localhost": it is the CN of the server identity (serial ');
    expect(await readFile(join(serverDir, "ca", "localhost.key.pem"), "utf8")).toBe(before);
  });

  test("ca sign writes the certificate and the CA certificate to carry back; openssl agrees", async () => {
    const out = await ok(server("ca", "sign", join(carried, "edge-7.csr.pem"), "--out", join(carried, "edge-7.crt.pem")));
    expect(out).toMatch(/^signed a client certificate for CN=edge-7: serial [0-9a-f]+, valid until /);
    expect(out).toContain(`CA       ${join(carried, "ca.crt.pem")}`);
    expect(openssl(["verify", "-CAfile", join(carried, "ca.crt.pem"), join(carried, "edge-7.crt.pem")], work).stdout).toContain(": OK");
    expect(await ok(server("ca", "list"))).toMatch(/edge-7 +client +[0-9a-f]+ +\d{4}-\d\d-\d\d +valid/);
  });

  test("set-identity --cert --ca pairs it with the kept key; the pending key is gone", async () => {
    const out = await ok(client("set-identity", "--cert", join(carried, "edge-7.crt.pem"), "--ca", join(carried, "ca.crt.pem")));
    expect(out).toStartWith("stored the client identity CN=edge-7 (issued by CN=RestPipe CA");
    expect(await Bun.file(join(clientDir, "client.request.key.pem")).exists()).toBe(false);
    const again = await client("set-identity", "--cert", join(carried, "edge-7.crt.pem"), "--ca", join(carried, "ca.crt.pem"));
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("Cannot pair the certificate with a key: no pending request in");
  });

  test("a certificate for another key is refused and the request stays pending", async () => {
    const other = join(work, "other-host");
    await ok(runBinary("rp-client", ["identity", "request", "--cn", "edge-8", "--out", work], { RP_CLIENT_CERT_PATH: other }));
    const wrong = await runBinary("rp-client", ["set-identity", "--cert", join(carried, "edge-7.crt.pem"), "--ca", join(carried, "ca.crt.pem")], { RP_CLIENT_CERT_PATH: other });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("does not match");
    expect(await Bun.file(join(other, "client.request.key.pem")).exists()).toBe(true);
  });

  test("the enrolled client connects and answers", async () => {
    const { server: started, client: connected } = await startConnectedPair(serverDir, { dir: clientDir, cn: "edge-7" });
    try {
      expect(await (await fetch(`${started.http}/client/edge-7/cat//a/b`)).json()).toEqual({ result_from_client: "ab" });
      expect(await (await fetch(`${connected.http}/server/time`)).status).toBe(200);
    } finally {
      await Promise.all([connected.proc.stop(), started.proc.stop()]);
    }
  }, 30_000);
});

describe("online enrollment: one-time tokens", () => {
  let listener: NodeProcess;
  let address: string;

  beforeAll(async () => {
    listener = new NodeProcess([binary("rp-server"), "ca", "serve", "--listen", "127.0.0.1:0"], { RP_SERVER_CERT_PATH: serverDir, RP_LOG_FORMAT: "json" });
    address = String((await listener.waitForMessage("enrollment listening"))["address"]);
  });

  afterAll(async () => {
    await listener?.stop();
  });

  const token = async (cn: string, ttl = "1h") => {
    const result = await server("ca", "token", "--cn", cn, "--ttl", ttl);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`one-time token for CN=${cn}, valid until `); // the token alone on stdout: T=$(rp-server ca token ...)
    return result.stdout.trim();
  };
  const enrollAs = (dir: string, tokenText: string) =>
    runBinary("rp-client", ["enroll", "--server", address, "--token", tokenText, "--server-name", "localhost"], { RP_CLIENT_CERT_PATH: join(work, dir) });

  test("ca token prints one token; enroll makes the key here and stores the certificate; the client connects", async () => {
    const text = await token("edge-online");
    expect(text).toMatch(/^rp1\.[A-Za-z0-9_-]+$/);
    const result = await enrollAs("online-host", text);
    expect(result.stderr).toBe("");
    expect(result.stdout).toStartWith("enrolled as CN=edge-online (issued by CN=RestPipe CA");
    expect((await stat(join(work, "online-host", "client.key.pem"))).mode & 0o777).toBe(0o600);
    expect(await ok(server("ca", "list"))).toMatch(/edge-online +client/);
    await listener.waitForMessage("enrolled a client", { client: "edge-online" });
    const { server: started, client: connected } = await startConnectedPair(serverDir, { dir: join(work, "online-host"), cn: "edge-online" });
    try {
      expect(await (await fetch(`${started.http}/client/edge-online/cat//x/y`)).json()).toEqual({ result_from_client: "xy" });
    } finally {
      await Promise.all([connected.proc.stop(), started.proc.stop()]);
    }
  }, 30_000);

  test("by IP address: the server certificate's IP SAN is checked (no SNI for an IP)", async () => {
    const result = await runBinary("rp-client", ["enroll", "--server", address, "--token", await token("edge-by-ip")], { RP_CLIENT_CERT_PATH: join(work, "by-ip") });
    expect(result.stderr).toBe("");
    expect(result.stdout).toStartWith("enrolled as CN=edge-by-ip");
  });

  test("a server certificate without the name asked for is refused before the secret is sent", async () => {
    const text = await token("edge-wrong-name");
    const wrong = await runBinary("rp-client", ["enroll", "--server", address, "--token", text, "--server-name", "elsewhere.example"], { RP_CLIENT_CERT_PATH: join(work, "wrong-name") });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("(TLS verified against the token's CA)");
    expect((await enrollAs("right-name", text)).code).toBe(0); // the secret never arrived: the token is still unused
  });

  test("a token works once", async () => {
    const text = await token("edge-once");
    expect((await enrollAs("once-a", text)).code).toBe(0);
    const again = await enrollAs("once-b", text);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("Cannot enroll: the token was used already (at ");
    expect(again.stderr).toContain("a token works once: ask for a new one (HTTP 410)");
    expect(await Bun.file(join(work, "once-b", "client.key.pem")).exists()).toBe(false);
  });

  test("a token expires", async () => {
    const text = await token("edge-late", "1s");
    const expires = Date.now() + 1_000;
    await Bun.sleep(Math.max(0, expires - Date.now()) + 200); // the token's own lifetime, not a guess
    const late = await enrollAs("late", text);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/Cannot enroll: the token expired at \S+; ask for a new one \(--ttl sets how long it lasts\) \(HTTP 410\)/);
  });

  test("a token for another CA is never sent: the fingerprint does not match", async () => {
    const elsewhere = join(work, "other-ca");
    await ok(runBinary("rp-server", ["ca", "init", "--dir", elsewhere]));
    const foreign = (await runBinary("rp-server", ["ca", "token", "--dir", elsewhere, "--cn", "edge-x"])).stdout.trim();
    const before = listener.logs.length;
    const result = await enrollAs("foreign", foreign);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Cannot enroll: the CA at https:\/\/127\.0\.0\.1:\d+ has the fingerprint [0-9a-f]{64}, the token expects [0-9a-f]{64}; the secret was not sent/);
    expect(listener.logs.slice(before).filter((entry) => entry.msg === "refused an enrollment")).toEqual([]); // no POST reached it
  });

  test("a forged token (right id, wrong secret) is refused", async () => {
    const text = await token("edge-forged");
    const fields = JSON.parse(atob(text.slice(4).replaceAll("-", "+").replaceAll("_", "/"))) as Record<string, string>;
    const forged = "rp1." + btoa(JSON.stringify({ ...fields, s: "0".repeat(64) })).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    const result = await enrollAs("forged", forged);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Cannot enroll: the CA knows no such token (mistyped, or made by another CA); ask for a new one: rp-server ca token --cn NAME (HTTP 403)");
    expect((await enrollAs("forged-then-real", text)).code).toBe(0); // the real one still works
  });

  test("the listener answers only its two paths, and caps bodies", async () => {
    const insecure = { tls: { rejectUnauthorized: false } } as const; // this test checks answers, not the server's identity
    const big = await fetch(`https://${address}/restpipe/enroll/v1/sign`, { method: "POST", body: "x".repeat(17_000), ...insecure });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ error: "Cannot enroll: the request body is over 16384 bytes" });
    const other = await fetch(`https://${address}/client/edge-online/time`, insecure);
    expect(other.status).toBe(404);
    expect(((await other.json()) as { error: string }).error).toStartWith("Cannot enroll: no such path GET /client/edge-online/time; this listener answers only");
    const ca = await fetch(`https://${address}/restpipe/enroll/v1/ca`, insecure);
    expect(((await ca.json()) as { ca: string }).ca).toStartWith("-----BEGIN CERTIFICATE-----");
  });

  test("the pipe port is untouched: it still refuses a peer without a client certificate", async () => {
    const { server: started, client: connected } = await startConnectedPair(serverDir, { dir: join(work, "online-host"), cn: "edge-online" });
    try {
      const port = started.pipePort;
      const plain = await new Promise<string>((resolvePromise) => {
        const socket = require("node:tls").connect({ host: "127.0.0.1", port, rejectUnauthorized: false, servername: "localhost" });
        socket.on("error", (error: Error) => resolvePromise(`error: ${error.message}`));
        socket.on("close", () => resolvePromise("closed"));
        socket.on("secureConnect", () => socket.write("GET /restpipe/enroll/v1/ca HTTP/1.1\r\nHost: x\r\n\r\n"));
        socket.on("data", (data: Buffer) => resolvePromise(`data: ${data.toString()}`));
      });
      expect(plain).not.toContain("BEGIN CERTIFICATE");
      expect(plain.startsWith("data:")).toBe(false);
    } finally {
      await Promise.all([connected.proc.stop(), started.proc.stop()]);
    }
  }, 30_000);
});

async function mkdirp(dir: string): Promise<string> {
  await Bun.$`mkdir -p ${dir}`.quiet();
  return dir;
}
