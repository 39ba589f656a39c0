/** Assembling and signing X.509 v3 certificates with pkijs over WebCrypto. */
import * as asn1js from "asn1js";
import {
  AltName,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  Extension,
  ExtKeyUsage,
  GeneralName,
  RelativeDistinguishedNames,
  Time,
} from "pkijs";
import { ENGINE } from "./_engine.ts";
import { OID_CN } from "./_names.ts";
import { OID } from "./_oids.ts";

/** Key pair algorithms RestPipe generates: EC P-256 or RSA-2048. */
export type KeyAlgorithm = "ec" | "rsa";

const ORGANIZATION = "2.5.4.10";

/** WebCrypto parameters for generating and importing each kind of signing key. */
export function signingAlgorithm(keyAlgorithm: string): EcKeyImportParams | RsaHashedImportParams {
  if (keyAlgorithm.startsWith("EC ")) return { name: "ECDSA", namedCurve: keyAlgorithm.slice(3) };
  if (/^RSA-\d+$/.test(keyAlgorithm)) return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  throw new RangeError(`Cannot sign with a ${keyAlgorithm} key: only EC and RSA keys are supported`);
}

/** Generates an extractable key pair: EC P-256 or RSA-2048 (e = 65537). */
export async function generateKeyPair(algorithm: KeyAlgorithm): Promise<CryptoKeyPair> {
  const params =
    algorithm === "ec"
      ? { name: "ECDSA", namedCurve: "P-256" }
      : { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: Uint8Array.of(1, 0, 1), hash: "SHA-256" };
  return (await crypto.subtle.generateKey(params, true, ["sign", "verify"])) as CryptoKeyPair;
}

/** A Name of one RDN per attribute, in ASN.1 order O then CN (so it prints "CN=x, O=y"). Either may be absent. */
export function buildName(cn: string | undefined, organization?: string): RelativeDistinguishedNames {
  const rdn = (type: string, value: string) => {
    const pair = new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: type }), new asn1js.Utf8String({ value })] });
    return new asn1js.Set({ value: [pair] });
  };
  const rdns = [
    ...(organization === undefined ? [] : [rdn(ORGANIZATION, organization)]),
    ...(cn === undefined ? [] : [rdn(OID_CN, cn)]),
  ];
  // Re-decoded so pkijs keeps these exact bytes (its own encoder would put every attribute in one multi-valued RDN).
  const der = new asn1js.Sequence({ value: rdns }).toBER();
  return new RelativeDistinguishedNames({ schema: asn1js.fromBER(der).result });
}

/** What goes into one certificate. */
export interface CertificatePlan {
  readonly subject: RelativeDistinguishedNames;
  readonly issuer: RelativeDistinguishedNames;
  readonly publicKey: CryptoKey;
  readonly signingKey: CryptoKey;
  /** The issuer's subjectKeyIdentifier; undefined for a self-signed certificate (its own is used). */
  readonly authorityKeyId: Uint8Array | undefined;
  readonly serial: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCa: boolean;
  readonly keyUsage: readonly number[];
  readonly extKeyUsage: readonly string[];
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly Uint8Array[];
  /** subjectAltName uniformResourceIdentifier entries (client labels: restpipe:label:key=value). */
  readonly uris?: readonly string[];
}

/** Builds and signs (SHA-256) an X.509 v3 certificate; returns its DER. */
export async function buildCertificate(plan: CertificatePlan): Promise<Uint8Array> {
  const certificate = new Certificate();
  certificate.version = 2;
  certificate.serialNumber = new asn1js.Integer({ valueHex: plan.serial });
  certificate.subject = plan.subject;
  certificate.issuer = plan.issuer;
  certificate.notBefore = timeOf(plan.notBefore);
  certificate.notAfter = timeOf(plan.notAfter);
  await certificate.subjectPublicKeyInfo.importKey(plan.publicKey, ENGINE);
  // Key identifier method 1 of RFC 5280 4.2.1.2: SHA-1 of the subjectPublicKey bits, as OpenSSL computes it.
  const publicKeyBits = new Uint8Array(certificate.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView);
  const keyId = new Uint8Array(await ENGINE.digest({ name: "SHA-1" }, publicKeyBits));
  certificate.extensions = extensionsFor(plan, keyId);
  await certificate.sign(plan.signingKey, "SHA-256", ENGINE);
  return new Uint8Array(certificate.toSchema().toBER());
}

function extensionsFor(plan: CertificatePlan, keyId: Uint8Array): Extension[] {
  const extensions = [
    extension(OID.basicConstraints, true, new BasicConstraints({ cA: plan.isCa }).toSchema()),
    extension(OID.keyUsage, true, keyUsageBits(plan.keyUsage)),
  ];
  if (plan.extKeyUsage.length > 0) {
    const keyPurposes = [...plan.extKeyUsage];
    extensions.push(extension(OID.extKeyUsage, false, new ExtKeyUsage({ keyPurposes }).toSchema()));
  }
  const altNames = [
    ...plan.dnsNames.map((value) => new GeneralName({ type: 2, value })),
    ...plan.ipAddresses.map((bytes) => new GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: bytes }) })),
    ...(plan.uris ?? []).map((value) => new GeneralName({ type: 6, value })),
  ];
  if (altNames.length > 0) {
    // RFC 5280 4.2.1.6: with an empty subject the subjectAltName must be critical.
    const critical = plan.subject.typesAndValues.length === 0;
    extensions.push(extension(OID.subjectAltName, critical, new AltName({ altNames }).toSchema()));
  }
  extensions.push(extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: keyId })));
  const keyIdentifier = new asn1js.OctetString({ valueHex: plan.authorityKeyId ?? keyId });
  extensions.push(extension(OID.authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier }).toSchema()));
  return extensions;
}

/** A random positive 16-byte serial with no leading zero byte. */
export function randomSerial(): Uint8Array {
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  return serial;
}

/** Encodes a hex serial as positive INTEGER content bytes; RangeError for non-hex or over 20 bytes (RFC 5280). */
export function serialFromHex(hex: string): Uint8Array {
  if (!/^[0-9a-fA-F]+$/.test(hex)) throw new RangeError(`Cannot use serial: current value "${hex}" is not hexadecimal`);
  let digits = hex.replace(/^0+/, "") || "0";
  if (digits.length % 2 === 1) digits = `0${digits}`;
  const bytes = Uint8Array.from(digits.match(/../g)!, (pair) => parseInt(pair, 16));
  const positive = bytes[0]! & 0x80 ? Uint8Array.of(0, ...bytes) : bytes;
  if (positive.length > 20) throw new RangeError(`Cannot use serial: current value "${hex}" is longer than 20 bytes`);
  return positive;
}

/** One extension whose value is the DER of `value`. */
export function extension(extnID: string, critical: boolean, value: asn1js.AsnType): Extension {
  return new Extension({ extnID, critical, extnValue: value.toBER(false) });
}

/** keyUsage as a DER named-bit BIT STRING: bit 0 (digitalSignature) is the top bit; trailing zero bits are dropped. */
function keyUsageBits(bits: readonly number[]): asn1js.BitString {
  const highest = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  return new asn1js.BitString({ valueHex: bytes, unusedBits: 7 - (highest & 7) });
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280); whole seconds, since DER times carry no fraction here. */
export function timeOf(date: Date): Time {
  const value = new Date(Math.floor(date.getTime() / 1000) * 1000);
  const year = value.getUTCFullYear();
  return new Time({ type: year >= 1950 && year < 2050 ? 0 : 1, value });
}
