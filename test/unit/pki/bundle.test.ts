import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { checkIdentity, formatBundle, parseBundle, PemError, type Identity } from "../../../src/pki/index.ts";
import { makeTestPki, type TestPki } from "../../support/index.ts";
import { openssl, scratchDir } from "./_openssl.ts";

let pki: TestPki;
let identity: Identity;
beforeAll(async () => {
  pki = await makeTestPki();
  identity = await pki.client("carried");
});
afterAll(() => pki.cleanup());

const LABEL = { cn: "carried", kind: "client", issuer: "CN=RestPipe Test CA", notAfter: new Date("2030-01-02T03:04:05.000Z") } as const;

describe("formatBundle", () => {
  test("comment lines naming the CN, then the key, the certificate and the CA", () => {
    const text = formatBundle(identity, LABEL);
    const lines = text.split("\n");
    expect(lines.slice(0, 3)).toEqual([
      "# RestPipe client identity bundle: CN=carried, issued by CN=RestPipe Test CA, valid until 2030-01-02T03:04:05.000Z",
      "# It holds a private key: keep it secret, carry it, then delete the copy.",
      "# Install it with: rp-client set-identity --bundle FILE",
    ]);
    expect(text.slice(text.indexOf("-----BEGIN"))).toBe(identity.keyPem + identity.certPem + identity.caPem);
  });

  test("round-trips through parseBundle into an identity that passes checkIdentity", async () => {
    const parsed = parseBundle(formatBundle(identity, LABEL));
    expect(parsed).toEqual({ keyPem: identity.keyPem, certPem: identity.certPem, caPem: identity.caPem });
    expect((await checkIdentity(parsed)).certificate.subjectCn).toBe("carried");
  });
});

describe("parseBundle", () => {
  test("files concatenated by hand (CRLF, text between blocks, a CA chain of two) are read too", () => {
    const text = `key:\r\n${identity.keyPem.replaceAll("\n", "\r\n")}leaf:\n${identity.certPem}chain:\n${identity.caPem}${pki.server.certPem}`;
    const parsed = parseBundle(text);
    expect(parsed.certPem).toBe(identity.certPem);
    expect(parsed.caPem).toBe(identity.caPem + pki.server.certPem);
  });

  test("a legacy encrypted key keeps its headers", async () => {
    const scratch = await scratchDir();
    try {
      await Bun.write(`${scratch.dir}/plain.key`, identity.keyPem);
      openssl(["ec", "-in", "plain.key", "-aes128", "-passout", "pass:secret", "-out", "legacy.key"], scratch.dir);
      const legacy = await scratch.read("legacy.key");
      expect(legacy).toContain("DEK-Info:");
      const parsed = parseBundle(legacy + identity.certPem + identity.caPem);
      expect(parsed.keyPem).toBe(legacy);
      await checkIdentity({ ...parsed, passphrase: "secret" });
    } finally {
      await scratch.dispose();
    }
  });

  test("a bundle without its key, or without the CA, says what it holds", () => {
    expect(() => parseBundle(identity.certPem + identity.caPem)).toThrow(
      new PemError("Cannot read the bundle: it needs one private key, this node's certificate and the CA's; it holds 0 private keys and 2 certificates"),
    );
    expect(() => parseBundle(identity.keyPem + identity.certPem)).toThrow(
      new PemError("Cannot read the bundle: it needs one private key, this node's certificate and the CA's; it holds 1 private key and 1 certificate"),
    );
    expect(() => parseBundle("just text")).toThrow(new PemError("Cannot read the bundle: no BEGIN/END block found"));
  });
});
