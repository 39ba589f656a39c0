/**
 * The built-in CA as a directory, in the seed's CA-kit layout: `ca.key.pem`,
 * `ca.crt.pem`, then `<cn>.key.pem`, `<cn>.crt.pem` (and `<cn>.bundle.pem`)
 * per identity; plus `index.json` (what was issued and revoked) and
 * `ca.crl.pem` (the revocation list, signed by the CA).
 */
import { ensureDir, fileMode, joinPath, readText, withFileLock, writeFilesAtomic } from "../platform/index.ts";
import type { Labels } from "../labels/index.ts";
import { parseIp } from "./_ip.ts";
import { formatBundle } from "./bundle.ts";
import { EMPTY_INDEX, normalizeSerial, readCaIndex, writeCaIndex, type IssuedKind, type IssuedRecord } from "./ca-index.ts";
import { parseCertificatesPem, type CertificateInfo } from "./certificate.ts";
import { CaError } from "./errors.ts";
import type { KeyAlgorithm, PemIdentity } from "./issue.ts";
import { certifyPublicKey, createCa, issueCertificate, readCsr, signCrl } from "./issuing.ts";

const DAY_MS = 86_400_000;

/** The files of a CA directory. */
export interface CaPaths {
  readonly dir: string;
  readonly key: string;
  readonly cert: string;
  readonly index: string;
  readonly crl: string;
  /** Held while the index is read and rewritten, so that concurrent `ca` commands take turns. */
  readonly lock: string;
}

/** The files of one identity the CA issued. */
export interface IssuedPaths {
  readonly key: string;
  readonly cert: string;
  readonly bundle: string;
}

/** The paths of the CA files in `dir`. */
export function caPaths(dir: string): CaPaths {
  const path = (name: string) => joinPath(dir, name);
  return { dir, key: path("ca.key.pem"), cert: path("ca.crt.pem"), index: path("index.json"), crl: path("ca.crl.pem"), lock: path("index.lock") };
}

/** The paths of `cn`'s files in the CA directory `dir`. */
export function issuedPaths(dir: string, cn: string): IssuedPaths {
  const path = (kind: string) => joinPath(dir, `${cn}.${kind}.pem`);
  return { key: path("key"), cert: path("crt"), bundle: path("bundle") };
}

/** Options of initCa. */
export interface InitOptions {
  readonly cn: string;
  readonly algorithm: KeyAlgorithm;
  readonly validityDays: number;
}

/** Creates a CA in `dir` (made 0700 if new): key (0600), certificate, an empty index and an empty CRL. Refuses to overwrite a CA. */
export async function initCa(dir: string, options: InitOptions): Promise<CertificateInfo> {
  const paths = caPaths(dir);
  for (const path of [paths.key, paths.cert]) {
    if ((await fileMode(path)) !== undefined) throw new CaError(`Cannot create a CA in ${dir}: ${path} already exists`);
  }
  const ca = await createCa({ cn: options.cn, algorithm: options.algorithm, validityDays: options.validityDays });
  const [certificate] = await parseCertificatesPem(ca.certPem);
  const crl = await crlFor(ca, certificate!, [], 1);
  await ensureDir(dir, 0o700);
  await writeFilesAtomic([
    { path: paths.key, data: ca.keyPem, mode: 0o600 },
    { path: paths.cert, data: ca.certPem, mode: 0o644 },
    { path: paths.crl, data: crl, mode: 0o644 },
  ]);
  await writeCaIndex(paths.index, { ...EMPTY_INDEX, crlNumber: 1 });
  return certificate!;
}

/** Reads the CA's key and certificate; CaError names the missing file and how to make a CA. */
export async function readCa(dir: string): Promise<{ ca: PemIdentity; certificate: CertificateInfo }> {
  const paths = caPaths(dir);
  let ca: PemIdentity;
  try {
    ca = { keyPem: await readText(paths.key), certPem: await readText(paths.cert) };
  } catch (cause) {
    throw new CaError(`Cannot use the CA in ${dir}: ${(cause as Error).message} (create one with: rp-server ca init)`, { cause });
  }
  const [certificate] = await parseCertificatesPem(ca.certPem);
  return { ca, certificate: certificate! };
}

/** Options of issueFromCa. */
export interface IssueFromCaOptions {
  readonly cn: string;
  readonly kind: IssuedKind;
  /** DNS names and IP addresses (told apart by their syntax), for a server. */
  readonly sans: readonly string[];
  /** Labels written into a client certificate (restpipe:label:key=value SAN URIs). */
  readonly labels?: Labels;
  readonly algorithm: KeyAlgorithm;
  readonly validityDays: number;
  /** Replace the files of an identity of the same CN that exist already (its certificate stays valid until revoked). */
  readonly force?: boolean;
  /** CNs of server identities beyond the index (the one installed in the identity directory): no client may take them. */
  readonly serverCns?: readonly string[];
}

/** What issueFromCa wrote. */
export interface Issued {
  readonly record: IssuedRecord;
  readonly paths: IssuedPaths;
  /** Unrevoked certificates for the same CN issued before this one (they stay valid until revoked). */
  readonly earlier: readonly IssuedRecord[];
  /** The validity asked for would have outlived the CA: the certificate ends when the CA does. */
  readonly cappedByCa: boolean;
}

/** Issues a client or server identity: writes its key (0600), certificate, bundle (0600), and records it in the index. */
export async function issueFromCa(dir: string, options: IssueFromCaOptions): Promise<Issued> {
  checkFileName(options.cn);
  await readCa(dir); // a missing CA is reported as such, not as a lock that cannot be made
  return withFileLock(caPaths(dir).lock, () => issueLocked(dir, options));
}

async function issueLocked(dir: string, options: IssueFromCaOptions): Promise<Issued> {
  const { ca, certificate: caCertificate } = await readCa(dir);
  const paths = caPaths(dir);
  const index = await readCaIndex(paths.index);
  if (options.kind === "client") refuseServerCn(options.cn, index.certificates, options.serverCns);
  const ipAddresses = options.sans.filter((san) => parseIp(san) !== undefined);
  const dnsNames = options.sans.filter((san) => parseIp(san) === undefined);
  for (const name of dnsNames) {
    if (!/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(name)) {
      throw new RangeError(`Cannot issue a certificate: current SAN "${name}" is neither a DNS name nor an IP address`);
    }
  }
  // A certificate that outlives its CA is useless: it ends with the CA.
  const wanted = new Date(Date.now() + options.validityDays * DAY_MS);
  const cappedByCa = wanted.getTime() > caCertificate.notAfter.getTime();
  const issued = await issueCertificate({
    ca,
    cn: options.cn,
    role: options.kind,
    dnsNames,
    ipAddresses,
    ...(options.labels ? { labels: options.labels } : {}),
    algorithm: options.algorithm,
    notAfter: cappedByCa ? caCertificate.notAfter : wanted,
  });
  const [certificate] = await parseCertificatesPem(issued.certPem);
  const record = recordOf(certificate!, options.kind);
  const bundle = formatBundle(
    { keyPem: issued.keyPem, certPem: issued.certPem, caPem: ca.certPem },
    { cn: options.cn, kind: options.kind, issuer: caCertificate.subject, notAfter: certificate!.notAfter },
  );
  const files = issuedPaths(dir, options.cn);
  if (!options.force) await refuseOverwrite(files, options.cn, index.certificates);
  await writeFilesAtomic([
    { path: files.key, data: issued.keyPem, mode: 0o600 },
    { path: files.cert, data: issued.certPem, mode: 0o644 },
    { path: files.bundle, data: bundle, mode: 0o600 },
  ]);
  await writeCaIndex(paths.index, { ...index, certificates: [...index.certificates, record] });
  const earlier = index.certificates.filter((entry) => entry.cn === options.cn && entry.revokedAt === undefined);
  return { record, paths: files, earlier, cappedByCa };
}

/** Options of signCsrInCa. */
export interface SignCsrOptions {
  readonly validityDays: number;
  /** CNs a client may not have, besides the server certificates in the index: the server identity's. */
  readonly reservedCns?: readonly string[];
}

/** What signCsrInCa wrote. */
export interface Signed {
  readonly record: IssuedRecord;
  /** The certificate (also written to the CA directory as `<cn>.crt.pem`) and the CA certificate, to carry back. */
  readonly certPem: string;
  readonly caPem: string;
  readonly certPath: string;
  readonly earlier: readonly IssuedRecord[];
  readonly cappedByCa: boolean;
}

/**
 * Signs a client CSR: checks its signature, refuses a CN that belongs to a
 * server (the server identity's, or a server certificate of this CA: a
 * client with it could pass for the server, and its files would overwrite
 * the server's in the CA directory), writes `<cn>.crt.pem` (no key: the key
 * stays where the request was made) and records it in the index.
 */
export async function signCsrInCa(dir: string, csrPem: string, options: SignCsrOptions): Promise<Signed> {
  const csr = await readCsr(csrPem);
  checkFileName(csr.cn);
  await readCa(dir);
  return withFileLock(caPaths(dir).lock, async () => {
    const { ca, certificate: caCertificate } = await readCa(dir);
    const paths = caPaths(dir);
    const index = await readCaIndex(paths.index);
    refuseServerCn(csr.cn, index.certificates, options.reservedCns);
    const wanted = new Date(Date.now() + options.validityDays * DAY_MS);
    const cappedByCa = wanted.getTime() > caCertificate.notAfter.getTime();
    const certPem = await certifyPublicKey(
      { ca, cn: csr.cn, role: "client", algorithm: csr.algorithm, notAfter: cappedByCa ? caCertificate.notAfter : wanted },
      csr.publicKey,
    );
    const [certificate] = await parseCertificatesPem(certPem);
    const record = recordOf(certificate!, "client");
    const certPath = issuedPaths(dir, csr.cn).cert;
    await writeFilesAtomic([{ path: certPath, data: certPem, mode: 0o644 }]);
    await writeCaIndex(paths.index, { ...index, certificates: [...index.certificates, record] });
    const earlier = index.certificates.filter((entry) => entry.cn === csr.cn && entry.revokedAt === undefined);
    return { record, certPem, caPem: ca.certPem, certPath, earlier, cappedByCa };
  });
}

/**
 * Refuses to issue a client certificate under a server's CN (one the CA issued as a server, or `serverCns`): a client
 * named like the server would take over its files in the CA directory and be mistaken for it. For every command that
 * issues a client certificate (`ca issue`, `ca sign`).
 */
export function refuseServerCn(cn: string, records: readonly IssuedRecord[], serverCns: readonly string[] = []): void {
  const server = records.find((entry) => entry.kind === "server" && entry.cn === cn);
  if (server === undefined && !serverCns.includes(cn)) return;
  const which = server === undefined ? "the installed server identity" : `the server identity (serial ${server.serial})`;
  throw new CaError(`Cannot issue a client certificate for CN "${cn}": it is the CN of ${which}; choose another --cn for the client`);
}

/** Refuses to replace an identity's files that exist; the message says how (--force) and what stays valid. */
async function refuseOverwrite(files: IssuedPaths, cn: string, records: readonly IssuedRecord[]): Promise<void> {
  for (const path of [files.key, files.cert, files.bundle]) {
    if ((await fileMode(path)) === undefined) continue;
    const earlier = records.filter((entry) => entry.cn === cn && entry.revokedAt === undefined).map((entry) => entry.serial);
    const valid = earlier.length === 0 ? "" : ` (the certificate there stays valid until revoked: rp-server ca revoke ${earlier.at(-1)})`;
    throw new CaError(`Cannot issue a certificate for CN "${cn}": ${path} exists; pass --force to replace its files${valid}`);
  }
}

/** What revokeInCa did. */
export interface Revoked {
  readonly revoked: readonly IssuedRecord[];
  /** The new CRL (PEM), also written to the CA directory. */
  readonly crlPem: string;
  readonly crlPath: string;
  /** The CA certificate that signed the CRL. */
  readonly ca: CertificateInfo;
}

/**
 * Revokes the certificate with serial `which`, or else every unrevoked
 * certificate whose CN is `which`; signs and writes a new CRL. CaError when
 * nothing matches or everything that matches is revoked already.
 */
export async function revokeInCa(dir: string, which: string, at: Date = new Date()): Promise<Revoked> {
  await readCa(dir);
  return withFileLock(caPaths(dir).lock, () => revokeLocked(dir, which, at));
}

async function revokeLocked(dir: string, which: string, at: Date): Promise<Revoked> {
  const { ca, certificate } = await readCa(dir);
  const paths = caPaths(dir);
  const index = await readCaIndex(paths.index);
  const serial = normalizeSerial(which);
  const bySerial = index.certificates.filter((entry) => entry.serial === serial);
  const matches = bySerial.length > 0 ? bySerial : index.certificates.filter((entry) => entry.cn === which);
  if (matches.length === 0) throw new CaError(`Cannot revoke "${which}": no certificate with that CN or serial in ${paths.index} (see: rp-server ca list)`);
  const targets = matches.filter((entry) => entry.revokedAt === undefined);
  if (targets.length === 0) throw new CaError(`Cannot revoke "${which}": already revoked`);
  const revokedAt = at.toISOString();
  const certificates = index.certificates.map((entry) => (targets.includes(entry) ? { ...entry, revokedAt } : entry));
  const crlNumber = index.crlNumber + 1;
  const crlPem = await crlFor(ca, certificate, certificates, crlNumber);
  await writeFilesAtomic([{ path: paths.crl, data: crlPem, mode: 0o644 }]);
  await writeCaIndex(paths.index, { ...index, crlNumber, certificates });
  return { revoked: targets.map((entry) => ({ ...entry, revokedAt })), crlPem, crlPath: paths.crl, ca: certificate };
}

/** The CA certificate and everything it issued, in issue order. */
export async function listCa(dir: string): Promise<{ certificate: CertificateInfo; records: readonly IssuedRecord[] }> {
  const { certificate } = await readCa(dir);
  return { certificate, records: (await readCaIndex(caPaths(dir).index)).certificates };
}

/** The CRL of every revoked record, valid until the CA itself expires (a lapsed CRL would make TLS refuse every client). */
function crlFor(ca: PemIdentity, certificate: CertificateInfo, records: readonly IssuedRecord[], crlNumber: number): Promise<string> {
  const revoked = records.flatMap((entry) =>
    entry.revokedAt === undefined ? [] : [{ serialHex: entry.serial, revokedAt: new Date(entry.revokedAt) }],
  );
  return signCrl({ ca, revoked, crlNumber, nextUpdate: certificate.notAfter });
}

function recordOf(certificate: CertificateInfo, kind: IssuedKind): IssuedRecord {
  const labels = Object.keys(certificate.labels).length > 0 ? { labels: certificate.labels } : {};
  return {
    ...labels,
    serial: certificate.serialHex,
    cn: certificate.subjectCn ?? "",
    kind,
    sans: [...certificate.dnsNames.map((name) => `DNS:${name}`), ...certificate.ipAddresses.map((ip) => `IP:${ip}`)],
    notBefore: certificate.notBefore.toISOString(),
    notAfter: certificate.notAfter.toISOString(),
    fingerprint: certificate.fingerprintSha256,
  };
}

/** The CN names the identity's files: letters, digits, ".", "_", "-", "@", starting with a letter or digit; not "ca". */
function checkFileName(cn: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/.test(cn) || cn === "ca") {
    throw new CaError(
      `Cannot issue a certificate for CN "${cn}": the CN names its files, so it must be 1-128 letters, digits, ".", "_", "-" or "@", ` +
        `start with a letter or digit, and not be "ca"`,
    );
  }
}
