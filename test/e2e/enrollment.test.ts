/**
 * Enrollment without moving private keys, on the binaries: `rp-client
 * identity request` (key 0600 stays in the client's identity directory),
 * `rp-server ca sign` (refusing a server's CN, a damaged request),
 * `rp-client set-identity --cert --ca` pairs it; then a round trip with the
 * identity whose key never left the client host.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openssl } from "../unit/pki/_openssl.ts";
import { runBinary, startConnectedPair } from "../support/index.ts";

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
    const checked = openssl(["req", "-in", join(carried, "edge-7.csr.pem"), "-noout", "-verify", "-subject"], work);
    expect(checked.stdout + checked.stderr).toContain("subject=CN = edge-7");
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
    expect(impostor.stderr).toContain('Cannot issue a client certificate for CN "localhost": it is the CN of a server certificate of this CA');
    expect(impostor.stderr).toContain("request it with another --cn");
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

async function mkdirp(dir: string): Promise<string> {
  await Bun.$`mkdir -p ${dir}`.quiet();
  return dir;
}
