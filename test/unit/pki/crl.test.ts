import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  createCa,
  issueCertificate,
  parseCertificatesPem,
  pemBlocks,
  readCrl,
  RevocationListError,
  signCrl,
  toPem,
  type CertificateInfo,
  type PemIdentity,
} from "../../../src/pki/index.ts";
import { openssl, scratchDir } from "./_openssl.ts";

let scratch: Awaited<ReturnType<typeof scratchDir>>;
let ecCa: PemIdentity;
let rsaCa: PemIdentity;
let ecCaInfo: CertificateInfo[];
const DAY_MS = 86_400_000;

beforeAll(async () => {
  scratch = await scratchDir();
  [ecCa, rsaCa] = await Promise.all([createCa({ cn: "CRL EC CA" }), createCa({ cn: "CRL RSA CA", algorithm: "rsa" })]);
  ecCaInfo = await parseCertificatesPem(ecCa.certPem);
});
afterAll(() => scratch.dispose());

async function save(name: string, text: string): Promise<string> {
  await writeFile(join(scratch.dir, name), text);
  return name;
}

async function serialOf(pem: string): Promise<string> {
  return (await parseCertificatesPem(pem))[0]!.serialHex;
}

describe("signCrl", () => {
  for (const [kind, ca] of [["EC", () => ecCa], ["RSA", () => rsaCa]] as const) {
    test(`a CRL from an ${kind} CA passes openssl, and openssl verify -crl_check refuses exactly the revoked certificate`, async () => {
      const revoked = await issueCertificate({ ca: ca(), cn: "gone", role: "client" });
      const kept = await issueCertificate({ ca: ca(), cn: "kept", role: "client" });
      const crl = await signCrl({ ca: ca(), revoked: [{ serialHex: await serialOf(revoked.certPem), revokedAt: new Date() }], crlNumber: 3, nextUpdate: new Date(Date.now() + DAY_MS) });
      expect(pemBlocks(crl).map((block) => block.label)).toEqual(["X509 CRL"]);
      const [caFile, crlFile] = [await save(`${kind}-ca.pem`, ca().certPem), await save(`${kind}.crl`, crl)];
      const checked = openssl(["crl", "-in", crlFile, "-CAfile", caFile, "-noout", "-text"], scratch.dir);
      expect(checked.stderr.trim()).toBe("verify OK");
      expect(checked.stdout).toContain("X509v3 CRL Number: \n                3");
      expect(checked.stdout).toContain("X509v3 Authority Key Identifier");
      const verify = (file: string) => openssl(["verify", "-crl_check", "-CRLfile", crlFile, "-CAfile", caFile, file], scratch.dir, true);
      expect(verify(await save(`${kind}-kept.pem`, kept.certPem)).exitCode).toBe(0);
      const refused = verify(await save(`${kind}-gone.pem`, revoked.certPem));
      expect(refused.exitCode).not.toBe(0);
      expect(refused.stderr + refused.stdout).toContain("certificate revoked");
    });
  }

  test("an empty CRL leaves the revoked list out and revokes nothing", async () => {
    const crl = await signCrl({ ca: ecCa, revoked: [], crlNumber: 1, nextUpdate: new Date(Date.now() + DAY_MS) });
    const text = openssl(["crl", "-in", await save("empty.crl", crl), "-noout", "-text"], scratch.dir).stdout;
    expect(text).toContain("No Revoked Certificates.");
    expect((await readCrl(crl, ecCaInfo)).revoked).toEqual([]);
  });
});

describe("readCrl", () => {
  test("reads issuer, dates, number and revoked serials (with a high-bit serial, as a positive INTEGER)", async () => {
    const at = new Date("2030-05-01T10:00:00.000Z");
    const crl = await signCrl({
      ca: ecCa,
      revoked: [
        { serialHex: "ff01", revokedAt: at },
        { serialHex: "7a", revokedAt: at },
      ],
      crlNumber: 42,
      thisUpdate: at,
      nextUpdate: new Date("2031-05-01T10:00:00.000Z"),
    });
    const info = await readCrl(crl, ecCaInfo);
    expect(info).toMatchObject({ issuer: "CN=CRL EC CA", thisUpdate: at, nextUpdate: new Date("2031-05-01T10:00:00.000Z"), crlNumber: 42 });
    expect(info.revoked).toEqual([
      { serialHex: "ff01", revokedAt: at },
      { serialHex: "7a", revokedAt: at },
    ]);
    expect([...info.serials]).toEqual(["ff01", "7a"]);
    const printed = openssl(["crl", "-in", await save("serials.crl", crl), "-noout", "-text"], scratch.dir).stdout;
    expect(printed).toContain("Serial Number: FF01");
  });

  test("reads a CRL made by openssl ca", async () => {
    const caKey = await save("o-ca.key", ecCa.keyPem);
    const caCert = await save("o-ca.pem", ecCa.certPem);
    const revoked = await save("o-revoked.pem", (await issueCertificate({ ca: ecCa, cn: "o", role: "client" })).certPem);
    await save("index.txt", "");
    await save("crlnumber", "1000\n");
    await save("ca.cnf", "[ca]\ndefault_ca=c\n[c]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sha256\ndefault_crl_days=30\n");
    openssl(["ca", "-config", "ca.cnf", "-keyfile", caKey, "-cert", caCert, "-revoke", revoked], scratch.dir);
    openssl(["ca", "-config", "ca.cnf", "-keyfile", caKey, "-cert", caCert, "-gencrl", "-out", "o.crl"], scratch.dir);
    const info = await readCrl(await scratch.read("o.crl"), ecCaInfo);
    expect([...info.serials]).toEqual([await serialOf(await scratch.read(revoked))]);
    expect(info.crlNumber).toBe(0x1000);
  });

  test("a CRL signed by another CA", async () => {
    const crl = await signCrl({ ca: rsaCa, revoked: [], crlNumber: 1, nextUpdate: new Date(Date.now() + DAY_MS) });
    const error = await readCrl(crl, ecCaInfo).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RevocationListError);
    expect((error as Error).message).toBe('Cannot use the revocation list of "CN=CRL RSA CA": it is not signed by the CA ("CN=CRL EC CA")');
  });

  test("a CRL whose revoked serial was altered after signing", async () => {
    const crl = await signCrl({ ca: ecCa, revoked: [{ serialHex: "5a5a", revokedAt: new Date() }], crlNumber: 1, nextUpdate: new Date(Date.now() + DAY_MS) });
    const der = pemBlocks(crl)[0]!.der;
    const at = der.findIndex((_, i) => der[i] === 0x02 && der[i + 1] === 2 && der[i + 2] === 0x5a && der[i + 3] === 0x5a);
    expect(at).toBeGreaterThan(0);
    der[at + 3] = 0x5b;
    const error = await readCrl(toPem("X509 CRL", der), ecCaInfo).catch((e: unknown) => e);
    expect((error as Error).message).toEndWith("it is not signed by the CA (\"CN=CRL EC CA\")");
  });

  test("text without a CRL says what it holds", async () => {
    await expect(readCrl(ecCa.certPem, ecCaInfo)).rejects.toThrow(
      new RevocationListError('Cannot read the revocation list: the PEM holds no "X509 CRL" block, only CERTIFICATE'),
    );
    await expect(readCrl("nothing", ecCaInfo)).rejects.toThrow(new RevocationListError("Cannot read the revocation list: no BEGIN/END block found"));
  });
});
