/** Is a certificate valid now and issued by one of the trusted CA certificates? */
import { ENGINE } from "./_engine.ts";
import { describeCertificate, pkijsCertificate, type CertificateInfo } from "./certificate.ts";
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
  const subject = pkijsCertificate(certificate);
  for (const candidate of trusted) {
    const issuer = pkijsCertificate(candidate);
    if (!subject.issuer.isEqual(issuer.subject)) continue;
    let signed = false;
    try {
      signed = await subject.verify(issuer, ENGINE);
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
