import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CaError,
  caPaths,
  checkIdentity,
  initCa,
  issueFromCa,
  listCa,
  normalizeSerial,
  parseBundle,
  parseCertificatesPem,
  readCrl,
  revokeInCa,
  type CertificateInfo,
} from "../../../src/pki/index.ts";
import { openssl, scratchDir } from "./_openssl.ts";

let scratch: Awaited<ReturnType<typeof scratchDir>>;
let dir: string;
let ca: CertificateInfo;
const DAY_MS = 86_400_000;

beforeAll(async () => {
  scratch = await scratchDir();
  dir = join(scratch.dir, "ca");
  ca = await initCa(dir, { cn: "Directory CA", algorithm: "ec", validityDays: 100 });
});
afterAll(() => scratch.dispose());

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe("initCa", () => {
  test("writes the key 0600, the certificate, an empty CRL and index in a 0700 directory", async () => {
    expect(await mode(dir)).toBe(0o700);
    expect(await readdir(dir)).toEqual(expect.arrayContaining(["ca.key.pem", "ca.crt.pem", "ca.crl.pem", "index.json"]));
    expect(await mode(join(dir, "ca.key.pem"))).toBe(0o600);
    expect(ca).toMatchObject({ subject: "CN=Directory CA", isCa: true, keyAlgorithm: "EC P-256" });
    expect(ca.notAfter.getTime() - ca.notBefore.getTime()).toBe(100 * DAY_MS);
    const crl = await readCrl(await readFile(caPaths(dir).crl, "utf8"), [ca]);
    expect({ revoked: crl.revoked, crlNumber: crl.crlNumber, nextUpdate: crl.nextUpdate }).toEqual({ revoked: [], crlNumber: 1, nextUpdate: ca.notAfter });
  });

  test("an RSA CA", async () => {
    const rsa = await initCa(join(scratch.dir, "rsa-ca"), { cn: "RSA Directory CA", algorithm: "rsa", validityDays: 10 });
    expect(rsa.keyAlgorithm).toBe("RSA-2048");
  });

  test("refuses to replace an existing CA", async () => {
    const before = await readFile(caPaths(dir).key, "utf8");
    await expect(initCa(dir, { cn: "Again", algorithm: "ec", validityDays: 1 })).rejects.toThrow(
      new CaError(`Cannot create a CA in ${dir}: ${caPaths(dir).key} already exists`),
    );
    expect(await readFile(caPaths(dir).key, "utf8")).toBe(before);
  });
});

describe("issueFromCa", () => {
  test("a client: key 0600, certificate, bundle 0600, an index record; openssl verifies it for sslclient", async () => {
    const issued = await issueFromCa(dir, { cn: "alpha", kind: "client", sans: [], algorithm: "ec", validityDays: 30 });
    expect(issued.paths).toEqual({ key: join(dir, "alpha.key.pem"), cert: join(dir, "alpha.crt.pem"), bundle: join(dir, "alpha.bundle.pem") });
    expect([await mode(issued.paths.key), await mode(issued.paths.cert), await mode(issued.paths.bundle)]).toEqual([0o600, 0o644, 0o600]);
    const bundle = parseBundle(await readFile(issued.paths.bundle, "utf8"));
    const checked = await checkIdentity(bundle);
    expect(checked.certificate.serialHex).toBe(issued.record.serial);
    expect(issued.record).toMatchObject({ cn: "alpha", kind: "client", sans: [], fingerprint: checked.certificate.fingerprintSha256 });
    const verified = openssl(["verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", "ca/ca.crt.pem", "ca/alpha.crt.pem"], scratch.dir, true);
    expect(`${verified.exitCode} ${verified.stdout.trim()}`).toBe("0 ca/alpha.crt.pem: OK");
  });

  test("a server with DNS and IP SANs (told apart by syntax); openssl verifies it for sslserver and the host", async () => {
    const issued = await issueFromCa(dir, { cn: "pipe.example.com", kind: "server", sans: ["pipe.example.com", "10.1.2.3", "::1"], algorithm: "rsa", validityDays: 30 });
    expect(issued.record.sans).toEqual(["DNS:pipe.example.com", "IP:10.1.2.3", "IP:::1"]);
    const verify = (...extra: string[]) =>
      openssl(["verify", "-purpose", "sslserver", ...extra, "-CAfile", "ca/ca.crt.pem", "ca/pipe.example.com.crt.pem"], scratch.dir, true).exitCode;
    expect([verify("-verify_hostname", "pipe.example.com"), verify("-verify_ip", "10.1.2.3"), verify("-verify_ip", "10.1.2.4")]).toEqual([0, 0, 2]);
  });

  test("a certificate never outlives its CA", async () => {
    const issued = await issueFromCa(dir, { cn: "long", kind: "client", sans: [], algorithm: "ec", validityDays: 1000 });
    expect([issued.cappedByCa, issued.record.notAfter]).toEqual([true, ca.notAfter.toISOString()]);
    const short = await issueFromCa(dir, { cn: "short", kind: "client", sans: [], algorithm: "ec", validityDays: 30 });
    expect(short.cappedByCa).toBe(false);
  });

  test("issuing a CN again is refused without force; with force it replaces its files and names the earlier certificate", async () => {
    const first = await issueFromCa(dir, { cn: "beta", kind: "client", sans: [], algorithm: "ec", validityDays: 30 });
    const before = await readFile(first.paths.key, "utf8");
    await expect(issueFromCa(dir, { cn: "beta", kind: "client", sans: [], algorithm: "ec", validityDays: 30 })).rejects.toThrow(
      new CaError(
        `Cannot issue a certificate for CN "beta": ${first.paths.key} exists; pass --force to replace its files ` +
          `(the certificate there stays valid until revoked: rp-server ca revoke ${first.record.serial})`,
      ),
    );
    expect(await readFile(first.paths.key, "utf8")).toBe(before);
    const second = await issueFromCa(dir, { cn: "beta", kind: "client", sans: [], algorithm: "ec", validityDays: 30, force: true });
    expect(second.earlier.map((record) => record.serial)).toEqual([first.record.serial]);
    const [written] = await parseCertificatesPem(await readFile(second.paths.cert, "utf8"));
    expect(written!.serialHex).toBe(second.record.serial);
  });

  test("a client certificate under a server's CN is refused, even with force", async () => {
    const server = await issueFromCa(dir, { cn: "srv.example", kind: "server", sans: ["srv.example"], algorithm: "ec", validityDays: 30 });
    const serverKey = await readFile(server.paths.key, "utf8");
    await expect(issueFromCa(dir, { cn: "srv.example", kind: "client", sans: [], algorithm: "ec", validityDays: 30, force: true })).rejects.toThrow(
      new CaError(`Cannot issue a client certificate for CN "srv.example": it is the CN of the server identity (serial ${server.record.serial}); choose another --cn for the client`),
    );
    await expect(issueFromCa(dir, { cn: "installed", kind: "client", sans: [], algorithm: "ec", validityDays: 30, serverCns: ["installed"] })).rejects.toThrow(
      new CaError('Cannot issue a client certificate for CN "installed": it is the CN of the installed server identity; choose another --cn for the client'),
    );
    expect(await readFile(server.paths.key, "utf8")).toBe(serverKey);
  });

  test("a CN that cannot name files, or a SAN that is neither a name nor an address", async () => {
    for (const cn of ["../evil", "a/b", "ca", ".hidden", ""]) {
      await expect(issueFromCa(dir, { cn, kind: "client", sans: [], algorithm: "ec", validityDays: 1 })).rejects.toThrow(CaError);
    }
    await expect(issueFromCa(dir, { cn: "srv", kind: "server", sans: ["bad_name!"], algorithm: "ec", validityDays: 1 })).rejects.toThrow(
      new RangeError('Cannot issue a certificate: current SAN "bad_name!" is neither a DNS name nor an IP address'),
    );
  });

  test("without a CA the error says how to make one", async () => {
    const empty = join(scratch.dir, "no-ca");
    await expect(issueFromCa(empty, { cn: "x", kind: "client", sans: [], algorithm: "ec", validityDays: 1 })).rejects.toThrow(
      new CaError(`Cannot use the CA in ${empty}: ${join(empty, "ca.key.pem")}: no such file (create one with: rp-server ca init)`),
    );
  });
});

describe("revokeInCa and listCa", () => {
  test("by CN: every unrevoked certificate of that CN; by serial (any case, colons): just that one; the CRL lists them all", async () => {
    const gamma = await issueFromCa(dir, { cn: "gamma", kind: "client", sans: [], algorithm: "ec", validityDays: 30 });
    const delta = await issueFromCa(dir, { cn: "delta", kind: "client", sans: [], algorithm: "ec", validityDays: 30 });
    const at = new Date("2031-01-01T00:00:00.000Z");
    const byCn = await revokeInCa(dir, "gamma", at);
    expect(byCn.revoked.map((record) => [record.cn, record.revokedAt])).toEqual([["gamma", at.toISOString()]]);
    const colons = delta.record.serial.toUpperCase().match(/../g)!.join(":");
    const bySerial = await revokeInCa(dir, colons, at);
    expect(bySerial.revoked.map((record) => record.serial)).toEqual([delta.record.serial]);
    const crl = await readCrl(await readFile(caPaths(dir).crl, "utf8"), [ca]);
    expect([...crl.serials].sort()).toEqual([gamma.record.serial, delta.record.serial].sort());
    expect(crl.crlNumber).toBe(3);
    const { records } = await listCa(dir);
    expect(records.filter((record) => record.revokedAt !== undefined).map((record) => record.cn).sort()).toEqual(["delta", "gamma"]);
  });

  test("nothing to revoke, or already revoked", async () => {
    await expect(revokeInCa(dir, "nobody")).rejects.toThrow(
      new CaError(`Cannot revoke "nobody": no certificate with that CN or serial in ${caPaths(dir).index} (see: rp-server ca list)`),
    );
    await expect(revokeInCa(dir, "gamma")).rejects.toThrow(new CaError('Cannot revoke "gamma": already revoked'));
  });

  test("a damaged index is reported, not overwritten", async () => {
    const other = join(scratch.dir, "damaged");
    await initCa(other, { cn: "Damaged CA", algorithm: "ec", validityDays: 1 });
    await writeFile(caPaths(other).index, "{ not json");
    await expect(listCa(other)).rejects.toThrow(/^Cannot read the CA index: .*index\.json: not JSON/);
    expect(await readFile(caPaths(other).index, "utf8")).toBe("{ not json");
  });
});

describe("normalizeSerial", () => {
  test("as typed by a user → whole bytes of lower-case hex without leading zero bytes, as serialHex", () => {
    expect(["0x00AB:CD", "ab:cd", "000d", "D", "0", "not-hex", ""].map(normalizeSerial)).toEqual(["abcd", "abcd", "0d", "0d", "0", undefined, undefined]);
  });
});

describe("concurrent CA commands", () => {
  test("issues and revokes running at once all land in the index (it is locked while rewritten)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rp-ca-lock-"));
    try {
      await initCa(dir, { cn: "Lock CA", algorithm: "ec", validityDays: 30 });
      const names = Array.from({ length: 12 }, (_, i) => `c${i}`);
      await Promise.all(names.map((cn) => issueFromCa(dir, { cn, kind: "client", sans: [], algorithm: "ec", validityDays: 10 })));
      await Promise.all(names.slice(0, 6).map((cn) => revokeInCa(dir, cn)));
      const { records } = await listCa(dir);
      expect(records.map((r) => r.cn).sort()).toEqual([...names].sort());
      expect(records.filter((r) => r.revokedAt !== undefined).map((r) => r.cn).sort()).toEqual(names.slice(0, 6).sort());
      expect(existsSync(join(dir, "index.lock"))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
