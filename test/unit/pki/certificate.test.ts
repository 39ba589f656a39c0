import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  CertificateError,
  createCa,
  issueCertificate,
  parseCertificate,
  parseCertificatesPem,
  pemBlocks,
  requireCn,
  type PemIdentity,
} from "../../../src/pki/index.ts";
import { openssl, scratchDir } from "./_openssl.ts";

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection, the promise resolved");
}

let ca: PemIdentity;
let scratch: Awaited<ReturnType<typeof scratchDir>>;
beforeAll(async () => {
  ca = await createCa({ cn: "Fields CA" });
  scratch = await scratchDir();
});
afterAll(() => scratch.dispose());

describe("parseCertificate", () => {
  test("reads subject, issuer, SANs, serial, validity, CA flag and key algorithm", async () => {
    const notBefore = new Date("2025-03-04T05:06:07.000Z");
    const notAfter = new Date("2031-01-02T03:04:05.000Z");
    const issued = await issueCertificate({
      ca,
      cn: "client-1",
      organization: "Acme",
      role: "server",
      dnsNames: ["localhost", "pipe.example.com"],
      ipAddresses: ["127.0.0.1", "::1", "2001:db8::8:800:200c:417a", "::ffff:10.1.2.3"],
      notBefore,
      notAfter,
      serialHex: "00ff01",
    });
    const [info] = await parseCertificatesPem(issued.certPem);
    expect({ ...info!, der: undefined, fingerprintSha256: undefined }).toEqual({
      der: undefined,
      subjectCn: "client-1",
      issuerCn: "Fields CA",
      subject: "CN=client-1, O=Acme",
      issuer: "CN=Fields CA",
      dnsNames: ["localhost", "pipe.example.com"],
      ipAddresses: ["127.0.0.1", "::1", "2001:db8::8:800:200c:417a", "::ffff:a01:203"],
      uris: [],
      labels: {},
      invalidLabels: [],
      serialHex: "ff01",
      notBefore,
      notAfter,
      isCa: false,
      fingerprintSha256: undefined,
      keyAlgorithm: "EC P-256",
      signatureAlgorithm: "1.2.840.10045.4.3.2",
      extendedKeyUsages: ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], // a server certificate serves and, in a fleet, dials its peers
    });
    expect(info!.der).toEqual(pemBlocks(issued.certPem)[0]!.der);
  });

  test("a CA certificate has isCa and its own name as issuer", async () => {
    const [info] = await parseCertificatesPem(ca.certPem);
    expect([info!.isCa, info!.subject, info!.issuer, info!.subjectCn, info!.keyAlgorithm]).toEqual([
      true,
      "CN=Fields CA",
      "CN=Fields CA",
      "Fields CA",
      "EC P-256",
    ]);
    expect(info!.serialHex).toMatch(/^[1-9a-f][0-9a-f]{31}$/);
  });

  test("the fingerprint is what openssl prints, for EC and RSA certificates", async () => {
    for (const algorithm of ["ec", "rsa"] as const) {
      const issued = await issueCertificate({ ca, cn: `fp-${algorithm}`, role: "client", algorithm });
      await writeFile(join(scratch.dir, "fp.pem"), issued.certPem);
      const printed = openssl(["x509", "-in", "fp.pem", "-noout", "-fingerprint", "-sha256"], scratch.dir).stdout.trim();
      const [info] = await parseCertificatesPem(issued.certPem);
      expect(printed.slice(printed.indexOf("=") + 1)).toBe(info!.fingerprintSha256);
      expect(info!.keyAlgorithm).toBe(algorithm === "ec" ? "EC P-256" : "RSA-2048");
      expect(info!.fingerprintSha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    }
  });

  test("reads a certificate made by openssl: multi-attribute subject, P-384, escaping, serial", async () => {
    openssl(
      [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes", "-keyout", "o.key", "-out", "o.crt",
        "-days", "30", "-subj", "/C=DE/O=Acme\\, Inc./OU=Ops/CN=client\\+1", "-set_serial", "0x0102030405",
        "-addext", "subjectAltName=DNS:a.example,IP:10.0.0.1,IP:fe80::1:0:0:1",
      ],
      scratch.dir,
    );
    const [info] = await parseCertificatesPem(await scratch.read("o.crt"));
    expect(info!.subject).toBe("CN=client\\+1, OU=Ops, O=Acme\\, Inc., C=DE");
    expect(info!.subjectCn).toBe("client+1");
    expect(info!.keyAlgorithm).toBe("EC P-384");
    expect(info!.serialHex).toBe("0102030405");
    expect(info!.dnsNames).toEqual(["a.example"]);
    expect(info!.ipAddresses).toEqual(["10.0.0.1", "fe80::1:0:0:1"]);
    const printed = openssl(["x509", "-in", "o.crt", "-noout", "-startdate", "-enddate"], scratch.dir).stdout;
    expect(printed).toContain(`notBefore=${opensslDate(info!.notBefore)}`);
    expect(printed).toContain(`notAfter=${opensslDate(info!.notAfter)}`);
  });

  test("a multi-valued RDN prints its attributes joined by +", async () => {
    openssl(
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "m.key", "-out", "m.crt"]
        .concat(["-days", "1", "-multivalue-rdn", "-subj", "/O=Acme/CN=a+UID=b"]),
      scratch.dir,
    );
    const [info] = await parseCertificatesPem(await scratch.read("m.crt"));
    expect(info!.subject).toMatch(/^(CN=a\+UID=b|UID=b\+CN=a), O=Acme$/);
    expect(info!.subjectCn).toBe("a");
  });

  test("dates from 2050 on are GeneralizedTime and read back exactly", async () => {
    const notAfter = new Date("2061-07-08T09:10:11.000Z");
    const issued = await issueCertificate({ ca, cn: "far", role: "client", notAfter });
    const [info] = await parseCertificatesPem(issued.certPem);
    expect(info!.notAfter).toEqual(notAfter);
    await writeFile(join(scratch.dir, "far.pem"), issued.certPem);
    expect(openssl(["x509", "-in", "far.pem", "-noout", "-enddate"], scratch.dir).stdout.trim()).toBe("notAfter=Jul  8 09:10:11 2061 GMT");
  });

  test("a certificate without CN has subjectCn undefined and requireCn refuses it", async () => {
    const issued = await issueCertificate({ ca, organization: "Acme", role: "client" });
    const [info] = await parseCertificatesPem(issued.certPem);
    expect(info!.subjectCn).toBeUndefined();
    expect(info!.subject).toBe("O=Acme");
    const error = (() => {
      try {
        requireCn(info!);
      } catch (e) {
        return e as CertificateError;
      }
      throw new Error("requireCn accepted a certificate without CN");
    })();
    expect(error).toBeInstanceOf(CertificateError);
    expect(error.code).toBe("no-cn");
    expect(error.message).toBe('certificate "O=Acme" has no CN in its subject');
  });

  test("the result is frozen and does not share the caller's buffer", async () => {
    const der = pemBlocks(ca.certPem)[0]!.der;
    const info = await parseCertificate(der);
    der[0] = 0;
    expect(info.der[0]).toBe(0x30);
    expect(Object.isFrozen(info)).toBe(true);
    expect(Object.isFrozen(info.dnsNames)).toBe(true);
  });
});

describe("parseCertificate errors", () => {
  const cases: [string, Uint8Array, string][] = [
    ["an OCTET STRING", Uint8Array.of(0x04, 0x01, 0x01), "Cannot parse the certificate: the DER is not an X.509 certificate"],
    ["an empty SEQUENCE", Uint8Array.of(0x30, 0x00), "Cannot parse the certificate: the DER is not an X.509 certificate"],
    ["no bytes", new Uint8Array(0), "Cannot parse the certificate: not DER (Input buffer has zero length)"],
    [
      "a length past the end",
      Uint8Array.of(0x04, 0x02, 0x01),
      "Cannot parse the certificate: not DER (End of input reached before message was fully decoded (inconsistent offset and length values))",
    ],
  ];
  for (const [name, der, message] of cases) {
    test(`${name} is "malformed"`, async () => {
      const error = await rejectionOf(parseCertificate(der));
      expect(error).toBeInstanceOf(CertificateError);
      expect((error as CertificateError).code).toBe("malformed");
      expect(error.message).toBe(message);
    });
  }

  test("a certificate cut short is malformed", async () => {
    const der = pemBlocks(ca.certPem)[0]!.der;
    const error = await rejectionOf(parseCertificate(der.subarray(0, der.length - 10)));
    expect((error as CertificateError).code).toBe("malformed");
    expect(error.message.startsWith("Cannot parse the certificate: not DER")).toBe(true);
  });

  test("bytes after the certificate are malformed", async () => {
    const der = pemBlocks(ca.certPem)[0]!.der;
    const error = await rejectionOf(parseCertificate(Uint8Array.of(...der, 0, 0)));
    expect(error.message).toBe("Cannot parse the certificate: 2 bytes follow the DER");
  });
});

describe("parseCertificatesPem", () => {
  test("returns every CERTIFICATE block in order and skips other blocks", async () => {
    const leaf = await issueCertificate({ ca, cn: "leaf", role: "client" });
    const infos = await parseCertificatesPem(`${leaf.keyPem}${leaf.certPem}${ca.certPem}`);
    expect(infos.map((i) => i.subject)).toEqual(["CN=leaf", "CN=Fields CA"]);
  });

  test("a PEM without certificates names what it holds", async () => {
    const error = await rejectionOf(parseCertificatesPem(ca.keyPem));
    expect(error).toBeInstanceOf(CertificateError);
    expect(error.message).toBe("Cannot read certificates: the PEM holds no CERTIFICATE block, only PRIVATE KEY");
  });

  test("text that is not PEM", async () => {
    const error = await rejectionOf(parseCertificatesPem("hello"));
    expect((error as CertificateError).code).toBe("malformed");
    expect(error.message).toBe("Cannot read PEM: no BEGIN/END block found");
  });
});

/** `openssl x509 -startdate` format: "Mar  4 05:06:07 2025 GMT". */
function opensslDate(date: Date): string {
  const month = date.toLocaleString("en-US", { month: "short", timeZone: "UTC" });
  const time = date.toISOString().slice(11, 19);
  return `${month} ${String(date.getUTCDate()).padStart(2, " ")} ${time} ${date.getUTCFullYear()} GMT`;
}
