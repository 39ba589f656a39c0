/**
 * The CA's record of enrollment tokens: `tokens.json` in the CA directory
 * (0600), holding each token's CN, the SHA-256 of its secret, its expiry
 * and when it was used. Read and rewritten under `tokens.lock`.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { FileError, joinPath, readText, withFileLock, writeFileAtomic } from "../platform/index.ts";

/** One token as the CA keeps it. */
export interface TokenRecord {
  readonly id: string;
  readonly cn: string;
  readonly secretSha256: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly usedAt?: string;
}

interface TokenFile {
  readonly version: 1;
  readonly tokens: readonly TokenRecord[];
}

/** The SHA-256 of a token secret, hex. */
export function secretHash(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Whether `secret` hashes to `record`'s hash (compared in constant time). */
export function secretMatches(record: TokenRecord, secret: string): boolean {
  const given = Buffer.from(secretHash(secret), "hex");
  const kept = Buffer.from(record.secretSha256, "hex");
  return given.length === kept.length && timingSafeEqual(given, kept);
}

function paths(caDir: string): { file: string; lock: string } {
  return { file: joinPath(caDir, "tokens.json"), lock: joinPath(caDir, "tokens.lock") };
}

async function read(file: string): Promise<TokenFile> {
  try {
    const parsed = JSON.parse(await readText(file)) as TokenFile;
    if (parsed.version !== 1 || !Array.isArray(parsed.tokens)) throw new Error(`${file}: not a version 1 token file`);
    return parsed;
  } catch (error) {
    if (error instanceof FileError && error.reason === "no such file") return { version: 1, tokens: [] };
    throw new Error(`Cannot read the enrollment tokens: ${(error as Error).message}`, { cause: error });
  }
}

/** Runs `change` on the token list under the lock; writes what it returns (when it returns a list). */
export function updateTokens<T>(caDir: string, change: (tokens: readonly TokenRecord[]) => Promise<{ tokens?: readonly TokenRecord[]; result: T }>): Promise<T> {
  const { file, lock } = paths(caDir);
  return withFileLock(lock, async () => {
    const current = await read(file);
    const { tokens, result } = await change(current.tokens);
    if (tokens !== undefined) await writeFileAtomic(file, `${JSON.stringify({ version: 1, tokens }, null, 2)}\n`, 0o600);
    return result;
  });
}
