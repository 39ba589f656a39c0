import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createCa, IdentityError, issueCertificate, parseCertificatesPem, pemBlocks, type PemIdentity } from "../../../src/pki/index.ts";
import { openssl, scratchDir } from "./_openssl.ts";

const DAY_MS = 86_400_000;
let scratch: Awaited<ReturnType<typeof scratchDir>>;
let ecCa: PemIdentity;
let rsaCa: PemIdentity;
beforeAll(async () => {
  scratch = await scratchDir();
  [ecCa, rsaCa] = await Promise.all([createCa({ cn: "EC Issue CA" }), createCa({ cn: "RSA Issue CA", algorithm: "rsa" })]);
});
afterAll(() => scratch.dispose());

async function save(name: string, text: string): Promise<string> {
  await writeFile(join(scratch.dir, name), text);
  return name;
}

/** The "X509v3 extensions" section of `openssl x509 -text`, whitespace collapsed. */
function opensslExtensions(file: string): string {
  const text = openssl(["x509", "-in", file, "-noout", "-text"], scratch.dir).stdout;
  return text.slice(text.indexOf("X509v3 extensions:"), text.indexOf("Signature Algorithm:", text.indexOf("X509v3 extensions:"))).replace(/\s+/g, " ").trim();
}

describe("issued certificates pass openssl verify", () => {
  for (const caKind of ["ec", "rsa"] as const) {
    for (const algorithm of ["ec", "rsa"] as const) {
      for (const role of ["client", "server"] as const) {
        test(`${algorithm} ${role} certificate from an ${caKind} CA (purpose ssl${role})`, async () => {
          const ca = caKind === "ec" ? ecCa : rsaCa;
          const issued = await issueCertificate({ ca, cn: `${role}-${algorithm}`, role, algorithm, dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
          const caFile = await save(`ca-${caKind}.pem`, ca.certPem);
          const leafFile = await save(`leaf-${caKind}-${algorithm}-${role}.pem`, issued.certPem);
          const result = openssl(["verify", "-x509_strict", "-purpose", `ssl${role}`, "-CAfile", caFile, leafFile], scratch.dir, true);
          expect(`${result.exitCode} ${result.stdout.trim()} ${result.stderr.trim()}`).toBe(`0 ${leafFile}: OK `);
          // A client's certificate is refused as a server's (extKeyUsage is really there); a server's serves as a
          // client's too, since a server of a fleet dials its peers with it.
          const other = openssl(["verify", "-purpose", role === "client" ? "sslserver" : "sslclient", "-CAfile", caFile, leafFile], scratch.dir, true);
          if (role === "client") expect(other.exitCode).not.toBe(0);
          else expect(other.exitCode).toBe(0);
        });
      }
    }
  }

  test("a certificate from another CA fails openssl verify", async () => {
    const issued = await issueCertificate({ ca: rsaCa, cn: "x", role: "client" });
    const result = openssl(["verify", "-CAfile", await save("ca-ec.pem", ecCa.certPem), await save("x.pem", issued.certPem)], scratch.dir, true);
    expect(result.exitCode).not.toBe(0);
  });
});

describe("certificate contents", () => {
  test("the CA: v3, cA critical, keyCertSign + cRLSign, key identifiers", async () => {
    const file = await save("ca.pem", ecCa.certPem);
    const extensions = opensslExtensions(file);
    expect(extensions).toContain("X509v3 Basic Constraints: critical CA:TRUE");
    expect(extensions).toContain("X509v3 Key Usage: critical Certificate Sign, CRL Sign");
    expect(extensions).toMatch(/X509v3 Subject Key Identifier: ([0-9A-F:]+) X509v3 Authority Key Identifier: \1/);
    expect(openssl(["x509", "-in", file, "-noout", "-text"], scratch.dir).stdout).toContain("Version: 3 (0x2)");
  });

  test("an EC server leaf: SANs, serverAuth and clientAuth, digitalSignature, AKI = the CA's SKI", async () => {
    const issued = await issueCertificate({ ca: ecCa, cn: "localhost", role: "server", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"] });
    const extensions = opensslExtensions(await save("server.pem", issued.certPem));
    const caSki = /Subject Key Identifier: ([0-9A-F:]+)/.exec(opensslExtensions(await save("ca.pem", ecCa.certPem)))![1];
    expect(extensions).toBe(
      "X509v3 extensions: X509v3 Basic Constraints: critical CA:FALSE X509v3 Key Usage: critical Digital Signature " +
        "X509v3 Extended Key Usage: TLS Web Server Authentication, TLS Web Client Authentication " +
        "X509v3 Subject Alternative Name: DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1 " +
        `X509v3 Subject Key Identifier: ${/Subject Key Identifier: ([0-9A-F:]+)/.exec(extensions)![1]} X509v3 Authority Key Identifier: ${caSki}`,
    );
  });

  test("an RSA client leaf: clientAuth, digitalSignature + keyEncipherment, no SAN", async () => {
    const issued = await issueCertificate({ ca: ecCa, cn: "client-1", role: "client", algorithm: "rsa" });
    const extensions = opensslExtensions(await save("client.pem", issued.certPem));
    expect(extensions).toContain("X509v3 Key Usage: critical Digital Signature, Key Encipherment");
    expect(extensions).toContain("X509v3 Extended Key Usage: TLS Web Client Authentication");
    expect(extensions).not.toContain("Subject Alternative Name");
  });

  test("keys are PKCS#8 PEM that openssl reads, and match the certificate", async () => {
    for (const algorithm of ["ec", "rsa"] as const) {
      const issued = await issueCertificate({ ca: ecCa, cn: "k", role: "client", algorithm });
      expect(pemBlocks(issued.keyPem).map((b) => b.label)).toEqual(["PRIVATE KEY"]);
      const keyFile = await save(`k-${algorithm}.key`, issued.keyPem);
      const certFile = await save(`k-${algorithm}.pem`, issued.certPem);
      const fromKey = openssl(["pkey", "-in", keyFile, "-pubout"], scratch.dir).stdout;
      const fromCert = openssl(["x509", "-in", certFile, "-noout", "-pubkey"], scratch.dir).stdout;
      expect(fromKey).toBe(fromCert);
    }
  });

  test("defaults: random 16-byte serials, 825 days for a leaf and 3650 for a CA, backdated five minutes", async () => {
    const before = Date.now();
    const [ca] = await parseCertificatesPem(ecCa.certPem);
    const first = (await parseCertificatesPem((await issueCertificate({ ca: ecCa, cn: "a", role: "client" })).certPem))[0]!;
    const second = (await parseCertificatesPem((await issueCertificate({ ca: ecCa, cn: "a", role: "client" })).certPem))[0]!;
    expect(first.serialHex).toMatch(/^[4-7][0-9a-f]{31}$/);
    expect(first.serialHex).not.toBe(second.serialHex);
    expect(first.notAfter.getTime() - first.notBefore.getTime()).toBe(825 * DAY_MS);
    expect(ca!.notAfter.getTime() - ca!.notBefore.getTime()).toBe(3650 * DAY_MS);
    const backdate = before - first.notBefore.getTime();
    expect(backdate).toBeGreaterThanOrEqual(5 * 60_000 - 1000); // backdate was ${backdate}
    expect(backdate).toBeLessThan(5 * 60_000 + 5000);
  });

  test("a given serial is used, without leading zeros, as a positive INTEGER", async () => {
    const issued = await issueCertificate({ ca: ecCa, cn: "s", role: "client", serialHex: "00FF" });
    expect((await parseCertificatesPem(issued.certPem))[0]!.serialHex).toBe("ff");
    const printed = openssl(["x509", "-in", await save("s.pem", issued.certPem), "-noout", "-serial"], scratch.dir).stdout.trim();
    expect(printed).toBe("serial=FF");
  });

  test("a server certificate without SANs gets its CN as a DNS or IP SAN", async () => {
    const byName = await issueCertificate({ ca: ecCa, cn: "pipe.example.com", role: "server" });
    const byIp = await issueCertificate({ ca: ecCa, cn: "10.0.0.7", role: "server" });
    const [name] = await parseCertificatesPem(byName.certPem);
    const [ip] = await parseCertificatesPem(byIp.certPem);
    expect([name!.dnsNames, name!.ipAddresses, ip!.dnsNames, ip!.ipAddresses]).toEqual([["pipe.example.com"], [], [], ["10.0.0.7"]]);
  });
});

describe("issue errors", () => {
  test("an IP address that is not one", async () => {
    await expect(issueCertificate({ ca: ecCa, cn: "x", role: "server", ipAddresses: ["300.1.1.1"] })).rejects.toThrow(
      new RangeError('Cannot issue a certificate: current IP address "300.1.1.1" is not IPv4 or IPv6'),
    );
    await expect(issueCertificate({ ca: ecCa, cn: "x", role: "server", ipAddresses: ["1::2::3"] })).rejects.toThrow(RangeError);
  });

  test("notAfter not after notBefore", async () => {
    const at = new Date("2030-01-01T00:00:00.000Z");
    await expect(issueCertificate({ ca: ecCa, cn: "x", role: "client", notBefore: at, notAfter: at })).rejects.toThrow(
      new RangeError("Cannot issue a certificate: notAfter 2030-01-01T00:00:00.000Z is not after notBefore 2030-01-01T00:00:00.000Z"),
    );
  });

  test("a serial that is not hex", async () => {
    await expect(issueCertificate({ ca: ecCa, cn: "x", role: "client", serialHex: "xyz" })).rejects.toThrow(
      new RangeError('Cannot use serial: current value "xyz" is not hexadecimal'),
    );
  });

  test("a CA key that does not match the CA certificate", async () => {
    const error = await issueCertificate({ ca: { certPem: ecCa.certPem, keyPem: rsaCa.keyPem }, cn: "x", role: "client" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentityError);
    expect((error as Error).message).toBe('Cannot issue a certificate: the CA private key does not match the CA certificate "CN=EC Issue CA"');
  });
});
