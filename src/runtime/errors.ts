/** Runtime errors, translated at the adapter boundary: nothing above runtime/ inspects a Bun or Deno error. */

/** A connection could not be made or was lost at the socket or TLS level. */
export class TransportError extends Error {
  override name = "TransportError";
  /**
   * True when a dial failed between us and the HTTP proxy (unreachable, closed or silent before it answered CONNECT):
   * the server was never reached, so the client retries at the proxy's pace, not the server's backoff.
   */
  readonly proxyDown: boolean;

  constructor(message: string, options?: ErrorOptions & { readonly proxyDown?: boolean }) {
    super(message, options);
    this.proxyDown = options?.proxyDown ?? false;
  }
}

/** The TLS configuration (key, certificate, CA) was refused by the runtime. */
export class TlsConfigError extends Error {
  override name = "TlsConfigError";
}

/** Why an address could not be listened on: another process has it, or something else is in the way. */
export type ListenRefusal = "in-use" | "in-the-way" | "other";

/** A listening address was refused (in use by another process, a file in the way); the message names the address. */
export class ListenError extends Error {
  override name = "ListenError";
  constructor(message: string, readonly refusal: ListenRefusal, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The refusal when another process listens on `where` ("127.0.0.1:8080", "unix:/path"). */
export function inUseMessage(where: string): string {
  return `Cannot listen on ${where}: in use by another process`;
}

/** Whether a thrown runtime error says the address is in use. */
export function isAddressInUse(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && (error as { code: unknown }).code === "EADDRINUSE";
}

/** Describes an unknown thrown value in one line. */
export function describe(error: unknown): string {
  if (error instanceof Error) return "code" in error && error.code ? `${error.message} (${String(error.code)})` : error.message;
  return String(error);
}
