/**
 * Is a certificate valid now and issued by one of the trusted CA certificates? The signature is checked by the
 * runtime's X509Certificate.verify (node:crypto), the issuer name as pkijs compared it (_names.ts sameName).
 */
import { constants, verify as verifySignature, X509Certificate, type KeyObject } from "node:crypto";
import { certificateParts, pssParamsOf, signatureAlgorithmOf, type CertificateParts } from "./_fields.ts";
import { OID } from "./_oids.ts";
import { sameName } from "./_names.ts";
import { describeCertificate, type CertificateInfo } from "./certificate.ts";
import { CertificateError } from "./errors.ts";

/**
 * Checks the validity window of `certificate` at `at`, then that one of `trusted` issued it (issuer name match and
 * signature). Throws CertificateError "not-yet-valid", "expired" or "untrusted". The trusted certificates' own
 * validity is not checked here.
 */
export async function verifyCertificate(
  certificate: CertificateInfo,
  trusted: readonly CertificateInfo[],
  at: Date = new Date(),
): Promise<void> {
  await trustedIssuer(certificate, trusted, at);
}

/** Like verifyCertificate, and returns the trusted certificate that issued `certificate`. */
export async function trustedIssuer(
  certificate: CertificateInfo,
  trusted: readonly CertificateInfo[],
  at: Date = new Date(),
): Promise<CertificateInfo> {
  checkValidity(certificate, at);
  const parts = certificateParts(certificate.der);
  let subject: X509Certificate | undefined;
  for (const candidate of trusted) {
    if (!sameName(parts.issuer, certificateParts(candidate.der).subject)) continue;
    let signed = false;
    try {
      subject ??= new X509Certificate(certificate.der);
      signed = signedBy(subject, parts, new X509Certificate(candidate.der).publicKey);
    } catch {
      signed = false; // an unsupported algorithm or a key that does not fit: not this issuer
    }
    if (signed) return candidate;
  }
  const names = trusted.map((ca) => `"${ca.subject}"`).join(", ");
  const trustedText =
    trusted.length === 0 ? "a trusted CA (none is configured)" : `the trusted CA${trusted.length > 1 ? "s" : ""} (${names})`;
  throw new CertificateError("untrusted", `certificate ${describeCertificate(certificate)} was not issued by ${trustedText}`);
}

/** Throws CertificateError "not-yet-valid" or "expired" when `at` is outside [notBefore, notAfter]. */
export function checkValidity(certificate: CertificateInfo, at: Date = new Date()): void {
  const name = describeCertificate(certificate);
  if (at.getTime() < certificate.notBefore.getTime()) {
    throw new CertificateError("not-yet-valid", `certificate ${name} is not valid before ${certificate.notBefore.toISOString()}`);
  }
  if (at.getTime() > certificate.notAfter.getTime()) {
    throw new CertificateError("expired", `certificate ${name} expired on ${certificate.notAfter.toISOString()}`);
  }
}

/** Hash names for node:crypto, by OID (RSASSA-PSS hashes). */
const HASHES: Readonly<Record<string, string>> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};

/**
 * Whether `key` signed the certificate. X509Certificate.verify says false for every RSASSA-PSS signature in Bun
 * 1.4.4 and Deno 2.9.6 (pkijs verified them), so those are checked over the TBS bytes with crypto.verify and the
 * PSS parameters of the certificate (MGF1 over the same hash, as RFC 4055 certificates use).
 */
function signedBy(subject: X509Certificate, parts: CertificateParts, key: KeyObject): boolean {
  if (subject.verify(key)) return true;
  if (!signatureAlgorithmOf(parts).startsWith(`${OID.rsaPss}:`)) return false;
  const params = pssParamsOf(parts);
  const hash = params && HASHES[params.hash];
  if (!params || !hash) return false;
  return verifySignature(hash, parts.tbs, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: params.saltLength }, parts.signature);
}
