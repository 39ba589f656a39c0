/**
 * The native certificate reader (the runtime's X509Certificate and a small DER reader, src/pki/certificate.ts)
 * against the pkijs reader it replaced (_pkijs-reference.ts): per-run test certificates and hostile ones made with
 * openssl (no CN, several CNs, multi-valued RDNs, escaping, UTF-8, BMPString, T61String, invalid UTF-8, odd serials,
 * RSA-PSS, other SAN kinds) read the same field by field, so no refusal changes; and Deno reads them as Bun does.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseCertificate, pemBlocks, policyProblem, trustedIssuer, type CertificateInfo } from "../../../src/pki/index.ts";
import { DENO, ROOT } from "../../support/deno.ts";
import { makeTestPki, type TestPki } from "../../support/index.ts";
import { openssl, scratchDir } from "./_openssl.ts";
import { referenceFields } from "./_pkijs-reference.ts";

let pki: TestPki;
let scratch: Awaited<ReturnType<typeof scratchDir>>;
beforeAll(async () => {
  pki = await makeTestPki();
  scratch = await scratchDir();
});
afterAll(async () => {
  await scratch?.dispose();
  await pki?.cleanup();
});

/** The summary fields both readers produce. */
function fieldsOf(info: CertificateInfo) {
  const { der: _der, labels: _labels, invalidLabels: _invalid, ...rest } = info;
  return { ...rest, dnsNames: [...rest.dnsNames], ipAddresses: [...rest.ipAddresses], uris: [...rest.uris], extendedKeyUsages: rest.extendedKeyUsages && [...rest.extendedKeyUsages] };
}

async function expectSameReading(pem: string): Promise<CertificateInfo> {
  const der = pemBlocks(pem)[0]!.der;
  const native = await parseCertificate(der);
  expect(fieldsOf(native)).toEqual(referenceFields(der));
  return native;
}

let made = 0;
/** A self-signed certificate made by openssl req -x509 with these extra arguments; returns its PEM. */
async function opensslPem(args: readonly string[], key: readonly string[] = ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"]): Promise<string> {
  const name = `c${++made}`;
  // `-string_mask MASK` is a configuration setting of openssl req, not a flag: it goes into a file of its own.
  const mask = args.indexOf("-string_mask");
  const rest = mask < 0 ? args : [...args.slice(0, mask), ...args.slice(mask + 2)];
  const config = join(scratch.dir, `${name}.cnf`);
  writeFileSync(config, `[req]\ndistinguished_name = dn\nprompt = no\nstring_mask = ${mask < 0 ? "utf8only" : args[mask + 1]}\n[dn]\nCN = x\n`);
  openssl(["req", "-config", config, "-x509", "-nodes", "-newkey", ...key, "-keyout", `${name}.key`, "-out", `${name}.crt`, "-days", "30", ...rest], scratch.dir);
  return scratch.read(`${name}.crt`);
}

describe("the native reader reads what the pkijs reader read", () => {
  test("the per-run test PKI: CA, server, client with labels, expired, not yet valid, without CN", async () => {
    const pems = [
      pki.ca.certPem,
      pki.server.certPem,
      (await pki.client("native-1", { labels: { env: "prod", zone: "eu-1" }, dnsNames: ["a.example"], ipAddresses: ["10.1.2.3", "fe80::1"] })).certPem,
      (await pki.expiredClient("old")).certPem,
      (await pki.notYetValidClient("soon")).certPem,
      (await pki.clientWithoutCn()).certPem,
      (await pki.client("rsa", { algorithm: "rsa" })).certPem,
    ];
    for (const pem of pems) await expectSameReading(pem);
    const server = await expectSameReading(pki.server.certPem);
    expect(server.dnsNames).toEqual(["localhost"]);
    expect(server.ipAddresses).toEqual(["127.0.0.1", "::1"]);
  });

  const hostile: Array<[string, string[], string[]?]> = [
    ["no CN", ["-subj", "/O=Acme/OU=Ops"]],
    ["several CNs (the first in ASN.1 order counts)", ["-subj", "/CN=first/O=Acme/CN=second"]],
    ["a multi-valued RDN", ["-multivalue-rdn", "-subj", "/O=Acme/CN=a+UID=b"]],
    ["characters RFC 4514 escapes", ["-subj", "/CN=a\\,b\\+c=d;e<f>\"g\\\\h #/O= lead/OU=trail "]],
    ["UTF-8 beyond ASCII", ["-utf8", "-subj", "/CN=grüße-日本/O=Ünïcode"]],
    ["BMPString (string mask pkix)", ["-utf8", "-string_mask", "pkix", "-subj", "/CN=grüße/O=日本"]],
    ["T61String (string mask nombstr)", ["-utf8", "-string_mask", "nombstr", "-subj", "/CN=grüße"]],
    ["an emailAddress and a DC", ["-subj", "/DC=example/emailAddress=a@b.example/CN=x"]],
    ["an unknown attribute OID", ["-subj", "/1.2.3.4=odd/CN=x"]],
    ["a serial with the high bit set", ["-set_serial", "0x80ff", "-subj", "/CN=s"]],
    ["serial 0", ["-set_serial", "0", "-subj", "/CN=z"]],
    ["a negative serial", ["-set_serial", "-5", "-subj", "/CN=n"]],
    ["SANs of every kind", ["-subj", "/CN=san", "-addext", "subjectAltName=DNS:a.example,DNS:b\\,DNS:evil,IP:10.0.0.1,IP:::1,IP:fe80::1:0:0:1,email:x@y.example,URI:restpipe:label:env=prod,URI:https://x.example/p,otherName:1.2.3.4;UTF8:hello,RID:1.2.3"]],
    ["EKUs and CA:TRUE", ["-subj", "/CN=eku", "-addext", "extendedKeyUsage=serverAuth,clientAuth,codeSigning,1.2.3.4.5", "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0"]],
    ["an empty EKU-less leaf", ["-subj", "/CN=leaf", "-addext", "basicConstraints=CA:FALSE"]],
    ["a date past 2050 (GeneralizedTime)", ["-subj", "/CN=far", "-days", "12000"]],
  ];
  for (const [name, args] of hostile) test(name, async () => void (await expectSameReading(await opensslPem(args))));

  const keys: Array<[string, string[], string[]]> = [
    ["P-384 / SHA-384", ["ec", "-pkeyopt", "ec_paramgen_curve:P-384"], ["-sha384"]],
    ["P-521", ["ec", "-pkeyopt", "ec_paramgen_curve:P-521"], []],
    ["Ed25519", ["ed25519"], []],
    ["RSA-3072 with SHA-1", ["rsa:3072"], ["-sha1"]],
    ["RSA-2048 with RSASSA-PSS over SHA-256", ["rsa:2048"], ["-sha256", "-sigopt", "rsa_padding_mode:pss"]],
    ["RSA-2048 with RSASSA-PSS over SHA-512", ["rsa:2048"], ["-sha512", "-sigopt", "rsa_padding_mode:pss"]],
  ];
  for (const [name, key, args] of keys) {
    test(`key and signature: ${name}`, async () => {
      const pem = await opensslPem(["-subj", `/CN=${name.replace(/\W/g, "")}`, ...args], key);
      const info = await expectSameReading(pem);
      await expect(trustedIssuer(info, [info], info.notBefore)).resolves.toBe(info); // self-signed: the native check verifies it
    });
  }

  test("invalid UTF-8 in a UTF8String: the one difference, now refused as malformed (pkijs read it byte by byte)", async () => {
    // BoringSSL's parser (the runtime's X509Certificate, and its TLS stack, which refuses such a peer in the handshake
    // already) rejects the certificate; earlier versions accepted it with a Latin-1 reading of the bytes.
    const pem = await opensslPem(["-utf8", "-string_mask", "utf8only", "-subj", "/CN=zzzzzz"]);
    const der = pemBlocks(pem)[0]!.der;
    der.set([0xff, 0xfe, 0xc3], Buffer.from(der).indexOf("zzzzzz"));
    expect(referenceFields(der).issuerCn).toBe("\u00ff\u00fe\u00c3zzz");
    const error = await parseCertificate(der).then(() => undefined, (e: Error) => e);
    expect(error?.message).toBe("Cannot parse the certificate: the DER is not an X.509 certificate");
  });
});

describe("Deno reads certificates as Bun does", () => {
  test("the same summaries and issuer verdicts under Deno 2.9 (node:crypto X509Certificate there)", async () => {
    const pems = [
      pki.server.certPem,
      (await pki.client("deno-1", { labels: { env: "prod" } })).certPem,
      (await pki.foreignClient("foreign")).certPem,
      (await pki.expiredClient("deno-old")).certPem,
      await opensslPem(["-subj", "/CN=first/O=Acme/CN=second"]),
      await opensslPem(["-utf8", "-string_mask", "pkix", "-subj", "/CN=grüße"]),
      await opensslPem(["-subj", "/CN=pss", "-sigopt", "rsa_padding_mode:pss"], ["rsa:2048"]),
    ];
    const files = pems.map((pem, i) => {
      const path = join(scratch.dir, `deno-${i}.pem`);
      writeFileSync(path, pem);
      return path;
    });
    const caPath = join(scratch.dir, "deno-ca.pem");
    writeFileSync(caPath, pki.ca.certPem);
    const run = Bun.spawnSync([DENO, "run", "--no-check", "--allow-read", "--allow-env", join(ROOT, "test/unit/pki/_native-dump.ts"), caPath, ...files], {
      cwd: ROOT,
      env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(run.stderr.toString()).toBe("");
    const lines = run.stdout.toString().trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    const ca = await Promise.all(pemBlocks(pki.ca.certPem).map((block) => parseCertificate(block.der)));
    for (const [i, pem] of pems.entries()) {
      const info = await parseCertificate(pemBlocks(pem)[0]!.der);
      const issuedBy = await trustedIssuer(info, ca, info.notBefore).then((c) => c.subject, (e: Error) => e.message);
      const bun = JSON.parse(JSON.stringify({ ...info, der: undefined, notBefore: info.notBefore.toISOString(), notAfter: info.notAfter.toISOString(), issuedBy }));
      expect({ i, ...lines[i] }).toEqual({ i, ...bun });
    }
    expect(lines.filter((line) => String(line["issuedBy"]).startsWith("certificate ")).length).toBe(4); // the foreign one and the three self-signed ones are not the CA's
  }, 60_000);
});

describe("a broken extended key usage list grants no usage (fail closed)", () => {
  test("an element that is not an OID before clientAuth: no usages, so the certificate is refused for either role", async () => {
    // A server certificate lists serverAuth then clientAuth (fleet links): the first element is broken, clientAuth stays.
    const der = new Uint8Array(pemBlocks((await pki.serverIdentity("eku-broken")).certPem)[0]!.der);
    // extKeyUsage (2.5.29.37) → OCTET STRING → SEQUENCE → its first element's tag: OID (6) becomes 15, as the fuzzer found.
    const oid = [0x06, 0x03, 0x55, 0x1d, 0x25];
    let at = der.findIndex((_, i) => oid.every((byte, k) => der[i + k] === byte));
    expect(at).toBeGreaterThan(0);
    at += oid.length;
    if (der[at] === 0x01) at += 3; // a critical flag
    expect([der[at], der[at + 2], der[at + 4]]).toEqual([0x04, 0x30, 0x06]);
    const before = await parseCertificate(der);
    expect(before.extendedKeyUsages).toContain("1.3.6.1.5.5.7.3.2");
    expect(policyProblem(before, "client")).toBeUndefined();
    der[at + 4] = 0x0f;
    const broken = await parseCertificate(der);
    expect(broken.extendedKeyUsages).toEqual([]);
    expect(policyProblem(broken, "client")).toContain("lacks clientAuth");
  });
});
