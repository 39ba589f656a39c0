/** The pkijs side of certificates, for issuing and CRLs only: a pkijs Certificate from DER, and what issuing reads from one. */
import * as asn1js from "asn1js";
import { Certificate, PublicKeyInfo as PublicKeyInfoClass, type PublicKeyInfo } from "pkijs";
import { bytesEqual } from "./_bytes.ts";
import { toHex } from "./_der.ts";
import { OID } from "./_oids.ts";
import type { CertificateInfo } from "./certificate.ts";
import { CertificateError } from "./errors.ts";

export { OID } from "./_oids.ts";

/** A pkijs Certificate decoded from a CertificateInfo's DER (which parseCertificate has already accepted). */
export function pkijsCertificate(certificate: CertificateInfo): Certificate {
  const asn1 = asn1js.fromBER(new Uint8Array(certificate.der));
  try {
    if (asn1.offset === -1) throw new Error(asn1.result.error);
    return new Certificate({ schema: asn1.result });
  } catch (cause) {
    throw new CertificateError("malformed", "Cannot parse the certificate: the DER is not an X.509 certificate", { cause });
  }
}

/** The DER of a pkijs name (or any pkijs object with toSchema), for the DER-based readers of _names.ts. */
export function derOf(value: { toSchema(): asn1js.AsnType }): Uint8Array {
  return new Uint8Array(value.toSchema().toBER());
}

/** An INTEGER's content bytes as lower-case hex without leading zero bytes ("0" for zero): how serials are shown. */
export function integerHex(integer: asn1js.Integer): string {
  const bytes = integer.valueBlock.valueHexView;
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const hex = toHex(bytes.subarray(start));
  return hex === "00" || hex === "" ? "0" : hex;
}

/** The subjectKeyIdentifier bytes, if the certificate has the extension. */
export function subjectKeyIdOf(certificate: Certificate): Uint8Array | undefined {
  const extension = certificate.extensions?.find((e) => e.extnID === OID.subjectKeyIdentifier);
  const parsed = extension ? asn1js.fromBER(extension.extnValue.valueBlock.valueHexView).result : undefined;
  return parsed instanceof asn1js.OctetString ? parsed.valueBlock.valueHexView : undefined;
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
