/**
 * A node's identity as read from its identity directory: the key,
 * certificate and CA files (store.ts layout), and for the server the
 * revocation list `server.crl.pem` when there is one.
 */
import {
  checkIdentity,
  IdentityError,
  identityPaths,
  parseCertificatesPem,
  readCrl,
  readIdentityFiles,
  RevocationListError,
  type CertificateInfo,
  type CrlInfo,
  type IdentityPart,
  type Role,
} from "../pki/index.ts";
import { FileError, joinPath, readText } from "../platform/index.ts";
import type { TlsIdentity } from "../runtime/index.ts";

/** An identity that was read, checked and is ready for TLS. */
export interface LoadedIdentity {
  /** What TLS uses. `crlPem` is left out when the CRL has lapsed: TLS would then refuse every client. */
  readonly identity: TlsIdentity;
  readonly certificate: CertificateInfo;
  readonly ca: readonly CertificateInfo[];
  /** The server's revocation list, if it has one. */
  readonly crl: CrlInfo | undefined;
  /** The revocation list as read, even when lapsed (then TLS does not get it). */
  readonly crlPem: string | undefined;
  /** Serials of revoked client certificates (empty without a CRL). */
  readonly revoked: ReadonlySet<string>;
  /** A problem the peer will judge (chain, validity, CN); the identity is still usable for TLS. */
  readonly problem: IdentityError | undefined;
}

/** Problems the peer will judge (it may accept a renewed CA, or refuse): not fatal to loading. */
const PEER_JUDGED: ReadonlySet<IdentityPart> = new Set(["chain", "ca-validity", "cn"]);

/** Where the server reads its revocation list: `<dir>/server.crl.pem`. */
export function crlPath(dir: string): string {
  return joinPath(dir, "server.crl.pem");
}

/** The files whose change means the identity must be read again. */
export function identityFiles(dir: string, role: Role): string[] {
  const paths = identityPaths(dir, role);
  return role === "server" ? [paths.key, paths.cert, paths.ca, crlPath(dir)] : [paths.key, paths.cert, paths.ca];
}

/**
 * Reads and checks `role`'s identity in `dir`. Unreadable files, a key that
 * does not match its certificate, or a CRL that is not the CA's throw; a
 * certificate that does not chain or is outside its validity is reported in
 * `problem`, since the peer decides.
 */
export async function loadNodeIdentity(dir: string, role: Role, passphrase: string | undefined, at: Date = new Date()): Promise<LoadedIdentity> {
  const files = await readIdentityFiles(identityPaths(dir, role), passphrase);
  let problem: IdentityError | undefined;
  try {
    await checkIdentity(files, at);
  } catch (error) {
    if (!(error instanceof IdentityError && PEER_JUDGED.has(error.part))) throw error;
    problem = error;
  }
  const [certificate] = await parseCertificatesPem(files.certPem);
  const ca = await parseCertificatesPem(files.caPem);
  const crlPem = role === "server" ? await readOptional(crlPath(dir)) : undefined;
  const crl = crlPem === undefined ? undefined : await readServerCrl(crlPem, ca, crlPath(dir));
  const current = crl !== undefined && (crl.nextUpdate === undefined || crl.nextUpdate.getTime() > at.getTime());
  return {
    identity: current ? { ...files, crlPem: crlPem! } : files,
    certificate: certificate!,
    ca,
    crl,
    crlPem,
    revoked: crl?.serials ?? new Set(),
    problem,
  };
}

/** Whether two loads hold the same files (nothing to reload). */
export function sameIdentity(a: LoadedIdentity, b: LoadedIdentity): boolean {
  const keys = ["keyPem", "certPem", "caPem", "passphrase", "crlPem"] as const;
  return keys.every((key) => a.identity[key] === b.identity[key]) && a.crlPem === b.crlPem;
}

async function readServerCrl(pem: string, ca: readonly CertificateInfo[], path: string): Promise<CrlInfo> {
  try {
    return await readCrl(pem, ca);
  } catch (cause) {
    const reason = (cause as Error).message.replace(/^Cannot [^:]+: /, "");
    throw new RevocationListError(`Cannot use the revocation list ${path}: ${reason}`, { cause });
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readText(path);
  } catch (error) {
    if (error instanceof FileError && error.reason === "no such file") return undefined;
    throw error;
  }
}
