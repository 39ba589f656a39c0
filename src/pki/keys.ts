/**
 * Private keys through node:crypto (works in Bun and in Deno's node compat): reads any PEM private key
 * (PKCS#8, SEC1, PKCS#1, encrypted PKCS#8 or legacy encrypted PEM with a passphrase) and normalises it.
 */
import { createPrivateKey, createPublicKey, type KeyObject, type PrivateKeyInput } from "node:crypto";
import { KeyError } from "./errors.ts";

/** A private key, normalised: unencrypted PKCS#8 PEM, the DER SubjectPublicKeyInfo of its public half, and a label. */
export interface PrivateKeyInfo {
  readonly pkcs8Pem: string;
  readonly spkiDer: Uint8Array;
  /** "EC P-256", "EC P-384", "EC P-521", "RSA-2048", "Ed25519", ... (same spelling as CertificateInfo.keyAlgorithm). */
  readonly algorithm: string;
}

const KEY_BLOCK = /-----BEGIN ((?:ENCRYPTED |EC |RSA |DSA )?PRIVATE KEY)-----[\s\S]*?-----END \1-----/;
const ANY_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----/;
const CURVES: Record<string, string> = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" };

/** Reads a PEM private key; KeyError says why when it is DER, not a key, or encrypted without the right passphrase. */
export function readPrivateKey(pem: string, passphrase?: string): PrivateKeyInfo {
  const block = keyBlock(pem);
  const encrypted = block.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----") || /Proc-Type:\s*4,ENCRYPTED/.test(block);
  if (encrypted && passphrase === undefined) {
    throw new KeyError("Cannot read the private key: it is encrypted and no passphrase was given");
  }
  let key: KeyObject;
  try {
    const input: PrivateKeyInput = { key: block, format: "pem" };
    key = createPrivateKey(encrypted ? { ...input, passphrase: passphrase ?? "" } : input);
  } catch (cause) {
    const reason = encrypted
      ? "the passphrase is wrong (or the key is damaged)"
      : "the PEM block is not a valid private key";
    throw new KeyError(`Cannot read the private key: ${reason}`, { cause });
  }
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  return {
    pkcs8Pem: String(key.export({ type: "pkcs8", format: "pem" })),
    spkiDer: new Uint8Array(spki.buffer.slice(spki.byteOffset, spki.byteOffset + spki.byteLength)),
    algorithm: algorithmOf(key),
  };
}

function keyBlock(pem: string): string {
  const found = KEY_BLOCK.exec(pem);
  if (found) return found[0];
  if (looksBinary(pem)) {
    throw new KeyError(
      "Cannot read the private key: it is DER (binary); a PEM key is needed " +
        "(convert with: openssl pkey -inform DER -in key.der -out key.pem)",
    );
  }
  const other = ANY_BLOCK.exec(pem);
  if (other) throw new KeyError(`Cannot read the private key: the PEM holds a "${other[1]}" block, not a private key`);
  throw new KeyError("Cannot read the private key: no PEM block found (expected -----BEGIN PRIVATE KEY-----)");
}

/** DER starts with a SEQUENCE tag (0x30) and holds bytes no text file has. */
function looksBinary(text: string): boolean {
  return text.startsWith("0") && /[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text.slice(0, 64));
}

function algorithmOf(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case "ec":
      return `EC ${CURVES[details.namedCurve ?? ""] ?? details.namedCurve ?? "unknown curve"}`;
    case "rsa":
      return `RSA-${details.modulusLength ?? "?"}`;
    case "rsa-pss":
      return `RSA-PSS-${details.modulusLength ?? "?"}`;
    case "ed25519":
      return "Ed25519";
    case "ed448":
      return "Ed448";
    default:
      return String(key.asymmetricKeyType);
  }
}
