/** The binaries' command line: --version, --help, set-identity and start-up errors. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { VERSION } from "../../src/cli/version.ts";
import { makeTestPki, runBinary, type FileIdentity, type TestPki } from "../support/index.ts";

let pki: TestPki;
let stored: FileIdentity;

beforeAll(async () => {
  pki = await makeTestPki();
  stored = await pki.client("stored");
});

afterAll(() => pki?.cleanup());

const run = runBinary;

describe("--version and --help", () => {
  test("both binaries print the package version", async () => {
    expect(JSON.parse(readFileSync(join(import.meta.dir, "../../package.json"), "utf8")).version).toBe(VERSION);
    for (const program of ["rp-server", "rp-client"] as const) {
      for (const flag of ["--version", "-V", "-v", "version"]) {
        const result = await run(program, [flag]);
        expect(result).toMatchObject({ code: 0, stderr: "" });
        const [first, commit, built, target, runtime] = result.stdout.split("\n");
        expect(first).toBe(`${program} ${VERSION}`);
        expect(commit).toMatch(/^commit {2}[0-9a-f]{40}(\+dirty)?$/);
        expect(built).toMatch(/^built {3}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        expect(target).toBe(`target  bun-${process.platform}-${process.arch}`);
        expect(runtime).toBe(`runtime Bun ${Bun.version}`);
      }
    }
  });

  test("the build date is the commit's, not the clock's", async () => {
    const committed = Bun.spawnSync(["git", "log", "-1", "--format=%ct"], { cwd: join(import.meta.dir, "../..") }).stdout.toString().trim();
    const built = (await run("rp-server", ["--version"])).stdout.split("\n")[2];
    expect(built).toBe(`built   ${new Date(Number(committed) * 1000).toISOString().replace(".000Z", "Z")}`);
  });

  test("--help lists the commands and the seed's environment names", async () => {
    const server = await run("rp-server", ["--help"]);
    expect(server.code).toBe(0);
    for (const text of ["start", "set-identity", "RP_SERVER_BIND_PORT", "RP_EVENT_HANDLER", "RP_SERVER_CLIENT_WAIT_S"]) expect(server.stdout).toContain(text);
    for (const text of ["ca init", "ca issue", "ca sign", "ca token", "ca serve", "ca revoke", "ca list", "identity show", "handler init DIR", "handler check FILE", "handler bundle FILE -o OUT", "set-identity --bundle FILE", "RP_SERVER_CERT_WARN_DAYS"]) {
      expect(server.stdout).toContain(text);
    }
    const client = await run("rp-client", ["--help"]);
    for (const text of ["RP_CLIENT_TARGET_HOSTNAME", "RP_CLIENT_TARGET_PORT", "set-identity --bundle FILE", "set-identity --cert CERT --ca CA", "enroll --server HOST[:PORT] --token TOKEN", "identity show", "identity request --cn NAME", "handler init DIR", "RP_CLIENT_IDENTITY_POLL_S"]) {
      expect(client.stdout).toContain(text);
    }
    expect(client.stdout).not.toContain("ca init");
  });

  test("an unknown command or flag is a usage error (exit 2)", async () => {
    expect(await run("rp-server", ["launch"])).toMatchObject({ code: 2, stderr: 'rp-server: unknown command "launch" (try --help)' });
    const flag = await run("rp-client", ["start", "--frobnicate"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("--frobnicate");
  });
});

describe("start-up errors name the variable and the value", () => {
  test("an invalid port in the environment", async () => {
    const result = await run("rp-server", ["start"], { RP_SERVER_BIND_PORT: "99999" });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('RP_SERVER_BIND_PORT="99999"');
  });

  test("a missing identity says which file", async () => {
    const result = await run("rp-client", ["start", "--identity-dir", join(pki.dir, "nowhere")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Cannot read the private key: ${join(pki.dir, "nowhere", "client.key.pem")}: no such file`);
  });

  test("a missing handler module", async () => {
    const result = await run("rp-client", ["start", "--identity-dir", stored.dir, "--handler", "/nonexistent/handlers.ts", "--http", "127.0.0.1:0"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Cannot load handler module /nonexistent/handlers.ts: no such file");
  });
});

describe("set-identity", () => {
  let dir: string;
  let before: Record<string, string>;

  beforeAll(async () => {
    dir = join(pki.dir, "set-identity-target");
    const first = await run("rp-client", ["set-identity", stored.keyPath, stored.certPath, stored.caPath, "--identity-dir", dir]);
    expect(first.code).toBe(0);
    expect(first.stdout).toStartWith("stored the client identity CN=stored (issued by CN=RestPipe Test CA");
    before = snapshot(dir);
  });

  function snapshot(where: string): Record<string, string> {
    return Object.fromEntries(["client.key.pem", "client.crt.pem", "client.ca.pem"].map((name) => [name, readFileSync(join(where, name), "utf8")]));
  }

  test("stores the key 0600 in a 0700 directory", () => {
    expect(statSync(join(dir, "client.key.pem")).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(before["client.crt.pem"]).toBe(stored.certPem);
  });

  test("a key that does not match the certificate", async () => {
    const other = await pki.client("other");
    const result = await run("rp-client", ["set-identity", other.keyPath, stored.certPath, stored.caPath, "--identity-dir", dir]);
    expect(result).toMatchObject({ code: 1, stderr: 'rp-client: Cannot use the identity: the private key does not match the certificate "CN=stored"' });
    expect(snapshot(dir)).toEqual(before);
  });

  test("a certificate from another CA", async () => {
    const foreign = await pki.foreignClient("foreign");
    const result = await run("rp-client", ["set-identity", foreign.keyPath, foreign.certPath, stored.caPath, "--identity-dir", dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('was not issued by the trusted CA');
    expect(snapshot(dir)).toEqual(before);
  });

  test("an expired certificate, and one not valid yet, are refused with messages that say so", async () => {
    const expired = await pki.expiredClient("expired");
    const early = await pki.notYetValidClient("early");
    const refuse = (identity: FileIdentity) => run("rp-client", ["set-identity", identity.keyPath, identity.certPath, identity.caPath, "--identity-dir", dir]);
    const [late, soon] = [await refuse(expired), await refuse(early)];
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/^rp-client: Cannot use the certificate: certificate "CN=expired" expired on \d{4}-/);
    expect(soon.code).toBe(1);
    expect(soon.stderr).toMatch(/^rp-client: Cannot use the certificate: certificate "CN=early" is not valid before \d{4}-/);
    expect(snapshot(dir)).toEqual(before);
  });

  test("a missing file", async () => {
    const result = await run("rp-server", ["set-identity", stored.keyPath, "/nonexistent/cert.pem", stored.caPath, "--identity-dir", dir]);
    expect(result).toMatchObject({ code: 1, stderr: "rp-server: Cannot read the certificate: /nonexistent/cert.pem: no such file" });
    expect(snapshot(dir)).toEqual(before);
  });

  test("the wrong number of files is a usage error", async () => {
    expect(await run("rp-client", ["set-identity", stored.keyPath])).toMatchObject({ code: 2, stderr: "rp-client: set-identity needs three files: KEY CERT CA (or --bundle FILE)" });
  });
});
