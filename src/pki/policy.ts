/**
 * What RestPipe accepts in a node's certificate, in one place: the server
 * applies it to a client at TLS accept, the client to the server at connect,
 * and `set-identity` to the certificate it imports, with the same words.
 *
 * - key: RSA of 2048 bits or more, EC P-256, EC P-384, or Ed25519;
 * - signature: SHA-256 or stronger (or Ed25519);
 * - a leaf: not a CA certificate (basicConstraints CA:TRUE);
 * - an extended key usage, when present, includes clientAuth (a client) or serverAuth (the server);
 * - the server's certificate names a host: a DNS or IP subjectAltName.
 */
import { OID } from "./_oids.ts";
import { describeCertificate, type CertificateInfo } from "./certificate.ts";
import { CertificateError } from "./errors.ts";

/** Which end of the pipe a certificate is for. */
export type CertificateRole = "client" | "server";

/** The accepted key algorithms, as CertificateInfo.keyAlgorithm names them (RSA: 2048 bits or more, checked apart). */
const ACCEPTED_KEYS: ReadonlySet<string> = new Set(["EC P-256", "EC P-384", "Ed25519"]);

/** Minimum RSA modulus length. */
export const MIN_RSA_BITS = 2048;

/** Signature algorithms with SHA-256 or stronger, by OID. */
const STRONG_SIGNATURES: Readonly<Record<string, string>> = {
  "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
  "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
  "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
  "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
  "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
  "1.2.840.10045.4.3.4": "ecdsa-with-SHA512",
  [OID.ed25519]: "Ed25519",
};

/** Weak signature algorithms, named for the message. */
const WEAK_SIGNATURES: Readonly<Record<string, string>> = {
  "1.2.840.113549.1.1.2": "md2WithRSAEncryption",
  "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
  "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
  "1.2.840.113549.1.1.14": "sha224WithRSAEncryption",
  "1.2.840.10045.4.1": "ecdsa-with-SHA1",
  "1.2.840.10045.4.3.1": "ecdsa-with-SHA224",
  "1.2.840.10040.4.3": "dsa-with-SHA1",
};

/** RSASSA-PSS hash algorithms of 256 bits or more. */
const STRONG_PSS_HASHES: ReadonlySet<string> = new Set(["2.16.840.1.101.3.4.2.1", "2.16.840.1.101.3.4.2.2", "2.16.840.1.101.3.4.2.3"]);

/** Why `certificate` is not acceptable for `role` (one sentence after the colon), or undefined when it is. */
export function policyProblem(certificate: CertificateInfo, role: CertificateRole): string | undefined {
  const key = keyProblem(certificate.keyAlgorithm);
  if (key) return key;
  const signature = signatureProblem(certificate);
  if (signature) return signature;
  if (certificate.isCa) return "it is a CA certificate (basicConstraints CA:TRUE); a node needs a leaf certificate issued by the CA";
  const usages = certificate.extendedKeyUsages;
  const needed = role === "client" ? OID.clientAuth : OID.serverAuth;
  const neededName = role === "client" ? "clientAuth" : "serverAuth";
  if (usages !== undefined && !usages.includes(needed)) {
    const names = usages.map((oid) => EKU_NAMES[oid] ?? oid).join(", ") || "none";
    return `its extended key usage (${names}) lacks ${neededName}; issue it with extendedKeyUsage=${neededName}`;
  }
  if (role === "server" && certificate.dnsNames.length === 0 && certificate.ipAddresses.length === 0) {
    return "it names no host (no DNS or IP subjectAltName); issue it with the host clients dial as a SAN (rp-server ca issue --server --san HOST)";
  }
  return undefined;
}

/** The refusal for a certificate that breaks the policy, `Cannot use the client certificate "CN=x": ...`, or undefined. */
export function certificatePolicyRefusal(certificate: CertificateInfo, role: CertificateRole): string | undefined {
  const problem = policyProblem(certificate, role);
  return problem === undefined ? undefined : `Cannot use the ${role} certificate ${describeCertificate(certificate)}: ${problem}`;
}

/** Throws CertificateError "policy" with certificatePolicyRefusal's message when the certificate breaks the policy. */
export function checkCertificatePolicy(certificate: CertificateInfo, role: CertificateRole): void {
  const refusal = certificatePolicyRefusal(certificate, role);
  if (refusal !== undefined) throw new CertificateError("policy", refusal);
}

/**
 * True when the certificate is a server's (its extended key usage lists
 * serverAuth): a fleet peer presents it, as a TLS client, to another server.
 * A certificate without the extension is a client's (RestPipe issues every
 * certificate with one).
 */
export function isServerCertificate(certificate: CertificateInfo): boolean {
  return certificate.extendedKeyUsages?.includes(OID.serverAuth) === true;
}

const EKU_NAMES: Readonly<Record<string, string>> = {
  [OID.serverAuth]: "serverAuth",
  [OID.clientAuth]: "clientAuth",
  "1.3.6.1.5.5.7.3.3": "codeSigning",
  "1.3.6.1.5.5.7.3.4": "emailProtection",
  "1.3.6.1.5.5.7.3.8": "timeStamping",
  "1.3.6.1.5.5.7.3.9": "OCSPSigning",
  "2.5.29.37.0": "anyExtendedKeyUsage",
};

function keyProblem(algorithm: string): string | undefined {
  const rsa = /^RSA(?:-PSS)?-(\d+)$/.exec(algorithm);
  if (rsa ? Number(rsa[1]) >= MIN_RSA_BITS : ACCEPTED_KEYS.has(algorithm)) return undefined;
  return `its key is ${algorithm}; use RSA of ${MIN_RSA_BITS} bits or more, EC P-256, EC P-384 or Ed25519`;
}

function signatureProblem(info: CertificateInfo): string | undefined {
  const [oid = "", pssHash] = info.signatureAlgorithm.split(":");
  if (oid in STRONG_SIGNATURES) return undefined;
  if (oid === OID.rsaPss) {
    if (STRONG_PSS_HASHES.has(pssHash ?? "")) return undefined;
    return "it is signed with RSASSA-PSS over a hash shorter than SHA-256; the CA must sign with SHA-256 or stronger";
  }
  return `it is signed with ${WEAK_SIGNATURES[oid] ?? oid}; the CA must sign with SHA-256 or stronger`;
}
