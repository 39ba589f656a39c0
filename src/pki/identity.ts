/** An identity: a private key, its certificate and the CA both sides trust. checkIdentity says what is wrong with one. */
import { readPrivateKey } from "./keys.ts";
import { certificateParts, publicKeyMatches } from "./_fields.ts";
import {
  describeCertificate,
  parseCertificatesPem,
  requireCn,
  type CertificateInfo,
} from "./certificate.ts";
import { IdentityError, type IdentityPart } from "./errors.ts";
import { checkCertificatePolicy, type CertificateRole } from "./policy.ts";
import { checkValidity, trustedIssuer } from "./verify.ts";

/** The PEM texts of an identity, and the passphrase of its key if the key is encrypted. */
export interface Identity {
  readonly keyPem: string;
  readonly certPem: string;
  /** The CA certificate(s) that issued this node's certificate and that it trusts for the peer. */
  readonly caPem: string;
  readonly passphrase?: string;
}

/** An identity that passed every check: its parsed certificate and CA certificates. */
export interface CheckedIdentity {
  readonly certificate: CertificateInfo;
  readonly ca: readonly CertificateInfo[];
}

/**
 * Checks, in this order: the key is a readable PEM key; the certificate parses; the CA parses; the key matches the
 * certificate; the certificate was issued by the CA and is valid at `at`; that CA is valid at `at`; the certificate
 * has a CN; given the `role`, the certificate passes the policy (policy.ts). The first failure throws an
 * IdentityError whose `part` and message name the part.
 */
export async function checkIdentity(identity: Identity, at: Date = new Date(), role?: CertificateRole): Promise<CheckedIdentity> {
  const key = attempt("key", "", () => readPrivateKey(identity.keyPem, identity.passphrase));
  const certificates = await attemptAsync("certificate", "Cannot read the certificate", () =>
    parseCertificatesPem(identity.certPem),
  );
  const certificate = certificates[0]!; // the leaf; any further blocks are a chain RestPipe does not need
  const ca = await attemptAsync("ca", "Cannot read the CA certificate", () => parseCertificatesPem(identity.caPem));
  if (!publicKeyMatches(certificateParts(certificate.der), key.spkiDer)) {
    throw new IdentityError(
      "match",
      `Cannot use the identity: the private key does not match the certificate ${describeCertificate(certificate)}`,
    );
  }
  const issuer = await attemptAsync("chain", "Cannot use the certificate", () => trustedIssuer(certificate, ca, at));
  attempt("ca-validity", "Cannot use the CA certificate", () => checkValidity(issuer, at));
  attempt("cn", "Cannot use the certificate", () => requireCn(certificate));
  if (role !== undefined) attempt("policy", "", () => checkCertificatePolicy(certificate, role));
  return { certificate, ca };
}

/** Runs one check; rethrows its error as an IdentityError of `part` whose message starts with `prefix`. */
function attempt<T>(part: IdentityPart, prefix: string, check: () => T): T {
  try {
    return check();
  } catch (cause) {
    throw wrap(part, prefix, cause);
  }
}

async function attemptAsync<T>(part: IdentityPart, prefix: string, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (cause) {
    throw wrap(part, prefix, cause);
  }
}

function wrap(part: IdentityPart, prefix: string, cause: unknown): IdentityError {
  const message = cause instanceof Error ? cause.message : String(cause);
  if (prefix === "") return new IdentityError(part, message, { cause });
  // "Cannot parse the certificate: not DER" → "Cannot read the CA certificate: not DER"
  return new IdentityError(part, `${prefix}: ${message.replace(/^Cannot [^:]+: /, "")}`, { cause });
}
