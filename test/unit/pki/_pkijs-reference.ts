/**
 * The certificate reader of earlier versions, with pkijs and asn1js, kept as the oracle the native reader
 * (src/pki/certificate.ts: the runtime's X509Certificate and a small DER reader) is compared with: the summary
 * of every certificate, hostile ones included, must be the same.
 */
import * as asn1js from "asn1js";
import { Certificate, RSASSAPSSParams, type PublicKeyInfo, type RelativeDistinguishedNames } from "pkijs";
import { createHash } from "node:crypto";
// The constants and the IP printing are shared with the native reader: what is compared is how each reads the DER.
import { formatIp } from "../../../src/pki/_ip.ts";
import { CURVES, OID } from "../../../src/pki/_oids.ts";

const SHORT_NAMES: Record<string, string> = {
  "2.5.4.3": "CN", "2.5.4.4": "SN", "2.5.4.5": "serialNumber", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.9": "STREET",
  "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.12": "title", "2.5.4.42": "GN", "0.9.2342.19200300.100.1.1": "UID",
  "0.9.2342.19200300.100.1.25": "DC", "1.2.840.113549.1.9.1": "emailAddress",
};

/** The fields the old reader produced (CertificateInfo without der and labels, which come from the same inputs). */
export interface ReferenceFields {
  subjectCn: string | undefined;
  issuerCn: string | undefined;
  subject: string;
  issuer: string;
  dnsNames: string[];
  ipAddresses: string[];
  uris: string[];
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
  fingerprintSha256: string;
  keyAlgorithm: string;
  signatureAlgorithm: string;
  extendedKeyUsages: string[] | undefined;
}

/** Reads a DER certificate as the pkijs-based reader did; throws when it did. */
export function referenceFields(der: Uint8Array): ReferenceFields {
  const asn1 = asn1js.fromBER(new Uint8Array(der));
  if (asn1.offset === -1) throw new Error(`not DER (${asn1.result.error})`);
  const certificate = new Certificate({ schema: asn1.result });
  const alt = altNamesOf(certificate);
  return {
    subjectCn: firstCn(certificate.subject),
    issuerCn: firstCn(certificate.issuer),
    subject: formatName(certificate.subject),
    issuer: formatName(certificate.issuer),
    ...alt,
    serialHex: integerHex(certificate.serialNumber),
    notBefore: certificate.notBefore.value,
    notAfter: certificate.notAfter.value,
    isCa: isCaOf(certificate),
    fingerprintSha256: Array.from(createHash("sha256").update(der).digest(), (b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":"),
    keyAlgorithm: keyAlgorithmOf(certificate.subjectPublicKeyInfo),
    signatureAlgorithm: signatureAlgorithmOf(certificate),
    extendedKeyUsages: extendedKeyUsagesOf(certificate),
  };
}

function rdnsOf(name: RelativeDistinguishedNames): Array<Array<{ type: string; text: string | undefined; der: Uint8Array }>> {
  return name.toSchema().valueBlock.value.map((set) =>
    (set as asn1js.Set).valueBlock.value.map((pair) => {
      const [type, value] = (pair as asn1js.Sequence).valueBlock.value as [asn1js.ObjectIdentifier, asn1js.AsnType];
      const block = (value as { valueBlock?: { value?: unknown } }).valueBlock;
      return { type: type.valueBlock.toString(), text: typeof block?.value === "string" ? block.value : undefined, der: new Uint8Array(value.toBER()) };
    }),
  );
}

function formatName(name: RelativeDistinguishedNames): string {
  return rdnsOf(name)
    .reverse()
    .map((rdn) =>
      rdn
        .map((attribute) => {
          const key = SHORT_NAMES[attribute.type] ?? attribute.type;
          if (attribute.text === undefined) return `${key}=#${toHex(attribute.der)}`;
          const escaped = attribute.text.replace(/[\\"+,;<>=]/g, (c) => `\\${c}`).replace(/^[ #]/, (c) => `\\${c}`).replace(/ $/, "\\ ");
          return `${key}=${escaped}`;
        })
        .join("+"),
    )
    .join(", ");
}

function firstCn(name: RelativeDistinguishedNames): string | undefined {
  for (const rdn of rdnsOf(name)) for (const attribute of rdn) if (attribute.type === "2.5.4.3") return attribute.text;
  return undefined;
}

function integerHex(integer: asn1js.Integer): string {
  const bytes = integer.valueBlock.valueHexView;
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const hex = toHex(bytes.subarray(start));
  return hex === "00" || hex === "" ? "0" : hex;
}

function keyAlgorithmOf(spki: PublicKeyInfo): string {
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

function altNamesOf(certificate: Certificate): { dnsNames: string[]; ipAddresses: string[]; uris: string[] } {
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

function isCaOf(certificate: Certificate): boolean {
  const [first] = sequenceItems(certificate, OID.basicConstraints);
  return first instanceof asn1js.Boolean && first.valueBlock.value;
}

function sequenceItems(certificate: Certificate, oid: string): asn1js.AsnType[] {
  const extension = certificate.extensions?.find((e) => e.extnID === oid);
  if (!extension) return [];
  const asn1 = asn1js.fromBER(extension.extnValue.valueBlock.valueHexView);
  if (asn1.offset === -1 || !(asn1.result instanceof asn1js.Sequence)) throw new Error(`extension ${oid} is not a DER SEQUENCE`);
  return asn1.result.valueBlock.value;
}

function signatureAlgorithmOf(certificate: Certificate): string {
  const algorithm = certificate.signatureAlgorithm;
  const oid = algorithm.algorithmId;
  if (oid !== OID.rsaPss) return oid;
  let hash = "1.3.14.3.2.26";
  try {
    const params = algorithm.algorithmParams as asn1js.AsnType | undefined;
    if (params instanceof asn1js.Sequence) hash = new RSASSAPSSParams({ schema: params }).hashAlgorithm.algorithmId;
  } catch {
    // the default
  }
  return `${oid}:${hash}`;
}

function extendedKeyUsagesOf(certificate: Certificate): string[] | undefined {
  const extension = certificate.extensions?.find((e) => e.extnID === OID.extKeyUsage);
  if (!extension) return undefined;
  const parsed = asn1js.fromBER(extension.extnValue.valueBlock.valueHexView).result;
  if (!(parsed instanceof asn1js.Sequence)) return [];
  return parsed.valueBlock.value.filter((item) => item instanceof asn1js.ObjectIdentifier).map((item) => (item as asn1js.ObjectIdentifier).valueBlock.toString());
}

function bitLength(bytes: Uint8Array): number {
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  if (start === bytes.length) return 0;
  return (bytes.length - start - 1) * 8 + (32 - Math.clz32(bytes[start]!));
}


function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
