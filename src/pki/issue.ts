/** A small CA: create a self-signed CA, issue client and server certificates from it. Keys are PKCS#8 PEM. */
import type { Certificate } from "pkijs";
import { readPrivateKey } from "./keys.ts";
import {
  buildCertificate,
  buildName,
  generateKeyPair,
  randomSerial,
  serialFromHex,
  signingAlgorithm,
  type KeyAlgorithm,
} from "./_build.ts";
import { labelUri, parseLabels, type Labels } from "../labels/index.ts";
import { parseIp } from "./_ip.ts";
import { OID, pkijsCertificate, publicKeyMatches, subjectKeyIdOf } from "./_x509.ts";
import { describeCertificate, parseCertificatesPem } from "./certificate.ts";
import { IdentityError } from "./errors.ts";
import { pemBlocks, toPem } from "./pem.ts";

export type { KeyAlgorithm } from "./_build.ts";

/** A private key (PKCS#8 PEM) and its certificate (PEM). */
export interface PemIdentity {
  readonly keyPem: string;
  readonly certPem: string;
}

/** Options of createCa. */
export interface CaOptions {
  readonly cn: string;
  /** "ec" (P-256, the default) or "rsa" (2048 bits). */
  readonly algorithm?: KeyAlgorithm;
  /** Default 3650. */
  readonly validityDays?: number;
  /** Default: five minutes ago, so that peers whose clock is a little behind accept it. */
  readonly notBefore?: Date;
}

/** Options of issueCertificate. */
export interface IssueOptions {
  readonly ca: PemIdentity;
  /** The subject CN, which names a client; omitted means no CN at all (only to test the refusal). */
  readonly cn?: string;
  /** An optional subject O. */
  readonly organization?: string;
  /** Sets extKeyUsage: serverAuth and clientAuth (a server, which dials its fleet peers too) or clientAuth. */
  readonly role: "client" | "server";
  /** subjectAltName dNSName entries. For a server with neither these nor ipAddresses, the CN is used. */
  readonly dnsNames?: readonly string[];
  /** subjectAltName iPAddress entries, IPv4 or IPv6 text. */
  readonly ipAddresses?: readonly string[];
  /** Client labels, written as SAN URIs restpipe:label:key=value (checked against the label syntax). */
  readonly labels?: Labels;
  readonly algorithm?: KeyAlgorithm;
  /** Default 825; ignored when notAfter is given. */
  readonly validityDays?: number;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Default: 16 random bytes. */
  readonly serialHex?: string;
}

const DAY_MS = 86_400_000;
const BACKDATE_MS = 5 * 60_000;
const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

/** Creates a self-signed CA certificate (basicConstraints cA, keyCertSign + cRLSign) and its key. */
export async function createCa(options: CaOptions): Promise<PemIdentity> {
  const keys = await generateKeyPair(options.algorithm ?? "ec");
  const name = buildName(options.cn);
  const notBefore = options.notBefore ?? new Date(Date.now() - BACKDATE_MS);
  const der = await buildCertificate({
    subject: name,
    issuer: name,
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    authorityKeyId: undefined,
    serial: randomSerial(),
    notBefore,
    notAfter: notAfterOf(notBefore, undefined, options.validityDays ?? 3650),
    isCa: true,
    keyUsage: [KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign],
    extKeyUsage: [],
    dnsNames: [],
    ipAddresses: [],
  });
  return { keyPem: await keyPemOf(keys.privateKey), certPem: toPem("CERTIFICATE", der) };
}

/** Issues a client or server certificate signed by `ca`, with a new key pair. */
export async function issueCertificate(options: IssueOptions): Promise<PemIdentity> {
  const algorithm = options.algorithm ?? "ec";
  const keys = await generateKeyPair(algorithm);
  const certPem = await certifyPublicKey({ ...options, algorithm }, keys.publicKey);
  return { keyPem: await keyPemOf(keys.privateKey), certPem };
}

/** Issues a certificate for a public key held elsewhere (a CSR's; `options.algorithm` is that key's): its PEM. */
export async function certifyPublicKey(options: IssueOptions, publicKey: CryptoKey): Promise<string> {
  const ca = await loadCa(options.ca);
  const algorithm = options.algorithm ?? "ec";
  const notBefore = options.notBefore ?? new Date(Date.now() - BACKDATE_MS);
  const { dnsNames, ipAddresses } = altNamesFor(options);
  const der = await buildCertificate({
    subject: buildName(options.cn, options.organization),
    issuer: ca.certificate.subject,
    publicKey,
    signingKey: ca.signingKey,
    authorityKeyId: ca.keyId,
    serial: options.serialHex === undefined ? randomSerial() : serialFromHex(options.serialHex),
    notBefore,
    notAfter: notAfterOf(notBefore, options.notAfter, options.validityDays ?? 825),
    isCa: false,
    keyUsage:
      algorithm === "rsa" ? [KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment] : [KEY_USAGE.digitalSignature],
    // A server's certificate serves for clientAuth too: a server of a fleet dials its peers with it.
    extKeyUsage: options.role === "server" ? [OID.serverAuth, OID.clientAuth] : [OID.clientAuth],
    dnsNames,
    ipAddresses,
    uris: labelUris(options.labels),
  });
  return toPem("CERTIFICATE", der);
}

/** The SAN URIs of `labels`, after checking them against the label syntax (RangeError). */
function labelUris(labels: Labels | undefined): string[] {
  if (labels === undefined) return [];
  const checked = parseLabels(Object.entries(labels).map(([key, value]) => `${key}=${value}`));
  return Object.entries(checked).map(([key, value]) => labelUri(key, value));
}

/** The CA certificate, its signing key (WebCrypto) and its key identifier; IdentityError when key and certificate differ. */
export async function loadCa(ca: PemIdentity): Promise<{ certificate: Certificate; signingKey: CryptoKey; keyId: Uint8Array | undefined }> {
  const [info] = await parseCertificatesPem(ca.certPem);
  const key = readPrivateKey(ca.keyPem);
  const certificate = pkijsCertificate(info!);
  if (!publicKeyMatches(certificate, key.spkiDer)) {
    const name = describeCertificate(info!);
    throw new IdentityError("match", `Cannot issue a certificate: the CA private key does not match the CA certificate ${name}`);
  }
  const pkcs8 = new Uint8Array(pemBlocks(key.pkcs8Pem)[0]!.der);
  const signingKey = await crypto.subtle.importKey("pkcs8", pkcs8, signingAlgorithm(key.algorithm), false, ["sign"]);
  return { certificate, signingKey, keyId: subjectKeyIdOf(certificate) };
}

function altNamesFor(options: IssueOptions): { dnsNames: readonly string[]; ipAddresses: Uint8Array[] } {
  let dnsNames = options.dnsNames ?? [];
  let ipTexts = options.ipAddresses ?? [];
  if (options.role === "server" && dnsNames.length === 0 && ipTexts.length === 0 && options.cn !== undefined) {
    // Clients match the host against subjectAltName only, never the CN: a server certificate needs one.
    if (parseIp(options.cn)) ipTexts = [options.cn];
    else dnsNames = [options.cn];
  }
  const ipAddresses = ipTexts.map((text) => {
    const bytes = parseIp(text);
    if (!bytes) throw new RangeError(`Cannot issue a certificate: current IP address "${text}" is not IPv4 or IPv6`);
    return bytes;
  });
  return { dnsNames, ipAddresses };
}

function notAfterOf(notBefore: Date, notAfter: Date | undefined, validityDays: number): Date {
  const end = notAfter ?? new Date(notBefore.getTime() + validityDays * DAY_MS);
  if (end.getTime() <= notBefore.getTime()) {
    throw new RangeError(
      `Cannot issue a certificate: notAfter ${end.toISOString()} is not after notBefore ${notBefore.toISOString()}`,
    );
  }
  return end;
}

async function keyPemOf(privateKey: CryptoKey): Promise<string> {
  return toPem("PRIVATE KEY", new Uint8Array(await crypto.subtle.exportKey("pkcs8", privateKey)));
}
