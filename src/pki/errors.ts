/** Errors raised while reading keys, certificates and identities. Each names the part that failed and what was seen. */

/** Base class of every PKI error. */
export class PkiError extends Error {
  override name = "PkiError";
}

/** Text that should hold PEM blocks does not. */
export class PemError extends PkiError {
  override name = "PemError";
}

/** Why a certificate was refused. */
export type CertificateErrorCode = "malformed" | "expired" | "not-yet-valid" | "untrusted" | "no-cn" | "policy";

/** A certificate cannot be parsed, is outside its validity window, is not issued by a trusted CA, lacks a CN, or breaks the policy (policy.ts). */
export class CertificateError extends PkiError {
  override name = "CertificateError";
  constructor(
    readonly code: CertificateErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Which part of an identity failed its check. */
export type IdentityPart = "key" | "certificate" | "ca" | "match" | "chain" | "ca-validity" | "cn" | "policy" | "files";

/** An identity (key + certificate + CA) cannot be read or used; `part` says which check failed. */
export class IdentityError extends PkiError {
  override name = "IdentityError";
  constructor(
    readonly part: IdentityPart,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A private key cannot be read: not PEM, not a key, encrypted without (or with the wrong) passphrase. */
export class KeyError extends PkiError {
  override name = "KeyError";
}

/** A certificate revocation list cannot be read, is not signed by the CA, or is out of date. */
export class RevocationListError extends PkiError {
  override name = "RevocationListError";
}

/** The built-in CA cannot do what was asked: no CA in the directory, a CN it cannot name files after, nothing to revoke. */
export class CaError extends PkiError {
  override name = "CaError";
}
