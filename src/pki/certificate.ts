/**
 * X.509 certificates, parsed once into a plain read-only summary: the runtime's X509Certificate (node:crypto, in
 * Bun and Deno) accepts the DER and computes the fingerprint, the small DER reader of _fields.ts reads the fields.
 * No asn1js or pkijs: a serving node parses its own, its CA's and every peer's certificate without loading them.
 */
import { createHash, X509Certificate } from "node:crypto";
import { labelsFromUris, type Labels } from "../labels/index.ts";
import { DerError, readTlv } from "./_der.ts";
import { altNamesOf, certificateParts, ExtensionShapeError, extendedKeyUsagesOf, isCaOf, keyAlgorithmOf, serialHexOf, signatureAlgorithmOf, type CertificateParts } from "./_fields.ts";
import { firstCn, formatName } from "./_names.ts";
import { CertificateError } from "./errors.ts";
import { pemBlocks, type PemBlock } from "./pem.ts";

/** What RestPipe reads from a certificate. Plain data (a connection keeps it for its lifetime: nothing parsed rides along). */
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

/** Parses one DER certificate; throws CertificateError "malformed". Fine on every accepted connection. */
export async function parseCertificate(der: Uint8Array): Promise<CertificateInfo> {
  const copy = new Uint8Array(der);
  const parts = decodeCertificate(copy);
  try {
    return Object.freeze(summaryOf(copy, parts));
  } catch (cause) {
    throw malformed(cause);
  }
}

function summaryOf(copy: Uint8Array, parts: CertificateParts): CertificateInfo {
  const { dnsNames, ipAddresses, uris } = altNamesOf(parts);
  const { labels, invalid } = labelsFromUris(uris);
  const usages = extendedKeyUsagesOf(parts);
  // A server keeps this for each connection: what all clients of one CA share (issuer, algorithms, usages, empty
  // lists) is one shared value, not a copy each (a frozen array costs JSC a sparse map besides its storage).
  return {
    der: copy,
    subjectCn: firstCn(parts.subject),
    issuerCn: shared(firstCn(parts.issuer)),
    subject: formatName(parts.subject),
    issuer: shared(formatName(parts.issuer)),
    dnsNames: frozenList(dnsNames),
    ipAddresses: frozenList(ipAddresses),
    uris: frozenList(uris),
    labels,
    invalidLabels: frozenList(invalid),
    serialHex: serialHexOf(parts),
    notBefore: parts.notBefore,
    notAfter: parts.notAfter,
    isCa: isCaOf(parts),
    fingerprintSha256: colonHex(createHash("sha256").update(copy).digest()),
    keyAlgorithm: shared(keyAlgorithmOf(parts)),
    // Read now so that the certificate policy needs nothing parsed (a connection keeps only this info).
    signatureAlgorithm: shared(signatureAlgorithmOf(parts)),
    extendedKeyUsages: usages === undefined ? undefined : sharedList(usages),
  };
}

const EMPTY: readonly string[] = Object.freeze([]);

/** Distinct shared values kept; past it (the values come from peers' certificates) each gets its own. */
const MAX_SHARED = 256;
const sharedStrings = new Map<string, string>();
const sharedLists = new Map<string, readonly string[]>();

function shared<T extends string | undefined>(value: T): T {
  if (value === undefined) return value;
  const known = sharedStrings.get(value);
  if (known !== undefined) return known as T;
  if (sharedStrings.size < MAX_SHARED && value.length <= 256) sharedStrings.set(value, value);
  return value;
}

function frozenList(items: readonly string[]): readonly string[] {
  return items.length === 0 ? EMPTY : Object.freeze(items);
}

function sharedList(items: readonly string[]): readonly string[] {
  if (items.length === 0) return EMPTY;
  const key = items.join("\n");
  const known = sharedLists.get(key);
  if (known !== undefined) return known;
  const list = Object.freeze([...items]);
  if (sharedLists.size < MAX_SHARED && key.length <= 1024) sharedLists.set(key, list);
  return list;
}

function malformed(cause: unknown): CertificateError {
  if (cause instanceof ExtensionShapeError) return new CertificateError("malformed", `Cannot parse the certificate: ${cause.message}`, { cause });
  return new CertificateError("malformed", "Cannot parse the certificate: the DER is not an X.509 certificate", { cause });
}

/**
 * Checks that `der` is one whole DER certificate and splits it into its parts; throws CertificateError "malformed"
 * with the reasons earlier versions gave ("not DER (...)", "N bytes follow the DER", "not an X.509 certificate").
 */
export function decodeCertificate(der: Uint8Array): CertificateParts {
  let end: number;
  try {
    end = readTlv(der, 0).end;
  } catch (cause) {
    const reason = cause instanceof DerError ? cause.message : "bad ASN.1";
    throw new CertificateError("malformed", `Cannot parse the certificate: not DER (${reason})`, { cause });
  }
  if (end !== der.length) throw new CertificateError("malformed", `Cannot parse the certificate: ${der.length - end} bytes follow the DER`);
  try {
    new X509Certificate(der); // the runtime's parser: the whole structure, strictly
    return certificateParts(der);
  } catch (cause) {
    throw malformed(cause);
  }
}

/** Upper-case, colon-separated hex, as `openssl x509 -fingerprint` prints it. */
export function colonHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
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
