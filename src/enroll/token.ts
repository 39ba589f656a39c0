/**
 * One-time enrollment tokens: `rp1.<base64url JSON>` carrying the CN it
 * enrolls, its id, its secret and the SHA-256 fingerprint of the CA the
 * client must find at the other end (so the secret goes only to a server
 * that holds a certificate from that CA). The CA keeps only the secret's hash.
 */

/** What a token carries. */
export interface EnrollToken {
  readonly cn: string;
  /** Names the token in the CA's tokens.json. */
  readonly id: string;
  /** 32 random bytes, hex: proves the token. */
  readonly secret: string;
  /** The CA certificate's SHA-256, lower-case hex without colons. */
  readonly caFingerprint: string;
}

/** A token that cannot be read. */
export class TokenError extends Error {
  override name = "TokenError";
}

const PREFIX = "rp1.";

/** The text form of a token. */
export function formatToken(token: EnrollToken): string {
  const json = JSON.stringify({ cn: token.cn, id: token.id, s: token.secret, fp: token.caFingerprint });
  return PREFIX + btoa(json).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Reads a token; TokenError saying what is wrong with it. */
export function parseToken(text: string): EnrollToken {
  const trimmed = text.trim();
  if (!trimmed.startsWith(PREFIX)) throw new TokenError(`Cannot read the token: it does not start with "${PREFIX}"; copy all of what rp-server ca token printed`);
  let fields: Record<string, unknown>;
  try {
    const base64 = trimmed.slice(PREFIX.length).replaceAll("-", "+").replaceAll("_", "/");
    fields = JSON.parse(atob(base64)) as Record<string, unknown>;
  } catch (cause) {
    throw new TokenError("Cannot read the token: it is damaged (not base64url JSON); copy all of what rp-server ca token printed", { cause });
  }
  const { cn, id, s, fp } = fields;
  const hex = (value: unknown, length: number) => typeof value === "string" && new RegExp(`^[0-9a-f]{${length}}$`).test(value);
  if (typeof cn !== "string" || cn === "" || !hex(id, 32) || !hex(s, 64) || !hex(fp, 64)) {
    throw new TokenError("Cannot read the token: a field is missing or malformed; copy all of what rp-server ca token printed");
  }
  return { cn, id: id as string, secret: s as string, caFingerprint: fp as string };
}

/** `AB:CD:...` or `abcd...` → `abcd...`. */
export function normalizeFingerprint(text: string): string {
  return text.replaceAll(":", "").toLowerCase();
}

/** `--ttl`: `90s`, `30m`, `1h`, `7d` → milliseconds (1 s to 30 days); RangeError otherwise. */
export function parseTtl(text: string): number {
  const match = /^(\d+)([smhd])$/.exec(text);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
  const ms = match ? Number(match[1]) * unit[match[2] as keyof typeof unit] : NaN;
  if (!(ms >= 1_000 && ms <= 30 * 86_400_000)) throw new RangeError(`--ttl="${text}": must be a number with s, m, h or d (e.g. 1h), from 1s to 30d`);
  return ms;
}
