/** Runtime errors, translated at the adapter boundary: nothing above runtime/ inspects a Bun or Deno error. */

/** A connection could not be made or was lost at the socket or TLS level. */
export class TransportError extends Error {
  override name = "TransportError";
}

/** The TLS configuration (key, certificate, CA) was refused by the runtime. */
export class TlsConfigError extends Error {
  override name = "TlsConfigError";
}

/** Describes an unknown thrown value in one line. */
export function describe(error: unknown): string {
  if (error instanceof Error) return "code" in error && error.code ? `${error.message} (${String(error.code)})` : error.message;
  return String(error);
}
