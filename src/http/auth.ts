/**
 * The front's bearer token check (`Authorization: Bearer <token>`). Both
 * sides are hashed first and the digests compared in constant time, so
 * neither the time taken nor an early exit tells how much of a guess was right
 * or how long the token is. Web Crypto only: the same on Bun and Deno.
 */
import { UnauthorizedError } from "./errors.ts";

const encoder = new TextEncoder();

/** Checks a request's bearer token; throws UnauthorizedError. */
export type TokenCheck = (request: Request) => Promise<void>;

/** The check for `token`; with no token configured every request passes. */
export function bearerTokenCheck(token: string | undefined): TokenCheck {
  if (token === undefined) return async () => {};
  const expected = digest(token);
  return async (request) => {
    const presented = /^Bearer +(\S+) *$/i.exec(request.headers.get("authorization") ?? "")?.[1];
    if (presented === undefined) throw new UnauthorizedError("Cannot accept request: it needs an Authorization: Bearer <token> header");
    if (!equalDigests(await expected, await digest(presented))) throw new UnauthorizedError("Cannot accept request: the bearer token is wrong");
  };
}

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** Compares two SHA-256 digests without an early exit. */
function equalDigests(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ (b[i] ?? 0);
  return difference === 0;
}
