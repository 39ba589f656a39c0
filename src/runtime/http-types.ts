/** Runtime-neutral shape of the local HTTP server each runtime adapter implements. */

/** Where the front listens. */
export type HttpListen =
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "unix"; readonly path: string };

/**
 * Options of the front's HTTP server. The server must hand every request to
 * `fetch` whatever its declared body size (the front answers 413 itself, with
 * its message), and must not read a body the app does not read.
 */
export interface HttpServeOptions {
  readonly listen: HttpListen;
  readonly fetch: (request: Request) => Response | Promise<Response>;
  /** A connection idle this many whole seconds (keep-alive, or a stalled body) is closed. */
  readonly idleTimeoutS: number;
  /** Mode of a unix socket (default UNIX_SOCKET_MODE). */
  readonly socketMode?: number;
}

/** Default mode of the front's unix socket: only the owner may connect (connecting needs write permission). */
export const UNIX_SOCKET_MODE = 0o600;

/** A running HTTP server. */
export interface HttpServer {
  /** "http://127.0.0.1:8080" or "unix:/path". */
  readonly url: string;
  /** The bound TCP port (0 for unix sockets). */
  readonly port: number;
  /** Stops listening; `force` also cuts open connections. */
  stop(force?: boolean): Promise<void>;
  /**
   * Exempts the connection of `request` (a request in flight: its body read,
   * its reply pending) from the idle timeout until the returned function is
   * called: only the request's own deadline may end it. Call the function
   * before returning the response, so that keep-alive idling counts again.
   */
  holdOpen(request: Request): () => void;
}
