/** X.509 with pkijs: PEM, certificate parsing (CN, SANs, validity), verification, identities and their files, a small CA. */
export * from "./errors.ts";
export { pemBlocks, toPem, type PemBlock } from "./pem.ts";
export { describeCertificate, parseCertificate, parseCertificatesPem, requireCn, type CertificateInfo } from "./certificate.ts";
export { checkValidity, trustedIssuer, verifyCertificate } from "./verify.ts";
export { certificatePolicyRefusal, checkCertificatePolicy, isServerCertificate, MIN_RSA_BITS, policyProblem, type CertificateRole } from "./policy.ts";
export { certifyPublicKey, createCa, issueCertificate, type CaOptions, type IssueOptions, type KeyAlgorithm, type PemIdentity } from "./issue.ts";
export { checkIdentity, type CheckedIdentity, type Identity } from "./identity.ts";
export { identityPaths, readIdentityFiles, storeIdentity, type IdentityPaths, type Role } from "./store.ts";
export { formatBundle, parseBundle, type BundleLabel } from "./bundle.ts";
export { readCrl, signCrl, type CrlInfo, type CrlOptions, type RevokedSerial } from "./crl.ts";
export { normalizeSerial, type CaIndex, type IssuedKind, type IssuedRecord } from "./ca-index.ts";
export * from "./ca-directory.ts";
export { createKeyRequest, readCsr, type CheckedCsr, type KeyRequest } from "./csr.ts";
export { readPrivateKey, type PrivateKeyInfo } from "./keys.ts";
export { revocationCheck, type RevocationCheck } from "./revocation-check.ts";
