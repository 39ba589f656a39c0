/** The certificate policy (src/pki/policy.ts) on certificates made by openssl: what passes, and each refusal's words. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { isServerCertificate, parseCertificatesPem, policyProblem } from "../../../src/pki/index.ts";
import { makeTestPki, type TestPki } from "../../support/index.ts";
import { opensslIdentity, type OpensslCertificateOptions } from "../../support/openssl-identity.ts";

let pki: TestPki;
beforeAll(async () => (pki = await makeTestPki()));
afterAll(() => pki?.cleanup());

async function problemOf(role: "client" | "server", options: OpensslCertificateOptions): Promise<string | undefined> {
  const identity = opensslIdentity(pki, role, `policy-${role}`, options);
  const [certificate] = await parseCertificatesPem(identity.certPem);
  return policyProblem(certificate!, role);
}

const SERVER = ["subjectAltName=DNS:rp.example.com", "extendedKeyUsage=serverAuth"];

describe("accepted", () => {
  const cases: Array<[string, OpensslCertificateOptions]> = [
    ["RSA-2048, SHA-256, no EKU", { newkey: ["rsa:2048"] }],
    ["RSA-2048, SHA-384", { newkey: ["rsa:2048"], digest: "sha384" }],
    ["EC P-256", { newkey: ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"] }],
    ["EC P-384, SHA-512", { newkey: ["ec", "-pkeyopt", "ec_paramgen_curve:P-384"], digest: "sha512" }],
    ["Ed25519", { newkey: ["ed25519"] }],
    ["EKU with clientAuth among others", { extensions: ["extendedKeyUsage=serverAuth,clientAuth"] }],
  ];
  for (const [name, options] of cases) test(`client: ${name}`, async () => expect(await problemOf("client", options)).toBeUndefined());
  test("server with a DNS SAN and serverAuth", async () => expect(await problemOf("server", { extensions: SERVER })).toBeUndefined());
  test("server with only an IP SAN", async () => expect(await problemOf("server", { extensions: ["subjectAltName=IP:10.0.0.5"] })).toBeUndefined());
});

describe("a server's certificate, as a fleet peer presents it", () => {
  const serverLike = async (options: OpensslCertificateOptions) => {
    const [certificate] = await parseCertificatesPem(opensslIdentity(pki, "client", "eku", options).certPem);
    return isServerCertificate(certificate!);
  };
  test("serverAuth in the EKU (with or without clientAuth): a server", async () => {
    expect(await serverLike({ extensions: ["extendedKeyUsage=serverAuth,clientAuth"] })).toBe(true);
    expect(await serverLike({ extensions: ["extendedKeyUsage=serverAuth"] })).toBe(true);
  });
  test("clientAuth only, or no EKU at all: a client", async () => {
    expect(await serverLike({ extensions: ["extendedKeyUsage=clientAuth"] })).toBe(false);
    expect(await serverLike({})).toBe(false);
  });
  test("the test PKI's server certificate (issued by RestPipe) is one and passes as a client's too", async () => {
    const [certificate] = await parseCertificatesPem(pki.server.certPem);
    expect(isServerCertificate(certificate!)).toBe(true);
    expect(policyProblem(certificate!, "client")).toBeUndefined();
  });
});

describe("refused, with the reason", () => {
  test("EC P-521 is not on the list", async () => {
    expect(await problemOf("client", { newkey: ["ec", "-pkeyopt", "ec_paramgen_curve:P-521"] })).toBe(
      "its key is EC P-521; use RSA of 2048 bits or more, EC P-256, EC P-384 or Ed25519",
    );
  });
  test("RSA-1024", async () => expect(await problemOf("client", { newkey: ["rsa:1024"] })).toContain("its key is RSA-1024;"));
  test("SHA-1 (the CA's EC key: ecdsa-with-SHA1)", async () =>
    expect(await problemOf("client", { digest: "sha1" })).toBe("it is signed with ecdsa-with-SHA1; the CA must sign with SHA-256 or stronger"));
  test("SHA-224", async () => expect(await problemOf("client", { digest: "sha224" })).toContain("ecdsa-with-SHA224"));
  test("a CA certificate as a leaf", async () =>
    expect(await problemOf("client", { extensions: ["basicConstraints=CA:TRUE"] })).toStartWith("it is a CA certificate (basicConstraints CA:TRUE)"));
  test("a client EKU without clientAuth", async () =>
    expect(await problemOf("client", { extensions: ["extendedKeyUsage=emailProtection"] })).toBe(
      "its extended key usage (emailProtection) lacks clientAuth; issue it with extendedKeyUsage=clientAuth",
    ));
  test("a server EKU without serverAuth", async () =>
    expect(await problemOf("server", { extensions: ["subjectAltName=DNS:x.example", "extendedKeyUsage=clientAuth"] })).toContain("lacks serverAuth"));
  test("a server certificate without a SAN", async () =>
    expect(await problemOf("server", { extensions: ["extendedKeyUsage=serverAuth"] })).toStartWith("it names no host (no DNS or IP subjectAltName)"));
  test("a client certificate needs no SAN", async () => expect(await problemOf("client", {})).toBeUndefined());
});
