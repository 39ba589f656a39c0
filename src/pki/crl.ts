/** Certificate revocation lists (X.509 v2 CRLs, RFC 5280 section 5): sign one with a CA, read and verify one. */
import * as asn1js from "asn1js";
import { AuthorityKeyIdentifier, CertificateRevocationList, Extensions, RevokedCertificate } from "pkijs";
import { ENGINE } from "./_engine.ts";
import { extension, serialFromHex, timeOf } from "./_build.ts";
import { formatName } from "./_names.ts";
import { derOf, integerHex, pkijsCertificate } from "./_x509.ts";
import type { CertificateInfo } from "./certificate.ts";
import { RevocationListError } from "./errors.ts";
import { loadCa, type PemIdentity } from "./issue.ts";
import { pemBlocks, toPem } from "./pem.ts";

/** One revoked certificate: its serial (hex, as CertificateInfo.serialHex) and when it was revoked. */
export interface RevokedSerial {
  readonly serialHex: string;
  readonly revokedAt: Date;
}

/** What goes into a CRL. */
export interface CrlOptions {
  readonly ca: PemIdentity;
  readonly revoked: readonly RevokedSerial[];
  /** The cRLNumber extension: increases with every CRL the CA signs. */
  readonly crlNumber: number;
  /** Default: now. */
  readonly thisUpdate?: Date;
  /** When a newer CRL is due; TLS stacks refuse every peer once it has passed. */
  readonly nextUpdate: Date;
}

/** A CRL that was read and whose signature checked out. */
export interface CrlInfo {
  /** The issuer, most-specific first: "CN=My CA". */
  readonly issuer: string;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  readonly crlNumber: number | undefined;
  readonly revoked: readonly RevokedSerial[];
  /** The revoked serials, for lookups. */
  readonly serials: ReadonlySet<string>;
}

const OID_CRL_NUMBER = "2.5.29.20";
const OID_AUTHORITY_KEY_ID = "2.5.29.35";
const LABEL = "X509 CRL";

/** Signs a v2 CRL (SHA-256) with the CA's key; returns it as PEM ("X509 CRL"). */
export async function signCrl(options: CrlOptions): Promise<string> {
  const ca = await loadCa(options.ca);
  const crl = new CertificateRevocationList();
  crl.version = 1; // v2: needed for extensions
  crl.issuer = ca.certificate.subject;
  crl.thisUpdate = timeOf(options.thisUpdate ?? new Date());
  crl.nextUpdate = timeOf(options.nextUpdate);
  if (options.revoked.length > 0) {
    // RFC 5280 5.1.2.6: the list is omitted, not empty, when nothing is revoked.
    crl.revokedCertificates = options.revoked.map(
      (entry) =>
        new RevokedCertificate({
          userCertificate: new asn1js.Integer({ valueHex: serialFromHex(entry.serialHex) }),
          revocationDate: timeOf(entry.revokedAt),
        }),
    );
  }
  const extensions = [extension(OID_CRL_NUMBER, false, new asn1js.Integer({ value: options.crlNumber }))];
  if (ca.keyId) {
    const keyIdentifier = new asn1js.OctetString({ valueHex: ca.keyId });
    extensions.unshift(extension(OID_AUTHORITY_KEY_ID, false, new AuthorityKeyIdentifier({ keyIdentifier }).toSchema()));
  }
  crl.crlExtensions = new Extensions({ extensions });
  await crl.sign(ca.signingKey, "SHA-256", ENGINE);
  return toPem(LABEL, new Uint8Array(crl.toSchema().toBER()));
}

/** Reads the first CRL of a PEM text and checks that one of `trusted` signed it; RevocationListError says what is wrong. */
export async function readCrl(pem: string, trusted: readonly CertificateInfo[]): Promise<CrlInfo> {
  const crl = decodeCrl(pem);
  const issuer = formatName(derOf(crl.issuer));
  const signer = await signerOf(crl, trusted);
  if (!signer) {
    const names = trusted.map((ca) => `"${ca.subject}"`).join(", ");
    throw new RevocationListError(`Cannot use the revocation list of "${issuer}": it is not signed by the CA (${names || "none configured"})`);
  }
  const revoked = (crl.revokedCertificates ?? []).map((entry) => ({
    serialHex: integerHex(entry.userCertificate),
    revokedAt: entry.revocationDate.value,
  }));
  const number = crl.crlExtensions?.extensions.find((e) => e.extnID === OID_CRL_NUMBER);
  const parsedNumber = number ? asn1js.fromBER(number.extnValue.valueBlock.valueHexView).result : undefined;
  return Object.freeze({
    issuer,
    thisUpdate: crl.thisUpdate.value,
    nextUpdate: crl.nextUpdate?.value,
    crlNumber: parsedNumber instanceof asn1js.Integer ? parsedNumber.valueBlock.valueDec : undefined,
    revoked: Object.freeze(revoked),
    serials: new Set(revoked.map((entry) => entry.serialHex)),
  });
}

function decodeCrl(pem: string): CertificateRevocationList {
  let blocks;
  try {
    blocks = pemBlocks(pem);
  } catch (cause) {
    throw new RevocationListError(`Cannot read the revocation list: ${(cause as Error).message.replace(/^Cannot [^:]+: /, "")}`, { cause });
  }
  const block = blocks.find((b) => b.label === LABEL);
  if (!block) throw new RevocationListError(`Cannot read the revocation list: the PEM holds no "${LABEL}" block, only ${blocks.map((b) => b.label).join(", ")}`);
  const asn1 = asn1js.fromBER(new Uint8Array(block.der));
  try {
    if (asn1.offset === -1) throw new Error(asn1.result.error);
    return new CertificateRevocationList({ schema: asn1.result });
  } catch (cause) {
    throw new RevocationListError("Cannot read the revocation list: the DER is not an X.509 CRL", { cause });
  }
}

async function signerOf(crl: CertificateRevocationList, trusted: readonly CertificateInfo[]): Promise<CertificateInfo | undefined> {
  for (const candidate of trusted) {
    try {
      if (await crl.verify({ issuerCertificate: pkijsCertificate(candidate) }, ENGINE)) return candidate;
    } catch {
      // an unsupported algorithm or a key that does not fit: not this issuer
    }
  }
  return undefined;
}
