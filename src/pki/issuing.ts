/**
 * The issuing side of pki/ behind lazy doors: certificates, CSRs and CRLs are built (and CRLs read) with pkijs and
 * asn1js, which cost a process ~13 MiB of RSS once loaded. A serving node parses and verifies certificates with
 * the runtime's X509Certificate and never calls these, so it never loads them; `certs`, enrollment and the built-in
 * CA load them at their first call (a chunk of its own in the compiled binary).
 */
import type { CaOptions, IssueOptions, PemIdentity } from "./issue.ts";
import type { CrlInfo, CrlOptions } from "./crl.ts";
import type { CheckedCsr, KeyRequest } from "./csr.ts";
import type { KeyAlgorithm } from "./_build.ts";
import type { CertificateInfo } from "./certificate.ts";

let issue: Promise<typeof import("./issue.ts")> | undefined;
let crl: Promise<typeof import("./crl.ts")> | undefined;
let csr: Promise<typeof import("./csr.ts")> | undefined;
const issuing = () => (issue ??= import("./issue.ts"));
const crls = () => (crl ??= import("./crl.ts"));
const csrs = () => (csr ??= import("./csr.ts"));

/** Creates a self-signed CA (see issue.ts). */
export async function createCa(options: CaOptions): Promise<PemIdentity> {
  return (await issuing()).createCa(options);
}

/** Issues a certificate and key from a CA (see issue.ts). */
export async function issueCertificate(options: IssueOptions): Promise<PemIdentity> {
  return (await issuing()).issueCertificate(options);
}

/** Certifies a public key someone else holds, e.g. from a CSR (see issue.ts). */
export async function certifyPublicKey(options: IssueOptions, publicKey: CryptoKey): Promise<string> {
  return (await issuing()).certifyPublicKey(options, publicKey);
}

/** Signs a v2 CRL (see crl.ts). */
export async function signCrl(options: CrlOptions): Promise<string> {
  return (await crls()).signCrl(options);
}

/** Reads a CRL and checks its signature (see crl.ts). */
export async function readCrl(pem: string, trusted: readonly CertificateInfo[]): Promise<CrlInfo> {
  return (await crls()).readCrl(pem, trusted);
}

/** A new key and a CSR for it (see csr.ts). */
export async function createKeyRequest(cn: string, algorithm?: KeyAlgorithm): Promise<KeyRequest> {
  return (await csrs()).createKeyRequest(cn, algorithm);
}

/** Reads and checks a CSR (see csr.ts). */
export async function readCsr(pem: string): Promise<CheckedCsr> {
  return (await csrs()).readCsr(pem);
}
