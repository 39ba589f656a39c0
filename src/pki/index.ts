/**
 * X.509: PEM, certificate parsing (CN, SANs, validity) and verification with the runtime's X509Certificate,
 * identities and their files; issuing, CSRs, CRLs and a small CA with pkijs, loaded at their first use (issuing.ts).
 */
export * from "./errors.ts";
export { pemBlocks, toPem, type PemBlock } from "./pem.ts";
export { describeCertificate, parseCertificate, parseCertificatesPem, requireCn, type CertificateInfo } from "./certificate.ts";
export { checkValidity, trustedIssuer, verifyCertificate } from "./verify.ts";
export { certificatePolicyRefusal, checkCertificatePolicy, isServerCertificate, MIN_RSA_BITS, policyProblem, type CertificateRole } from "./policy.ts";
export type { CaOptions, IssueOptions, KeyAlgorithm, PemIdentity } from "./issue.ts";
export { certifyPublicKey, createCa, createKeyRequest, issueCertificate, readCrl, readCsr, signCrl } from "./issuing.ts";
export { checkIdentity, type CheckedIdentity, type Identity } from "./identity.ts";
export { identityPaths, readIdentityFiles, storeIdentity, type IdentityPaths, type Role } from "./store.ts";
export { formatBundle, parseBundle, type BundleLabel } from "./bundle.ts";
export type { CrlInfo, CrlOptions, RevokedSerial } from "./crl.ts";
export { normalizeSerial, type CaIndex, type IssuedKind, type IssuedRecord } from "./ca-index.ts";
export * from "./ca-directory.ts";
export type { CheckedCsr, KeyRequest } from "./csr.ts";
export { readPrivateKey, type PrivateKeyInfo } from "./keys.ts";
export { revocationCheck, type RevocationCheck } from "./revocation-check.ts";
