import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { checkIdentity, createCa, IdentityError, issueCertificate, type Identity, type IdentityPart } from "../../../src/pki/index.ts";
import { makeTestPki, type TestPki } from "../../support/index.ts";
import { openssl, scratchDir } from "./_openssl.ts";

let pki: TestPki;
let scratch: Awaited<ReturnType<typeof scratchDir>>;
beforeAll(async () => {
  pki = await makeTestPki();
  scratch = await scratchDir();
});
afterAll(async () => {
  await pki.cleanup();
  await scratch.dispose();
});

async function identityError(identity: Identity, at?: Date): Promise<IdentityError> {
  try {
    await checkIdentity(identity, at);
  } catch (error) {
    expect(error).toBeInstanceOf(IdentityError);
    return error as IdentityError;
  }
  throw new Error("expected checkIdentity to fail, it passed");
}

function expectFailure(error: IdentityError, part: IdentityPart, message: string): void {
  expect({ part: error.part, message: error.message }).toEqual({ part, message });
}

describe("identities made by the openssl CLI pass checkIdentity", () => {
  const run = (...args: string[]) => openssl(args, scratch.dir);
  const sign = (csr: string, ca: string, out: string) =>
    run("x509", "-req", "-in", csr, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-days", "10", "-out", out);

  beforeAll(() => {
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ec-ca.key", "-out", "ec-ca.crt", "-days", "30", "-subj", "/CN=OpenSSL EC CA");
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rsa-ca.key", "-out", "rsa-ca.crt", "-days", "30", "-subj", "/O=Acme/CN=OpenSSL RSA CA");
  });

  test("EC key in SEC1 form (openssl ecparam -genkey), signed by an EC CA", async () => {
    run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec.key");
    run("req", "-new", "-key", "ec.key", "-subj", "/CN=ossl-ec", "-out", "ec.csr");
    sign("ec.csr", "ec-ca", "ec.crt");
    const keyPem = await scratch.read("ec.key");
    expect(keyPem).toStartWith("-----BEGIN EC PRIVATE KEY-----");
    const checked = await checkIdentity({ keyPem, certPem: await scratch.read("ec.crt"), caPem: await scratch.read("ec-ca.crt") });
    expect([checked.certificate.subjectCn, checked.certificate.keyAlgorithm, checked.ca.map((c) => c.subject)]).toEqual([
      "ossl-ec",
      "EC P-256",
      ["CN=OpenSSL EC CA"],
    ]);
  });

  test("RSA key from openssl req -newkey rsa:2048, as PKCS#8 and as PKCS#1, signed by an RSA CA", async () => {
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "rsa.key", "-subj", "/CN=ossl-rsa", "-out", "rsa.csr");
    run("rsa", "-in", "rsa.key", "-traditional", "-out", "rsa-pkcs1.key");
    sign("rsa.csr", "rsa-ca", "rsa.crt");
    const certPem = await scratch.read("rsa.crt");
    const caPem = await scratch.read("rsa-ca.crt");
    for (const [file, label] of [["rsa.key", "PRIVATE KEY"], ["rsa-pkcs1.key", "RSA PRIVATE KEY"]]) {
      const keyPem = await scratch.read(file!);
      expect(keyPem).toStartWith(`-----BEGIN ${label}-----`);
      const checked = await checkIdentity({ keyPem, certPem, caPem });
      expect([checked.certificate.subjectCn, checked.certificate.keyAlgorithm, checked.ca[0]!.subject]).toEqual([
        "ossl-rsa",
        "RSA-2048",
        "CN=OpenSSL RSA CA, O=Acme",
      ]);
    }
  });

  test("encrypted PKCS#8 key with its passphrase; without it the key part fails", async () => {
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-keyout", "enc.key", "-passout", "pass:s3cret", "-subj", "/CN=ossl-enc", "-out", "enc.csr");
    sign("enc.csr", "ec-ca", "enc.crt");
    const identity = { keyPem: await scratch.read("enc.key"), certPem: await scratch.read("enc.crt"), caPem: await scratch.read("ec-ca.crt") };
    expect(identity.keyPem).toStartWith("-----BEGIN ENCRYPTED PRIVATE KEY-----");
    expect((await checkIdentity({ ...identity, passphrase: "s3cret" })).certificate.subjectCn).toBe("ossl-enc");
    expectFailure(await identityError(identity), "key", "Cannot read the private key: it is encrypted and no passphrase was given");
  });

  test("an identity issued by RestPipe's CA passes", async () => {
    const checked = await checkIdentity(await pki.client("client-1"));
    expect(checked.certificate.subjectCn).toBe("client-1");
    expect((await checkIdentity(pki.server)).certificate.ipAddresses).toEqual(["127.0.0.1", "::1"]);
  });
});

describe("checkIdentity failures name the part", () => {
  test("a key that belongs to another certificate", async () => {
    const a = await pki.client("a");
    const b = await pki.client("b");
    expectFailure(await identityError({ ...b, keyPem: a.keyPem }), "match", 'Cannot use the identity: the private key does not match the certificate "CN=b"');
  });

  test("a certificate from another CA", async () => {
    const foreign = await pki.foreignClient("intruder");
    expectFailure(
      await identityError(foreign),
      "chain",
      'Cannot use the certificate: certificate "CN=intruder" was not issued by the trusted CA ("CN=RestPipe Test CA")',
    );
  });

  test("an expired certificate", async () => {
    const notAfter = new Date("2026-02-03T04:05:06.000Z");
    const issued = await issueCertificate({ ca: pki.ca, cn: "old", role: "client", notBefore: new Date("2026-01-01T00:00:00Z"), notAfter });
    const error = await identityError({ ...issued, caPem: pki.ca.certPem }, new Date("2026-03-01T00:00:00Z"));
    expectFailure(error, "chain", 'Cannot use the certificate: certificate "CN=old" expired on 2026-02-03T04:05:06.000Z');
  });

  test("a certificate that is not valid yet", async () => {
    const client = await pki.notYetValidClient("early");
    const error = await identityError(client);
    expect(error.part).toBe("chain");
    expect(error.message).toStartWith('Cannot use the certificate: certificate "CN=early" is not valid before ');
  });

  test("an expired CA", async () => {
    const day = 86_400_000;
    const oldCa = await createCa({ cn: "Old CA", notBefore: new Date(Date.now() - 20 * day), validityDays: 10 });
    const issued = await issueCertificate({ ca: oldCa, cn: "c", role: "client", notBefore: new Date(Date.now() - day), notAfter: new Date(Date.now() + day) });
    const error = await identityError({ ...issued, caPem: oldCa.certPem });
    expect(error.part).toBe("ca-validity");
    expect(error.message).toStartWith('Cannot use the CA certificate: certificate "CN=Old CA" expired on ');
  });

  test("a certificate without CN", async () => {
    expectFailure(
      await identityError(await pki.clientWithoutCn()),
      "cn",
      'Cannot use the certificate: certificate "O=RestPipe tests" has no CN in its subject',
    );
  });

  test("a DER key", async () => {
    const client = await pki.client("der");
    openssl(["pkey", "-in", client.keyPath, "-outform", "DER", "-out", "key.der"], scratch.dir);
    const keyPem = await readFile(join(scratch.dir, "key.der"), "utf8");
    expectFailure(
      await identityError({ ...client, keyPem }),
      "key",
      "Cannot read the private key: it is DER (binary); a PEM key is needed (convert with: openssl pkey -inform DER -in key.der -out key.pem)",
    );
  });

  test("garbage in each part", async () => {
    const good = await pki.client("g");
    expectFailure(
      await identityError({ ...good, keyPem: "garbage" }),
      "key",
      "Cannot read the private key: no PEM block found (expected -----BEGIN PRIVATE KEY-----)",
    );
    expectFailure(await identityError({ ...good, certPem: "garbage" }), "certificate", "Cannot read the certificate: no BEGIN/END block found");
    expectFailure(await identityError({ ...good, caPem: "garbage" }), "ca", "Cannot read the CA certificate: no BEGIN/END block found");
    expectFailure(
      await identityError({ ...good, certPem: good.keyPem }),
      "certificate",
      "Cannot read the certificate: the PEM holds no CERTIFICATE block, only PRIVATE KEY",
    );
  });

  test("checks run in order: a bad key is reported before a bad certificate and CA", async () => {
    const error = await identityError({ keyPem: "x", certPem: "y", caPem: "z" });
    expect(error.part).toBe("key");
    const error2 = await identityError({ ...(await pki.client("o")), certPem: "y", caPem: "z" });
    expect(error2.part).toBe("certificate");
  });
});
