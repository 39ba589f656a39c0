/**
 * The fields CertificateInfo exposes, read from a certificate's DER with the small reader of _der.ts (the serving
 * side's parser: no asn1js, no pkijs). Each reads exactly what the pkijs-based reader of earlier versions read, so
 * the summary and every refusal built from it stay the same (test/unit/pki/native-parse.test.ts compares the two).
 */
import { checkNested, childrenOf, contentOf, encodingOf, isUniversal, latin1, oidText, readTlv, TAG, timeOf, toHex, type Tlv } from "./_der.ts";
import { formatIp } from "./_ip.ts";
import { CURVES, OID, SHA1 } from "./_oids.ts";

/** The parts of a certificate's DER that the fields are read from. */
export interface CertificateParts {
  readonly der: Uint8Array;
  readonly serial: Tlv;
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The SubjectPublicKeyInfo element. */
  readonly spki: Tlv;
  /** The outer signatureAlgorithm element (AlgorithmIdentifier). */
  readonly signatureAlgorithm: Tlv;
  /** The signed bytes: the whole TBSCertificate encoding. */
  readonly tbs: Uint8Array;
  /** The signature's bytes (the BIT STRING's content after its unused-bits octet). */
  readonly signature: Uint8Array;
  /** Extension OID → its extnValue content (the DER inside the OCTET STRING). */
  readonly extensions: ReadonlyMap<string, Uint8Array>;
}

/** Splits a certificate's DER into its parts; throws RangeError when it is not shaped like an X.509 certificate. */
export function certificateParts(der: Uint8Array): CertificateParts {
  const [tbs, signatureAlgorithm, signature] = childrenOf(der, readTlv(der, 0));
  if (!isUniversal(tbs, TAG.sequence) || !isUniversal(signatureAlgorithm, TAG.sequence) || !isUniversal(signature, TAG.bitString)) {
    throw new RangeError("not a certificate");
  }
  const items = childrenOf(der, tbs);
  let i = items[0]?.tagClass === 3 && items[0].tagNumber === 0 ? 1 : 0; // [0] version
  const [serial, , issuer, validity, subject, spki] = items.slice(i, (i += 6));
  if (!isUniversal(serial, TAG.integer) || !isUniversal(issuer, TAG.sequence) || !isUniversal(validity, TAG.sequence)) throw new RangeError("not a certificate");
  if (!isUniversal(subject, TAG.sequence) || !isUniversal(spki, TAG.sequence)) throw new RangeError("not a certificate");
  const [notBefore, notAfter] = childrenOf(der, validity).map((time) => timeOf(der, time));
  if (notBefore === undefined || notAfter === undefined) throw new RangeError("unreadable validity");
  return {
    der,
    serial,
    issuer: encodingOf(der, issuer),
    subject: encodingOf(der, subject),
    notBefore,
    notAfter,
    spki,
    signatureAlgorithm,
    tbs: encodingOf(der, tbs),
    signature: contentOf(der, signature).subarray(1),
    extensions: extensionsOf(der, items.slice(i)),
  };
}

/** The extensions ([3] EXPLICIT SEQUENCE OF Extension); the first of a repeated OID wins, as pkijs's find() did. */
function extensionsOf(der: Uint8Array, rest: readonly Tlv[]): Map<string, Uint8Array> {
  const found = new Map<string, Uint8Array>();
  const wrapper = rest.find((item) => item.tagClass === 3 && item.tagNumber === 3);
  if (!wrapper) return found;
  const [list] = childrenOf(der, wrapper);
  if (!isUniversal(list, TAG.sequence)) throw new RangeError("extensions are not a SEQUENCE");
  for (const extension of childrenOf(der, list)) {
    const parts = childrenOf(der, extension);
    const id = parts[0];
    const value = parts[parts.length - 1];
    if (!isUniversal(id, TAG.oid) || !isUniversal(value, TAG.octetString) || parts.length < 2) throw new RangeError("bad extension");
    const oid = oidText(contentOf(der, id));
    if (!found.has(oid)) found.set(oid, contentOf(der, value));
  }
  return found;
}

/** The serial number as lower-case hex without leading zero bytes ("0" for zero). */
export function serialHexOf(parts: CertificateParts): string {
  const bytes = contentOf(parts.der, parts.serial);
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const hex = toHex(bytes.subarray(start));
  return hex === "00" || hex === "" ? "0" : hex;
}

/** SAN dNSName, iPAddress and URI entries (other kinds are ignored). */
export function altNamesOf(parts: CertificateParts): { dnsNames: string[]; ipAddresses: string[]; uris: string[] } {
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  const uris: string[] = [];
  const value = parts.extensions.get(OID.subjectAltName);
  for (const name of value ? sequenceItems(value, OID.subjectAltName) : []) {
    if (name.tagClass !== 3 || name.constructed) continue;
    const bytes = contentOf(value!, name);
    if (name.tagNumber === 2) dnsNames.push(latin1(bytes));
    if (name.tagNumber === 7) ipAddresses.push(formatIp(bytes));
    if (name.tagNumber === 6) uris.push(latin1(bytes));
  }
  return { dnsNames, ipAddresses, uris };
}

/** Whether basicConstraints says cA (its first element, a BOOLEAN, is TRUE: any non-zero byte, as asn1js reads it). */
export function isCaOf(parts: CertificateParts): boolean {
  const value = parts.extensions.get(OID.basicConstraints);
  if (!value) return false;
  const [first] = sequenceItems(value, OID.basicConstraints);
  return isUniversal(first, TAG.boolean) && contentOf(value, first).some((byte) => byte !== 0);
}

/** The extended key usage OIDs, or undefined when the certificate has no such extension. */
export function extendedKeyUsagesOf(parts: CertificateParts): readonly string[] | undefined {
  const value = parts.extensions.get(OID.extKeyUsage);
  if (value === undefined) return undefined;
  let list: Tlv;
  try {
    list = readTlv(value, 0);
  } catch {
    return Object.freeze([]);
  }
  if (!isUniversal(list, TAG.sequence)) return Object.freeze([]);
  // Fail closed: a list with anything but OIDs in it, or that does not decode to its end, grants no usage at all (a
  // usage read from a broken list could let a certificate through for a role its issuer did not mean).
  const oids: string[] = [];
  try {
    for (let at = list.contentStart; at < list.end; ) {
      const item = readTlv(value, at, list.end);
      checkNested(value, item);
      if (!isUniversal(item, TAG.oid)) return Object.freeze([]);
      oids.push(oidText(contentOf(value, item)));
      at = item.end;
    }
  } catch {
    return Object.freeze([]);
  }
  return Object.freeze(oids);
}

/** "EC P-256", "RSA-2048", "Ed25519", ... or the algorithm OID when unknown. */
export function keyAlgorithmOf(parts: CertificateParts): string {
  const { der } = parts;
  const [algorithm, key] = childrenOf(der, parts.spki);
  const [id, params] = algorithm ? childrenOf(der, algorithm) : [];
  const oid = id && isUniversal(id, TAG.oid) ? oidText(contentOf(der, id)) : "";
  if (oid === OID.ecPublicKey) {
    const curve = isUniversal(params, TAG.oid) ? oidText(contentOf(der, params)) : "";
    return `EC ${CURVES[curve] ?? (curve || "unknown curve")}`;
  }
  if (oid === OID.rsaEncryption || oid === OID.rsaPss) {
    const prefix = oid === OID.rsaPss ? "RSA-PSS" : "RSA";
    const bits = isUniversal(key, TAG.bitString) ? rsaModulusBits(contentOf(der, key).subarray(1)) : undefined;
    return bits === undefined ? prefix : `${prefix}-${bits}`;
  }
  if (oid === OID.ed25519) return "Ed25519";
  if (oid === OID.ed448) return "Ed448";
  return oid;
}

/** The signature algorithm's OID; for RSASSA-PSS with its hash's OID after a colon (SHA-1, PSS's default, when unreadable). */
export function signatureAlgorithmOf(parts: CertificateParts): string {
  const { der } = parts;
  const [id, params] = childrenOf(der, parts.signatureAlgorithm);
  const oid = isUniversal(id, TAG.oid) ? oidText(contentOf(der, id)) : "";
  if (oid !== OID.rsaPss) return oid;
  let hash = SHA1;
  try {
    if (isUniversal(params, TAG.sequence)) {
      const explicit = childrenOf(der, params).find((item) => item.tagClass === 3 && item.tagNumber === 0);
      const [algorithm] = explicit ? childrenOf(der, explicit) : [];
      const [hashId] = isUniversal(algorithm, TAG.sequence) ? childrenOf(der, algorithm) : [];
      if (isUniversal(hashId, TAG.oid)) hash = oidText(contentOf(der, hashId));
    }
  } catch {
    // unreadable parameters: judged as the default
  }
  return `${oid}:${hash}`;
}

/** RSASSA-PSS parameters (RFC 4055): the hash's OID (SHA-1 by default) and the salt length (20 by default); undefined when unreadable. */
export function pssParamsOf(parts: CertificateParts): { hash: string; saltLength: number } | undefined {
  const { der } = parts;
  const [, params] = childrenOf(der, parts.signatureAlgorithm);
  if (params === undefined || (params.tagClass === 1 && params.tagNumber === 5)) return { hash: SHA1, saltLength: 20 };
  if (!isUniversal(params, TAG.sequence)) return undefined;
  let hash = SHA1;
  let saltLength = 20;
  for (const item of childrenOf(der, params)) {
    if (item.tagClass !== 3) return undefined;
    const [inner] = childrenOf(der, item);
    if (item.tagNumber === 0) {
      const [hashId] = isUniversal(inner, TAG.sequence) ? childrenOf(der, inner) : [];
      if (!isUniversal(hashId, TAG.oid)) return undefined;
      hash = oidText(contentOf(der, hashId));
    }
    if (item.tagNumber === 2) {
      const bytes = isUniversal(inner, TAG.integer) ? contentOf(der, inner) : new Uint8Array(0);
      if (bytes.length === 0 || bytes.length > 2) return undefined;
      saltLength = bytes.reduce((n, b) => n * 256 + b, 0);
    }
  }
  return { hash, saltLength };
}

/** The SubjectPublicKeyInfo's algorithm OID and key bits, to compare with a private key's public half. */
export function publicKeyOf(der: Uint8Array, spki: Tlv): { algorithm: string; key: string } | undefined {
  const [algorithm, key] = childrenOf(der, spki);
  const [id] = isUniversal(algorithm, TAG.sequence) ? childrenOf(der, algorithm) : [];
  if (!isUniversal(id, TAG.oid) || !isUniversal(key, TAG.bitString)) return undefined;
  return { algorithm: oidText(contentOf(der, id)), key: toHex(contentOf(der, key).subarray(1)) };
}

/** Whether a DER SubjectPublicKeyInfo (e.g. of a private key) holds the certificate's public key (same algorithm, same key bits). */
export function publicKeyMatches(parts: CertificateParts, spkiDer: Uint8Array): boolean {
  const mine = publicKeyOf(parts.der, parts.spki);
  let other;
  try {
    other = publicKeyOf(spkiDer, readTlv(spkiDer, 0));
  } catch {
    return false;
  }
  return mine !== undefined && other !== undefined && mine.algorithm === other.algorithm && mine.key === other.key;
}

/** The items of an extension value that is a SEQUENCE; CertificateError-worthy RangeError when it is not. */
function sequenceItems(value: Uint8Array, oid: string): Tlv[] {
  let list: Tlv;
  try {
    list = readTlv(value, 0);
  } catch {
    list = { tagClass: 0, constructed: false, tagNumber: -1, start: 0, contentStart: 0, end: 0 };
  }
  if (!isUniversal(list, TAG.sequence)) throw new ExtensionShapeError(oid);
  return childrenOf(value, list);
}

/** An extension whose value is not the SEQUENCE it must be. */
export class ExtensionShapeError extends RangeError {
  override readonly name = "ExtensionShapeError";
  /** The extension's OID. */
  readonly oid: string;
  constructor(oid: string) {
    super(`extension ${oid} is not a DER SEQUENCE`);
    this.oid = oid;
  }
}

function rsaModulusBits(keyDer: Uint8Array): number | undefined {
  try {
    // Only the first element (the modulus) is read, as asn1js's partial result gave it for a key that breaks later.
    const key = readTlv(keyDer, 0);
    const modulus = isUniversal(key, TAG.sequence) ? readTlv(keyDer, key.contentStart, key.end) : undefined;
    if (!isUniversal(modulus, TAG.integer)) return undefined;
    return bitLength(contentOf(keyDer, modulus));
  } catch {
    return undefined;
  }
}

function bitLength(bytes: Uint8Array): number {
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  if (start === bytes.length) return 0;
  return (bytes.length - start - 1) * 8 + (32 - Math.clz32(bytes[start]!));
}
