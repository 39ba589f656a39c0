/** The identity directory: `<dir>/<role>.key.pem`, `<role>.crt.pem`, `<role>.ca.pem`, for role "server" or "client". */
import { ensureDir, joinPath, readText, writeFilesAtomic } from "../platform/index.ts";
import { IdentityError } from "./errors.ts";
import { checkIdentity, type Identity } from "./identity.ts";

/** Which end of the pipe an identity is for. */
export type Role = "server" | "client";

/** Where the three PEM files of an identity live. */
export interface IdentityPaths {
  readonly key: string;
  readonly cert: string;
  readonly ca: string;
}

/** The file paths of `role`'s identity in `dir`. */
export function identityPaths(dir: string, role: Role): IdentityPaths {
  const path = (kind: string) => joinPath(dir, `${role}.${kind}.pem`);
  return { key: path("key"), cert: path("crt"), ca: path("ca") };
}

/** Reads the three PEM files, checking nothing else; IdentityError "Cannot read the certificate: /p: no such file". */
export async function readIdentityFiles(paths: IdentityPaths, passphrase?: string): Promise<Identity> {
  const read = async (part: "key" | "certificate" | "ca", what: string, path: string) => {
    try {
      return await readText(path);
    } catch (cause) {
      throw new IdentityError(part, `Cannot read ${what}: ${messageOf(cause)}`, { cause });
    }
  };
  const keyPem = await read("key", "the private key", paths.key);
  const certPem = await read("certificate", "the certificate", paths.cert);
  const caPem = await read("ca", "the CA certificate", paths.ca);
  return passphrase === undefined ? { keyPem, certPem, caPem } : { keyPem, certPem, caPem, passphrase };
}

/**
 * Checks `identity` (checkIdentity) and only then writes it to `dir`, creating the directory (0700) if needed. Each
 * file goes to a temp file in `dir` that is renamed over the old one: the key 0600, the certificates 0644. On any
 * error the stored identity is left as it was.
 */
export async function storeIdentity(dir: string, role: Role, identity: Identity): Promise<IdentityPaths> {
  await checkIdentity(identity);
  const paths = identityPaths(dir, role);
  try {
    await ensureDir(dir, 0o700);
    await writeFilesAtomic([
      { path: paths.key, data: identity.keyPem, mode: 0o600 },
      { path: paths.cert, data: identity.certPem, mode: 0o644 },
      { path: paths.ca, data: identity.caPem, mode: 0o644 },
    ]);
  } catch (cause) {
    throw new IdentityError("files", `Cannot store the identity: ${messageOf(cause)}`, { cause });
  }
  return paths;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
