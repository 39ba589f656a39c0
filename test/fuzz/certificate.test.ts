/**
 * Fuzzed certificates: the peer's certificate is attacker-controlled, and the native reader (the runtime's
 * X509Certificate, then src/pki's DER reader) must read any bytes or refuse them with CertificateError
 * "malformed", never throw anything else; a mutated certificate it accepts reads as the pkijs reader reads it,
 * except where asn1js read a broken extension or key leniently (a partial result: the usages before a broken one,
 * the modulus of a key whose encoding breaks later), and there the certificate policy lets the native reading
 * through for no role the pkijs reading was refused for: a difference never lets more through. A name value whose
 * tag is no string type reads as text in asn1js and as hex (no CN) natively: the stricter reading. No issuer check
 * ever throws.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { CertificateError, createCa, issueCertificate, parseCertificate, pemBlocks, policyProblem, trustedIssuer, type CertificateInfo } from "../../src/pki/index.ts";
import { FUZZ_TEST_TIMEOUT_MS, FuzzTally } from "../support/index.ts";
import { referenceFields } from "../unit/pki/_pkijs-reference.ts";

const tally = new FuzzTally("certificate");
afterAll(() => {
  tally.report();
  console.log(`fuzz: certificate: ${lenient} accepted mutations read differently by asn1js's lenient parse (none let through for a role the pkijs reading was refused for)`);
});

let seeds: Uint8Array[];
let lenient = 0; // accepted mutations that asn1js read leniently
let ca: CertificateInfo;
beforeAll(async () => {
  const authority = await createCa({ cn: "Fuzz CA" });
  const leaf = await issueCertificate({ ca: authority, cn: "fuzz-1", role: "client", dnsNames: ["a.example"], ipAddresses: ["10.0.0.1"], labels: { env: "prod" } });
  const server = await issueCertificate({ ca: authority, cn: "localhost", role: "server", dnsNames: ["localhost"], algorithm: "rsa" });
  seeds = [authority.certPem, leaf.certPem, server.certPem].map((pem) => pemBlocks(pem)[0]!.der);
  ca = await parseCertificate(seeds[0]!);
});

/** A seed certificate with bytes overwritten, inserted or cut. */
const mutatedArb = fc
  .record({
    seed: fc.nat(2),
    edits: fc.array(fc.record({ at: fc.nat(), kind: fc.constantFrom("set", "insert", "cut"), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }),
  })
  .map(({ seed, edits }) => {
    let bytes = Array.from(seeds[seed]!);
    for (const { at, kind, byte } of edits) {
      const i = at % (bytes.length + 1);
      if (kind === "set" && i < bytes.length) bytes[i] = byte;
      if (kind === "insert") bytes = [...bytes.slice(0, i), byte, ...bytes.slice(i)];
      if (kind === "cut") bytes = [...bytes.slice(0, i), ...bytes.slice(i + 1)];
    }
    return Uint8Array.from(bytes);
  });

/**
 * A name holding a value whose tag is no string type (a mutated tag): the native reader prints it in RFC 4514's
 * hex form (`CN=#3d0746…`) and finds no CN in it, where asn1js reads the bytes as text ("Fuzz CA"): the native
 * reading is the stricter one, and the role check below holds it to letting no more through.
 */
const nonStringValue = (name: string): boolean => /(^|, |\+)[A-Za-z0-9.]+=#/.test(name);

/** The reader's verdict: the fields it read, or "malformed" (any other error fails the property). */
async function verdict(der: Uint8Array): Promise<CertificateInfo | "malformed"> {
  try {
    return await parseCertificate(der);
  } catch (error) {
    expect(error).toBeInstanceOf(CertificateError);
    expect((error as CertificateError).code).toBe("malformed");
    return "malformed";
  }
}

describe("certificate reader", () => {
  test(
    "random bytes are refused as malformed",
    async () => {
      await tally.checkAsync(fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) => void expect(await verdict(bytes)).toBe("malformed")), 300);
    },
    FUZZ_TEST_TIMEOUT_MS,
  );

  test(
    "a mutated certificate is read as pkijs reads it, or refused as malformed; the issuer check never throws anything else",
    async () => {
      await tally.checkAsync(
        fc.asyncProperty(mutatedArb, async (der) => {
          const read = await verdict(der);
          if (read === "malformed") return;
          let reference;
          try {
            reference = referenceFields(der);
          } catch {
            return; // pkijs refused what the runtime's parser accepted: no summary to compare
          }
          const { der: _der, labels: _labels, invalidLabels: _invalid, ...fields } = read;
          const native = JSON.parse(JSON.stringify(fields)) as Record<string, unknown>;
          const expected = JSON.parse(JSON.stringify(reference)) as Record<string, unknown>;
          const differ = Object.keys(expected).filter((key) => JSON.stringify(native[key]) !== JSON.stringify(expected[key]));
          if (differ.length > 0) {
            lenient++;
            const lenientKeys = new Set(["extendedKeyUsages", "keyAlgorithm"]);
            for (const [name, cn] of [["subject", "subjectCn"], ["issuer", "issuerCn"]] as const) {
              if (nonStringValue(read[name])) lenientKeys.add(name).add(cn);
            }
            expect({ differ: differ.filter((key) => !lenientKeys.has(key)) }).toEqual({ differ: [] });
            // What the pkijs reading would have let through, per role: the native reading lets through no more.
            const old = { ...read, ...reference } as CertificateInfo;
            for (const role of ["client", "server"] as const) {
              if (policyProblem(read, role) === undefined) expect({ role, old: policyProblem(old, role) }).toEqual({ role, old: undefined });
            }
          }
          await trustedIssuer(read, [ca], read.notBefore).catch((error: unknown) => expect(error).toBeInstanceOf(CertificateError));
        }),
        400,
      );
    },
    FUZZ_TEST_TIMEOUT_MS,
  );
});
