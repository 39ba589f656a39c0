/** X.509 certificates, parsed once with pkijs into a plain read-only summary. */
import type { Certificate } from "pkijs";
import { labelsFromUris, type Labels } from "../labels/index.ts";
import { ENGINE } from "./_engine.ts";
import { firstCn, formatName } from "./_names.ts";
import { altNamesOf, colonHex, decodeCertificate, extendedKeyUsagesOf, isCaOf, keyAlgorithmOf, serialHexOf, signatureAlgorithmOf } from "./_x509.ts";
import { CertificateError } from "./errors.ts";
import { pemBlocks, type PemBlock } from "./pem.ts";

/** What RestPipe reads from a certificate. Plain data; the parsed pkijs object rides along, hidden, for verify. */
export interface CertificateInfo {
  readonly der: Uint8Array;
  /** First CN of the subject (ASN.1 order), or undefined when the subject has none. */
  readonly subjectCn: string | undefined;
  readonly issuerCn: string | undefined;
  /** The subject, most-specific first: "CN=client-1, O=Acme". */
  readonly subject: string;
  readonly issuer: string;
  /** subjectAltName dNSName entries. */
  readonly dnsNames: readonly string[];
  /** subjectAltName iPAddress entries: IPv4 dotted, IPv6 compressed. */
  readonly ipAddresses: readonly string[];
  /** subjectAltName uniformResourceIdentifier entries. */
  readonly uris: readonly string[];
  /** The client's labels: SAN URIs `restpipe:label:key=value` that keep to the label syntax. */
  readonly labels: Labels;
  /** Label URIs left out because they break the syntax, repeat a key or pass the count limit. */
  readonly invalidLabels: readonly string[];
  /** Lower-case hex without leading zero bytes. */
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** basicConstraints cA. */
  readonly isCa: boolean;
  /** SHA-256 of the DER, "AB:CD:..." as `openssl x509 -fingerprint -sha256` prints it. */
  readonly fingerprintSha256: string;
  /** "EC P-256", "EC P-384", "RSA-2048", "Ed25519", ... */
  readonly keyAlgorithm: string;
  /** The signature algorithm's OID; for RSASSA-PSS, the OID of its hash after a colon ("1.2.840.113549.1.1.10:2.16.840.1.101.3.4.2.1"). */
  readonly signatureAlgorithm: string;
  /** The extended key usage OIDs, or undefined when the certificate has no such extension. */
  readonly extendedKeyUsages: readonly string[] | undefined;
}

const PKIJS = Symbol("pkijs.Certificate");

/** Parses one DER certificate; throws CertificateError "malformed". About 1 ms: fine on every accepted connection. */
export async function parseCertificate(der: Uint8Array): Promise<CertificateInfo> {
  const copy = new Uint8Array(der);
  const certificate = decodeCertificate(copy);
  const digest = new Uint8Array(await ENGINE.digest({ name: "SHA-256" }, copy));
  const { dnsNames, ipAddresses, uris } = altNamesOf(certificate);
  const { labels, invalid } = labelsFromUris(uris);
  const info: CertificateInfo = {
    der: copy,
    subjectCn: firstCn(certificate.subject),
    issuerCn: firstCn(certificate.issuer),
    subject: formatName(certificate.subject),
    issuer: formatName(certificate.issuer),
    dnsNames: Object.freeze(dnsNames),
    ipAddresses: Object.freeze(ipAddresses),
    uris: Object.freeze(uris),
    labels,
    invalidLabels: Object.freeze(invalid),
    serialHex: serialHexOf(certificate),
    notBefore: certificate.notBefore.value,
    notAfter: certificate.notAfter.value,
    isCa: isCaOf(certificate),
    fingerprintSha256: colonHex(digest),
    keyAlgorithm: keyAlgorithmOf(certificate.subjectPublicKeyInfo),
    // Read now so that the certificate policy needs no pkijs object (a connection keeps only this info).
    signatureAlgorithm: signatureAlgorithmOf(certificate),
    extendedKeyUsages: extendedKeyUsagesOf(certificate),
  };
  Object.defineProperty(info, PKIJS, { value: certificate, enumerable: false });
  return Object.freeze(info);
}

/** Parses every CERTIFICATE block of a PEM text, in order; throws if there is none or one is malformed. */
export async function parseCertificatesPem(pem: string): Promise<CertificateInfo[]> {
  let all: PemBlock[];
  try {
    all = pemBlocks(pem);
  } catch (cause) {
    throw new CertificateError("malformed", (cause as Error).message, { cause });
  }
  const blocks = all.filter((block) => block.label === "CERTIFICATE" || block.label === "X509 CERTIFICATE");
  if (blocks.length === 0) {
    const labels = all.map((block) => block.label);
    const only = labels.join(", ");
    throw new CertificateError("malformed", `Cannot read certificates: the PEM holds no CERTIFICATE block, only ${only}`);
  }
  return Promise.all(blocks.map((block) => parseCertificate(block.der)));
}

/** The subject CN; throws CertificateError "no-cn" when the subject has none (RestPipe names peers by CN). */
export function requireCn(certificate: CertificateInfo): string {
  if (certificate.subjectCn === undefined || certificate.subjectCn === "") {
    throw new CertificateError("no-cn", `certificate ${describeCertificate(certificate)} has no CN in its subject`);
  }
  return certificate.subjectCn;
}

/** A certificate for messages: its quoted subject, or its serial when the subject is empty. */
export function describeCertificate(certificate: CertificateInfo): string {
  return certificate.subject ? `"${certificate.subject}"` : `with serial ${certificate.serialHex} and an empty subject`;
}

/** The pkijs object behind a CertificateInfo (re-decoded from `der` if the info was copied). Internal to pki/. */
export function pkijsCertificate(certificate: CertificateInfo): Certificate {
  const attached = (certificate as { [PKIJS]?: Certificate })[PKIJS];
  return attached ?? decodeCertificate(certificate.der);
}
