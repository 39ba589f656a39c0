import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  CertificateError,
  createCa,
  issueCertificate,
  parseCertificate,
  parseCertificatesPem,
  trustedIssuer,
  verifyCertificate,
  type CertificateInfo,
  type PemIdentity,
} from "../../../src/pki/index.ts";
import { makeTestPki, type TestPki } from "../../support/index.ts";

async function certOf(pem: string): Promise<CertificateInfo> {
  return (await parseCertificatesPem(pem))[0]!;
}

async function verifyError(promise: Promise<unknown>): Promise<CertificateError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CertificateError);
    return error as CertificateError;
  }
  throw new Error("expected verification to fail, it passed");
}

let pki: TestPki;
let ca: CertificateInfo;
beforeAll(async () => {
  pki = await makeTestPki();
  ca = await certOf(pki.ca.certPem);
});
afterAll(() => pki.cleanup());

describe("verifyCertificate", () => {
  test("accepts a certificate issued by the trusted CA, and says which CA it was", async () => {
    const client = await certOf((await pki.client("client-1")).certPem);
    await verifyCertificate(client, [ca]);
    const other = await certOf((await createCa({ cn: "Other CA" })).certPem);
    expect(await trustedIssuer(client, [other, ca])).toBe(ca);
  });

  test("accepts at the exact ends of the validity window", async () => {
    const notBefore = new Date("2030-01-01T00:00:00.000Z");
    const notAfter = new Date("2030-02-01T00:00:00.000Z");
    const client = await certOf((await issueCertificate({ ca: pki.ca, cn: "edge", role: "client", notBefore, notAfter })).certPem);
    await verifyCertificate(client, [ca], notBefore);
    await verifyCertificate(client, [ca], notAfter);
    expect((await verifyError(verifyCertificate(client, [ca], new Date(notAfter.getTime() + 1)))).code).toBe("expired");
    expect((await verifyError(verifyCertificate(client, [ca], new Date(notBefore.getTime() - 1)))).code).toBe("not-yet-valid");
  });

  test("an expired certificate", async () => {
    const notAfter = new Date("2026-01-01T00:00:00.000Z");
    const issued = await issueCertificate({ ca: pki.ca, cn: "client-1", role: "client", notBefore: new Date("2025-01-01T00:00:00Z"), notAfter });
    const error = await verifyError(verifyCertificate(await certOf(issued.certPem), [ca], new Date("2026-06-01T00:00:00Z")));
    expect(error.code).toBe("expired");
    expect(error.message).toBe('certificate "CN=client-1" expired on 2026-01-01T00:00:00.000Z');
  });

  test("a certificate that is not valid yet", async () => {
    const notBefore = new Date("2027-05-06T07:08:09.000Z");
    const issued = await issueCertificate({ ca: pki.ca, cn: "client-1", role: "client", notBefore });
    const error = await verifyError(verifyCertificate(await certOf(issued.certPem), [ca], new Date("2027-05-06T07:08:08.999Z")));
    expect(error.code).toBe("not-yet-valid");
    expect(error.message).toBe('certificate "CN=client-1" is not valid before 2027-05-06T07:08:09.000Z');
  });

  test("the test PKI's expired and not-yet-valid clients fail now", async () => {
    expect((await verifyError(verifyCertificate(await certOf((await pki.expiredClient("e")).certPem), [ca]))).code).toBe("expired");
    expect((await verifyError(verifyCertificate(await certOf((await pki.notYetValidClient("n")).certPem), [ca]))).code).toBe(
      "not-yet-valid",
    );
  });

  test("a certificate from a foreign CA", async () => {
    const foreign = await certOf((await pki.foreignClient("client-1")).certPem);
    const error = await verifyError(verifyCertificate(foreign, [ca]));
    expect(error.code).toBe("untrusted");
    expect(error.message).toBe('certificate "CN=client-1" was not issued by the trusted CA ("CN=RestPipe Test CA")');
  });

  test("a CA with the same name but another key is not the issuer", async () => {
    const impostor: PemIdentity = await createCa({ cn: "RestPipe Test CA" });
    const forged = await certOf((await issueCertificate({ ca: impostor, cn: "admin", role: "client" })).certPem);
    expect(forged.issuer).toBe(ca.subject);
    const error = await verifyError(verifyCertificate(forged, [ca]));
    expect(error.code).toBe("untrusted");
    expect(error.message).toBe('certificate "CN=admin" was not issued by the trusted CA ("CN=RestPipe Test CA")');
  });

  test("a certificate whose signature was tampered with", async () => {
    const good = await certOf((await pki.client("client-1")).certPem);
    const der = Uint8Array.from(good.der);
    der[der.length - 5]! ^= 0x01; // inside the signature value
    const error = await verifyError(verifyCertificate(await parseCertificate(der), [ca]));
    expect(error.code).toBe("untrusted");
  });

  test("several trusted CAs, none of which issued it, are all named", async () => {
    const a = await certOf((await createCa({ cn: "A" })).certPem);
    const b = await certOf((await createCa({ cn: "B" })).certPem);
    const client = await certOf((await pki.client("client-1")).certPem);
    const error = await verifyError(verifyCertificate(client, [a, b]));
    expect(error.message).toBe('certificate "CN=client-1" was not issued by the trusted CAs ("CN=A", "CN=B")');
  });

  test("no trusted CA at all", async () => {
    const client = await certOf((await pki.client("client-1")).certPem);
    expect((await verifyError(verifyCertificate(client, []))).message).toBe(
      'certificate "CN=client-1" was not issued by a trusted CA (none is configured)',
    );
  });

  test("an RSA CA and an RSA leaf verify", async () => {
    const rsaCa = await createCa({ cn: "RSA CA", algorithm: "rsa" });
    const leaf = await certOf((await issueCertificate({ ca: rsaCa, cn: "rsa-client", role: "client", algorithm: "rsa" })).certPem);
    await verifyCertificate(leaf, [await certOf(rsaCa.certPem)]);
    expect((await verifyError(verifyCertificate(leaf, [ca]))).code).toBe("untrusted");
  });

  test("a copy of the info (spread, without the hidden pkijs object) still verifies", async () => {
    const client = await certOf((await pki.client("client-1")).certPem);
    await verifyCertificate({ ...client }, [{ ...ca }]);
    const foreign = await certOf((await pki.foreignClient("x")).certPem);
    expect((await verifyError(verifyCertificate({ ...foreign }, [{ ...ca }]))).code).toBe("untrusted");
  });
});
