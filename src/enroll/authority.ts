/** The CA side of online enrollment: making tokens, and redeeming one (once, before it expires) for a signed CSR. */
import { randomBytes } from "node:crypto";
import { caPaths, CaError, parseCertificatesPem, readCa, readCsr, signCsrInCa, type IssuedRecord } from "../pki/index.ts";
import { readText } from "../platform/index.ts";
import { secretHash, secretMatches, updateTokens, type TokenRecord } from "./_store.ts";
import { formatToken, normalizeFingerprint } from "./token.ts";

/** A refused enrollment: the HTTP status and the message for the client. */
export class EnrollError extends Error {
  override name = "EnrollError";
  constructor(
    readonly status: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A token just made: its text (shown once, never stored) and its record. */
export interface MadeToken {
  readonly token: string;
  readonly record: TokenRecord;
  readonly caFingerprint: string;
}

/** Makes a one-time token for `cn`, valid `ttlMs` from `now`. */
export async function createToken(caDir: string, cn: string, ttlMs: number, now: Date = new Date()): Promise<MadeToken> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/.test(cn) || cn === "ca") {
    throw new CaError(`Cannot make a token for CN "${cn}": the CN must be 1-128 letters, digits, ".", "_", "-" or "@", starting with a letter or digit, and not "ca"`);
  }
  const { certificate } = await readCa(caDir);
  const caFingerprint = normalizeFingerprint(certificate.fingerprintSha256);
  const id = randomBytes(16).toString("hex");
  const secret = randomBytes(32).toString("hex");
  const record: TokenRecord = {
    id,
    cn,
    secretSha256: secretHash(secret),
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
  };
  await updateTokens(caDir, async (tokens) => ({ tokens: [...tokens.filter((t) => Date.parse(t.expiresAt) > now.getTime() - 86_400_000), record], result: undefined }));
  return { token: formatToken({ cn, id, secret, caFingerprint }), record, caFingerprint };
}

/** What a redeemed token gives: the certificate and the CA certificate. */
export interface Redeemed {
  readonly certPem: string;
  readonly caPem: string;
  readonly record: IssuedRecord;
}

/**
 * Redeems token `id` with `secret` for `csrPem`: the token must exist, match
 * the secret, be unused and unexpired, and the CSR must ask for the token's
 * CN. Signing and marking the token used happen under one lock: it works once.
 */
export async function redeemToken(
  caDir: string,
  request: { readonly id: string; readonly secret: string; readonly csrPem: string },
  options: { readonly validityDays: number; readonly reservedCns: readonly string[]; readonly now?: () => Date },
): Promise<Redeemed> {
  const csr = await readCsr(request.csrPem).catch((error: unknown) => {
    throw new EnrollError(400, (error as Error).message, { cause: error });
  });
  return updateTokens(caDir, async (tokens) => {
    const now = (options.now ?? (() => new Date()))();
    const record = tokens.find((token) => token.id === request.id);
    if (record === undefined || !secretMatches(record, request.secret)) {
      throw new EnrollError(403, "Cannot enroll: the CA knows no such token (mistyped, or made by another CA); ask for a new one: rp-server ca token --cn NAME");
    }
    if (record.usedAt !== undefined) throw new EnrollError(410, `Cannot enroll: the token was used already (at ${record.usedAt}); a token works once: ask for a new one`);
    if (Date.parse(record.expiresAt) <= now.getTime()) throw new EnrollError(410, `Cannot enroll: the token expired at ${record.expiresAt}; ask for a new one (--ttl sets how long it lasts)`);
    if (csr.cn !== record.cn) throw new EnrollError(400, `Cannot enroll: the request asks for CN "${csr.cn}", the token is for "${record.cn}"`);
    let signed;
    try {
      signed = await signCsrInCa(caDir, request.csrPem, { validityDays: options.validityDays, reservedCns: options.reservedCns });
    } catch (error) {
      if (error instanceof CaError) throw new EnrollError(400, error.message, { cause: error });
      throw error;
    }
    const used = { ...record, usedAt: now.toISOString() };
    return { tokens: tokens.map((token) => (token === record ? used : token)), result: { certPem: signed.certPem, caPem: signed.caPem, record: signed.record } };
  });
}

/** The CA certificate PEM in `caDir` (served to enrolling clients: it is public) and its fingerprint. */
export async function caCertificateOf(caDir: string): Promise<{ pem: string; fingerprint: string }> {
  const pem = await readText(caPaths(caDir).cert);
  const [certificate] = await parseCertificatesPem(pem);
  return { pem, fingerprint: normalizeFingerprint(certificate!.fingerprintSha256) };
}
