/**
 * The built-in CA's record of what it issued and revoked: `index.json` in the
 * CA directory. Plain JSON so that an operator can read it; the CRL is built
 * from it.
 */
import { FileError, readText, writeFileAtomic } from "../platform/index.ts";
import { CaError } from "./errors.ts";

/** What a certificate issued by the built-in CA is for. */
export type IssuedKind = "client" | "server";

/** One certificate the CA issued. Dates are ISO 8601 strings. */
export interface IssuedRecord {
  /** Lower-case hex without leading zeros, as CertificateInfo.serialHex. */
  readonly serial: string;
  readonly cn: string;
  readonly kind: IssuedKind;
  /** Subject alternative names as "DNS:name" or "IP:address". */
  readonly sans: readonly string[];
  readonly notBefore: string;
  readonly notAfter: string;
  /** SHA-256 of the certificate, "AB:CD:...". */
  readonly fingerprint: string;
  /** Set once the certificate is revoked. */
  readonly revokedAt?: string;
}

/** The whole index. */
export interface CaIndex {
  readonly version: 1;
  /** Number of the last CRL signed (0 before the first). */
  readonly crlNumber: number;
  readonly certificates: readonly IssuedRecord[];
}

/** An index with nothing in it. */
export const EMPTY_INDEX: CaIndex = Object.freeze({ version: 1, crlNumber: 0, certificates: [] });

/** Reads the index; a missing file is an empty index (a CA made elsewhere that has issued nothing here yet). */
export async function readCaIndex(path: string): Promise<CaIndex> {
  let text: string;
  try {
    text = await readText(path);
  } catch (error) {
    if (error instanceof FileError && error.reason === "no such file") return EMPTY_INDEX;
    throw new CaError(`Cannot read the CA index: ${(error as Error).message}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new CaError(`Cannot read the CA index: ${path}: not JSON (${(cause as Error).message})`, { cause });
  }
  if (!isIndex(parsed)) throw new CaError(`Cannot read the CA index: ${path}: not a version 1 RestPipe CA index`);
  return parsed;
}

/** Writes the index atomically (0644: it holds no secret). */
export async function writeCaIndex(path: string, index: CaIndex): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(index, null, 2)}\n`, 0o644);
}

/** Normalises a serial as typed by a user ("00:AB:cd", "0xABCD") to the index's form, or undefined if it is not hex. */
export function normalizeSerial(text: string): string | undefined {
  const digits = text.trim().replace(/^0x/i, "").replaceAll(":", "").toLowerCase();
  if (!/^[0-9a-f]+$/.test(digits)) return undefined;
  const significant = digits.replace(/^0+/, "");
  if (significant === "") return "0";
  return significant.length % 2 === 1 ? `0${significant}` : significant; // whole bytes, as serialHex prints them
}

function isIndex(value: unknown): value is CaIndex {
  if (typeof value !== "object" || value === null) return false;
  const index = value as Record<string, unknown>;
  return index["version"] === 1 && typeof index["crlNumber"] === "number" && Array.isArray(index["certificates"]);
}
