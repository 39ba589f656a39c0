/** Reading the parts of a pkijs Certificate that CertificateInfo exposes. */
import * as asn1js from "asn1js";
import { Certificate, PublicKeyInfo as PublicKeyInfoClass, RSASSAPSSParams, type PublicKeyInfo } from "pkijs";
import { bytesEqual } from "./_bytes.ts";
import { formatIp } from "./_ip.ts";
import { CertificateError } from "./errors.ts";

/** Extension OIDs this module reads or writes. */
export const OID = {
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  ecPublicKey: "1.2.840.10045.2.1",
  rsaEncryption: "1.2.840.113549.1.1.1",
  rsaPss: "1.2.840.113549.1.1.10",
  ed25519: "1.3.101.112",
  ed448: "1.3.101.113",
} as const;

const CURVES: Record<string, string> = {
  "1.2.840.10045.3.1.7": "P-256",
  "1.3.132.0.34": "P-384",
  "1.3.132.0.35": "P-521",
};

/** Decodes DER into a pkijs Certificate; throws CertificateError "malformed". */
export function decodeCertificate(der: Uint8Array): Certificate {
  const asn1 = asn1js.fromBER(new Uint8Array(der));
  if (asn1.offset === -1) {
    throw new CertificateError("malformed", `Cannot parse the certificate: not DER (${asn1.result.error || "bad ASN.1"})`);
  }
  if (asn1.offset !== der.length) {
    throw new CertificateError("malformed", `Cannot parse the certificate: ${der.length - asn1.offset} bytes follow the DER`);
  }
  try {
    return new Certificate({ schema: asn1.result });
  } catch (cause) {
    throw new CertificateError("malformed", "Cannot parse the certificate: the DER is not an X.509 certificate", { cause });
  }
}

/** The serial number as lower-case hex without leading zero bytes ("0" for zero). */
export function serialHexOf(certificate: Certificate): string {
  return integerHex(certificate.serialNumber);
}

/** An INTEGER's content bytes as lower-case hex without leading zero bytes ("0" for zero): how serials are shown. */
export function integerHex(integer: asn1js.Integer): string {
  const bytes = integer.valueBlock.valueHexView;
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const hex = toHex(bytes.subarray(start));
  return hex === "00" || hex === "" ? "0" : hex;
}

/** "EC P-256", "RSA-2048", "Ed25519", ... or the algorithm OID when unknown. */
export function keyAlgorithmOf(spki: PublicKeyInfo): string {
  const oid = spki.algorithm.algorithmId;
  if (oid === OID.ecPublicKey) {
    const params = spki.algorithm.algorithmParams as asn1js.AsnType | undefined;
    const curve = params instanceof asn1js.ObjectIdentifier ? params.valueBlock.toString() : "";
    return `EC ${CURVES[curve] ?? (curve || "unknown curve")}`;
  }
  if (oid === OID.rsaEncryption || oid === OID.rsaPss) {
    const prefix = oid === OID.rsaPss ? "RSA-PSS" : "RSA";
    const key = asn1js.fromBER(spki.subjectPublicKey.valueBlock.valueHexView).result;
    const modulus = key instanceof asn1js.Sequence ? key.valueBlock.value[0] : undefined;
    return modulus instanceof asn1js.Integer ? `${prefix}-${bitLength(modulus.valueBlock.valueHexView)}` : prefix;
  }
  if (oid === OID.ed25519) return "Ed25519";
  if (oid === OID.ed448) return "Ed448";
  return oid;
}

/** SAN dNSName, iPAddress and URI entries (other kinds are ignored). Read with asn1js directly: pkijs's AltName schema is slow. */
export function altNamesOf(certificate: Certificate): { dnsNames: string[]; ipAddresses: string[]; uris: string[] } {
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  const uris: string[] = [];
  for (const name of sequenceItems(certificate, OID.subjectAltName)) {
    if (name.idBlock.tagClass !== 3 || name.idBlock.isConstructed) continue;
    const bytes = (name.valueBlock as { valueHexView?: Uint8Array }).valueHexView ?? new Uint8Array(0);
    if (name.idBlock.tagNumber === 2) dnsNames.push(String.fromCharCode(...bytes));
    if (name.idBlock.tagNumber === 7) ipAddresses.push(formatIp(bytes));
    if (name.idBlock.tagNumber === 6) uris.push(String.fromCharCode(...bytes));
  }
  return { dnsNames, ipAddresses, uris };
}

/** Whether basicConstraints says cA (its first element, a BOOLEAN, is TRUE). */
export function isCaOf(certificate: Certificate): boolean {
  const [first] = sequenceItems(certificate, OID.basicConstraints);
  return first instanceof asn1js.Boolean && first.valueBlock.value;
}

/** The subjectKeyIdentifier bytes, if the certificate has the extension. */
export function subjectKeyIdOf(certificate: Certificate): Uint8Array | undefined {
  const extension = certificate.extensions?.find((e) => e.extnID === OID.subjectKeyIdentifier);
  const parsed = extension ? asn1js.fromBER(extension.extnValue.valueBlock.valueHexView).result : undefined;
  return parsed instanceof asn1js.OctetString ? parsed.valueBlock.valueHexView : undefined;
}

/** Upper-case, colon-separated hex, as `openssl x509 -fingerprint` prints it. */
export function colonHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
}

/** Lower-case hex. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The items of an extension whose value is a SEQUENCE; empty when the extension is absent. */
function sequenceItems(certificate: Certificate, oid: string): asn1js.AsnType[] {
  const extension = certificate.extensions?.find((e) => e.extnID === oid);
  if (!extension) return [];
  const asn1 = asn1js.fromBER(extension.extnValue.valueBlock.valueHexView);
  if (asn1.offset === -1 || !(asn1.result instanceof asn1js.Sequence)) {
    throw new CertificateError("malformed", `Cannot parse the certificate: extension ${oid} is not a DER SEQUENCE`);
  }
  return asn1.result.valueBlock.value;
}

function bitLength(bytes: Uint8Array): number {
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  if (start === bytes.length) return 0;
  return (bytes.length - start - 1) * 8 + (32 - Math.clz32(bytes[start]!));
}

/** Whether a DER SubjectPublicKeyInfo (e.g. of a private key) holds the certificate's public key. */
export function publicKeyMatches(certificate: Certificate, spkiDer: Uint8Array): boolean {
  const asn1 = asn1js.fromBER(new Uint8Array(spkiDer));
  if (asn1.offset === -1) return false;
  let other: PublicKeyInfo;
  try {
    other = new PublicKeyInfoClass({ schema: asn1.result });
  } catch {
    return false;
  }
  const mine = certificate.subjectPublicKeyInfo;
  return (
    mine.algorithm.algorithmId === other.algorithm.algorithmId &&
    bytesEqual(mine.subjectPublicKey.valueBlock.valueHexView, other.subjectPublicKey.valueBlock.valueHexView)
  );
}

/** The signature algorithm's OID; for RSASSA-PSS with its hash's OID after a colon (SHA-1, PSS's default, when unreadable). */
export function signatureAlgorithmOf(certificate: Certificate): string {
  const algorithm = certificate.signatureAlgorithm;
  const oid = algorithm.algorithmId;
  if (oid !== OID.rsaPss) return oid;
  let hash = "1.3.14.3.2.26"; // RSASSA-PSS defaults to SHA-1
  try {
    const params = algorithm.algorithmParams as asn1js.AsnType | undefined;
    if (params instanceof asn1js.Sequence) hash = new RSASSAPSSParams({ schema: params }).hashAlgorithm.algorithmId;
  } catch {
    // unreadable parameters: judged as the default
  }
  return `${oid}:${hash}`;
}

/** The extended key usage OIDs, or undefined when the certificate has no such extension. */
export function extendedKeyUsagesOf(certificate: Certificate): readonly string[] | undefined {
  const extension = certificate.extensions?.find((e) => e.extnID === OID.extKeyUsage);
  if (!extension) return undefined;
  const parsed = asn1js.fromBER(extension.extnValue.valueBlock.valueHexView).result;
  if (!(parsed instanceof asn1js.Sequence)) return Object.freeze([]);
  return Object.freeze(
    parsed.valueBlock.value.filter((item) => item instanceof asn1js.ObjectIdentifier).map((item) => (item as asn1js.ObjectIdentifier).valueBlock.toString()),
  );
}
