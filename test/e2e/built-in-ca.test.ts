/**
 * The air-gapped walkthrough with nothing but the two binaries: `rp-server ca
 * init`, `ca issue --server`, `set-identity --bundle`, `ca issue --cn`,
 * `rp-client set-identity --bundle`, start both, request both ways. Then:
 * openssl agrees with what the CA issued, and identities made by openssl are
 * accepted by set-identity.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openssl } from "../unit/pki/_openssl.ts";
import { runBinary, startClientProcess, startServerProcess, type ClientProcess, type ServerProcess } from "../support/index.ts";

let work: string;
let serverDir: string;
let clientDir: string;
let caDir: string;
const running: Array<ServerProcess | ClientProcess> = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "restpipe-ca-e2e-"));
  serverDir = join(work, "server-host");
  clientDir = join(work, "client-host");
  caDir = join(serverDir, "ca"); // the default: <identity dir>/ca
});

afterAll(async () => {
  await Promise.all(running.map((node) => node.proc.stop()));
  await rm(work, { recursive: true, force: true });
});

/** rp-server with the server host's identity directory, as its operator would run it. */
const server = (...args: string[]) => runBinary("rp-server", args, { RP_SERVER_CERT_PATH: serverDir });
/** rp-client on the client host. */
const client = (...args: string[]) => runBinary("rp-client", args, { RP_CLIENT_CERT_PATH: clientDir });

async function ok(result: Promise<{ code: number; stdout: string; stderr: string }>): Promise<string> {
  const { code, stdout, stderr } = await result;
  expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
  return stdout;
}

describe("the air-gapped walkthrough, on the binaries only", () => {
  let serverProcess: ServerProcess;
  let clientProcess: ClientProcess;

  test("ca init creates an EC P-256 CA in <identity dir>/ca", async () => {
    const out = await ok(server("ca", "init"));
    expect(out).toStartWith(`created the CA "CN=RestPipe CA" in ${caDir}\n`);
    expect(out).toContain("key        EC P-256");
    expect((await stat(join(caDir, "ca.key.pem"))).mode & 0o777).toBe(0o600);
  });

  test("ca issue --server with DNS and IP SANs, installed with set-identity --bundle", async () => {
    const out = await ok(server("ca", "issue", "--server", "--san", "localhost", "--san", "127.0.0.1"));
    expect(out).toMatch(/^issued a server certificate for CN=localhost: serial [0-9a-f]{32}, valid until \d{4}-/);
    expect(out).toContain("SANs     DNS:localhost, IP:127.0.0.1");
    const stored = await ok(server("set-identity", "--bundle", join(caDir, "localhost.bundle.pem")));
    expect(stored).toStartWith("stored the server identity CN=localhost (issued by CN=RestPipe CA");
  });

  test("ca issue --cn, carried as one bundle, installed with rp-client set-identity --bundle", async () => {
    const out = await ok(server("ca", "issue", "--cn", "file-server"));
    expect(out).toContain(`bundle   ${join(caDir, "file-server.bundle.pem")}  (install with: rp-client set-identity --bundle FILE)`);
    const carried = join(work, "usb-stick.pem");
    await writeFile(carried, await readFile(join(caDir, "file-server.bundle.pem")));
    const stored = await ok(client("set-identity", "--bundle", carried));
    expect(stored).toStartWith("stored the client identity CN=file-server");
    expect((await stat(join(clientDir, "client.key.pem"))).mode & 0o777).toBe(0o600);
  });

  test("both start, connect, and answer requests both ways", async () => {
    serverProcess = await startServerProcess(serverDir);
    running.push(serverProcess);
    clientProcess = await startClientProcess(clientDir, serverProcess.pipePort);
    running.push(clientProcess);
    await serverProcess.proc.waitForMessage("client connected", { client: "file-server" });
    const fromServer = await fetch(`${serverProcess.http}/client/file-server/cat//hello%20/world`);
    expect(await fromServer.json()).toEqual({ result_from_client: "hello world" });
    const fromClient = await fetch(`${clientProcess.http}/server/cat//air/%20gapped`);
    expect(await fromClient.json()).toEqual({ result_from_server: "air gapped" });
  });

  test("ca list shows what was issued", async () => {
    const lines = (await ok(server("ca", "list"))).split("\n");
    expect(lines[0]).toMatch(/^CA "CN=RestPipe CA" in .*, valid until \d{4}-/);
    expect(lines[1]).toMatch(/^CN +KIND +SERIAL +NOT AFTER +STATUS$/);
    expect(lines.slice(2).map((line) => line.split(/ +/).filter((_, i) => i !== 2 && i !== 3))).toEqual([
      ["localhost", "server", "valid"],
      ["file-server", "client", "valid"],
    ]);
  });

  test("ca issue never takes the server's CN, and replaces an identity's files only with --force", async () => {
    const serverFiles = async () => Promise.all(["key", "crt", "bundle"].map((kind) => readFile(join(caDir, `localhost.${kind}.pem`), "utf8")));
    const before = await serverFiles();
    const taken = await server("ca", "issue", "--cn", "localhost", "--force");
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/^rp-server: Cannot issue a client certificate for CN "localhost": it is the CN of the server identity \(serial [0-9a-f]+\); choose another --cn for the client$/);
    expect(await serverFiles()).toEqual(before);
    const again = await server("ca", "issue", "--cn", "file-server");
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`Cannot issue a certificate for CN "file-server": ${join(caDir, "file-server.key.pem")} exists; pass --force to replace its files`);
    const forced = await ok(server("ca", "issue", "--cn", "file-server", "--force"));
    expect(forced).toContain("note: the earlier certificate for CN=file-server");
  });

  test("identity show prints CN, SANs, issuer, validity and the SHA-256 fingerprint openssl computes", async () => {
    const shown = await ok(server("identity", "show"));
    const fingerprint = openssl(["x509", "-in", join(serverDir, "server.crt.pem"), "-noout", "-fingerprint", "-sha256"], work).stdout.trim().split("=")[1];
    expect(shown).toContain(`server identity in ${serverDir}\ncertificate\n  CN         localhost\n`);
    expect(shown).toContain("  SANs       DNS:localhost, IP:127.0.0.1\n  issuer     CN=RestPipe CA\n");
    expect(shown).toMatch(/ {2}not after {2}\d{4}-\d\d-\d\dT[\d:.]+Z \(\d+ days left\)/);
    expect(shown).toContain(`  SHA-256    ${fingerprint}\n`);
    expect(shown).toContain("CA certificate\n  CN         RestPipe CA\n");
    expect(shown).toEndWith("check: OK");
    const clientShown = await ok(client("identity", "show"));
    expect(clientShown).toContain("  CN         file-server\n");
  });

  test("a node warns in its log when its certificate is within RP_CLIENT_CERT_WARN_DAYS of expiry", async () => {
    const [serverProcess] = running as [ServerProcess];
    await ok(server("ca", "issue", "--cn", "warned"));
    const warnedDir = join(work, "warned-host");
    await ok(runBinary("rp-client", ["set-identity", "--bundle", join(caDir, "warned.bundle.pem"), "--identity-dir", warnedDir]));
    const warned = await startClientProcess(warnedDir, serverProcess.pipePort, { RP_CLIENT_CERT_WARN_DAYS: "900" });
    running.push(warned);
    const line = await warned.proc.waitForMessage("certificate expires soon");
    expect(line).toMatchObject({ level: "warn", certificate: "own", subject: "CN=warned" });
    expect(Number(line["daysLeft"])).toBeWithin(823, 826);
    expect(warned.proc.logs.filter((r) => r.msg === "certificate expires soon")).toHaveLength(1); // the CA has ten years left
    expect(clientProcess.proc.logs.some((r) => r.msg === "certificate expires soon")).toBe(false); // 30 days by default
  });
});

describe("openssl agrees", () => {
  test("certificates issued by the built-in CA pass openssl verify, for their purpose, host and address", () => {
    const verify = (leaf: string, ...extra: string[]) =>
      openssl(["verify", "-x509_strict", ...extra, "-CAfile", "ca.crt.pem", leaf], caDir, true);
    expect(verify("file-server.crt.pem", "-purpose", "sslclient").stdout.trim()).toBe("file-server.crt.pem: OK");
    expect(verify("localhost.crt.pem", "-purpose", "sslserver", "-verify_hostname", "localhost").exitCode).toBe(0);
    expect(verify("localhost.crt.pem", "-purpose", "sslserver", "-verify_ip", "127.0.0.1").exitCode).toBe(0);
    expect(verify("file-server.crt.pem", "-purpose", "sslserver").exitCode).not.toBe(0); // a client certificate is not a server's
  });

  test("the CRL of the built-in CA passes openssl crl -verify", () => {
    expect(openssl(["crl", "-in", "ca.crl.pem", "-CAfile", "ca.crt.pem", "-noout"], caDir).stderr.trim()).toBe("verify OK");
  });

  test("identities made with openssl (EC, RSA) are accepted by set-identity, as files and as a hand-made bundle", async () => {
    const run = (...args: string[]) => openssl(args, caDir);
    // EC: a SEC1 key and a CSR signed by the built-in CA's key with openssl x509 -req.
    run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ossl-ec.key");
    run("req", "-new", "-key", "ossl-ec.key", "-subj", "/CN=ossl-ec", "-out", "ossl-ec.csr");
    await writeFile(join(caDir, "client.ext"), "extendedKeyUsage=clientAuth\n");
    run("x509", "-req", "-in", "ossl-ec.csr", "-CA", "ca.crt.pem", "-CAkey", "ca.key.pem", "-CAcreateserial", "-days", "30", "-extfile", "client.ext", "-out", "ossl-ec.crt");
    // RSA: an openssl CA of its own, and a client from it.
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ossl-rsa-ca.key", "-out", "ossl-rsa-ca.crt", "-days", "30", "-subj", "/CN=OpenSSL RSA CA");
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "ossl-rsa.key", "-out", "ossl-rsa.csr", "-subj", "/CN=ossl-rsa");
    run("x509", "-req", "-in", "ossl-rsa.csr", "-CA", "ossl-rsa-ca.crt", "-CAkey", "ossl-rsa-ca.key", "-CAcreateserial", "-days", "30", "-extfile", "client.ext", "-out", "ossl-rsa.crt");

    const at = (name: string) => join(caDir, name);
    const rsaDir = join(work, "ossl-rsa");
    const rsa = await runBinary("rp-client", ["set-identity", at("ossl-rsa.key"), at("ossl-rsa.crt"), at("ossl-rsa-ca.crt"), "--identity-dir", rsaDir]);
    expect(rsa).toMatchObject({ code: 0, stdout: expect.stringContaining("stored the client identity CN=ossl-rsa (issued by CN=OpenSSL RSA CA") });
    const bundle = join(work, "ossl-ec.bundle.pem");
    await writeFile(bundle, (await Promise.all(["ossl-ec.key", "ossl-ec.crt", "ca.crt.pem"].map((name) => readFile(at(name), "utf8")))).join(""));
    const ecDir = join(work, "ossl-ec");
    const ec = await runBinary("rp-client", ["set-identity", "--bundle", bundle, "--identity-dir", ecDir]);
    expect(ec).toMatchObject({ code: 0, stdout: expect.stringContaining("stored the client identity CN=ossl-ec (issued by CN=RestPipe CA") });
    // The openssl-signed EC client is a client of the running server like any other.
    const [serverProcess] = running as [ServerProcess];
    running.push(await startClientProcess(ecDir, serverProcess.pipePort));
    await serverProcess.proc.waitForMessage("client connected", { client: "ossl-ec" });
    expect(await (await fetch(`${serverProcess.http}/client/ossl-ec/cat//x`)).json()).toEqual({ result_from_client: "x" });
  });
});

describe("usage errors", () => {
  test("a missing subcommand, a missing --cn, --san without --server, a ca flag on another command", async () => {
    expect(await server("ca")).toMatchObject({ code: 2, stderr: "rp-server: ca needs a subcommand: init, issue, sign, token, serve, revoke or list" });
    expect(await server("ca", "issue")).toMatchObject({ code: 2, stderr: "rp-server: ca issue needs --cn NAME" });
    expect(await server("ca", "issue", "--cn", "x", "--san", "x.example")).toMatchObject({ code: 2, stderr: "rp-server: --san is for server identities: add --server" });
    expect(await server("start", "--cn", "x")).toMatchObject({ code: 2, stderr: "rp-server: --cn is not a flag of start (try --help)" });
    expect(await client("set-identity", "--bundle", "a.pem", "b.pem")).toMatchObject({ code: 2, stderr: "rp-client: set-identity takes either --bundle FILE or KEY CERT CA, not both" });
    expect(await server("ca", "init")).toMatchObject({ code: 1, stderr: `rp-server: Cannot create a CA in ${caDir}: ${join(caDir, "ca.key.pem")} already exists` });
  });
});
