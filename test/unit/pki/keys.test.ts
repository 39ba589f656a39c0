import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { KeyError, pemBlocks, toPem } from "../../../src/pki/index.ts";
import { readPrivateKey } from "../../../src/pki/index.ts";
import { openssl, scratchDir } from "./_openssl.ts";

let scratch: Awaited<ReturnType<typeof scratchDir>>;
/** SPKI DER of the reference key, as openssl prints it. */
let ecSpki: Uint8Array;
let rsaSpki: Uint8Array;

beforeAll(async () => {
  scratch = await scratchDir();
  const run = (...args: string[]) => openssl(args, scratch.dir);
  run("ecparam", "-name", "prime256v1", "-genkey", "-out", "ec-with-params.pem"); // EC PARAMETERS + EC PRIVATE KEY
  run("ec", "-in", "ec-with-params.pem", "-out", "ec-sec1.pem");
  run("pkcs8", "-topk8", "-nocrypt", "-in", "ec-sec1.pem", "-out", "ec-pkcs8.pem");
  run("pkcs8", "-topk8", "-in", "ec-sec1.pem", "-out", "ec-encrypted.pem", "-passout", "pass:s3cret");
  run("pkey", "-in", "ec-sec1.pem", "-outform", "DER", "-out", "ec.der");
  run("pkey", "-in", "ec-sec1.pem", "-pubout", "-outform", "DER", "-out", "ec-spki.der");
  run("ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", "p384.pem");
  run("genrsa", "-traditional", "-out", "rsa-pkcs1.pem", "2048");
  run("rsa", "-in", "rsa-pkcs1.pem", "-traditional", "-aes256", "-passout", "pass:s3cret", "-out", "rsa-legacy-encrypted.pem");
  run("pkey", "-in", "rsa-pkcs1.pem", "-pubout", "-outform", "DER", "-out", "rsa-spki.der");
  ecSpki = new Uint8Array(await readFile(join(scratch.dir, "ec-spki.der")));
  rsaSpki = new Uint8Array(await readFile(join(scratch.dir, "rsa-spki.der")));
});
afterAll(() => scratch.dispose());

function keyError(run: () => unknown): KeyError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(KeyError);
    return error as KeyError;
  }
  throw new Error("expected a KeyError, none was thrown");
}

describe("readPrivateKey accepts every PEM key format", () => {
  const cases: [string, string | undefined, "ec" | "rsa"][] = [
    ["ec-with-params.pem", undefined, "ec"],
    ["ec-sec1.pem", undefined, "ec"],
    ["ec-pkcs8.pem", undefined, "ec"],
    ["ec-encrypted.pem", "s3cret", "ec"],
    ["rsa-pkcs1.pem", undefined, "rsa"],
    ["rsa-legacy-encrypted.pem", "s3cret", "rsa"],
  ];
  for (const [file, passphrase, kind] of cases) {
    test(`${file}${passphrase ? " with its passphrase" : ""}`, async () => {
      const key = readPrivateKey(await scratch.read(file), passphrase);
      expect(key.spkiDer).toEqual(kind === "ec" ? ecSpki : rsaSpki);
      expect(key.algorithm).toBe(kind === "ec" ? "EC P-256" : "RSA-2048");
      expect(pemBlocks(key.pkcs8Pem).map((b) => b.label)).toEqual(["PRIVATE KEY"]);
      // The normalised key is plain PKCS#8 that openssl reads back to the same public key.
      expect(readPrivateKey(key.pkcs8Pem).spkiDer).toEqual(key.spkiDer);
    });
  }

  test("P-384 is named as such", async () => {
    expect(readPrivateKey(await scratch.read("p384.pem")).algorithm).toBe("EC P-384");
  });
});

describe("readPrivateKey errors", () => {
  test("an encrypted key without a passphrase", async () => {
    expect(keyError(() => readPrivateKey("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAQID\n-----END ENCRYPTED PRIVATE KEY-----\n")).message).toBe(
      "Cannot read the private key: it is encrypted and no passphrase was given",
    );
    const legacy = await scratch.read("rsa-legacy-encrypted.pem");
    expect(keyError(() => readPrivateKey(legacy)).message).toBe("Cannot read the private key: it is encrypted and no passphrase was given");
  });

  test("an encrypted key with the wrong passphrase", async () => {
    for (const file of ["ec-encrypted.pem", "rsa-legacy-encrypted.pem"]) {
      const pem = await scratch.read(file);
      expect(keyError(() => readPrivateKey(pem, "wrong")).message).toBe(
        "Cannot read the private key: the passphrase is wrong (or the key is damaged)",
      );
    }
  });

  test("a DER key (read as text) asks for PEM", async () => {
    const der = await readFile(join(scratch.dir, "ec.der"), "latin1");
    expect(keyError(() => readPrivateKey(der)).message).toBe(
      "Cannot read the private key: it is DER (binary); a PEM key is needed (convert with: openssl pkey -inform DER -in key.der -out key.pem)",
    );
    const utf8 = await readFile(join(scratch.dir, "ec.der"), "utf8");
    expect(keyError(() => readPrivateKey(utf8)).message).toContain("it is DER (binary)");
  });

  test("a certificate instead of a key", () => {
    expect(keyError(() => readPrivateKey(toPem("CERTIFICATE", Uint8Array.of(0x30, 0)))).message).toBe(
      'Cannot read the private key: the PEM holds a "CERTIFICATE" block, not a private key',
    );
  });

  test("garbage text", () => {
    expect(keyError(() => readPrivateKey("hello, I am not a key")).message).toBe(
      "Cannot read the private key: no PEM block found (expected -----BEGIN PRIVATE KEY-----)",
    );
  });

  test("a PRIVATE KEY block whose content is not a key", () => {
    const error = keyError(() => readPrivateKey(toPem("PRIVATE KEY", Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00))));
    expect(error.message).toBe("Cannot read the private key: the PEM block is not a valid private key");
    expect(error.cause).toBeInstanceOf(Error);
  });
});
