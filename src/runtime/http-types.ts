/** Runtime-neutral shape of the local HTTP server each runtime adapter implements. */

/** Where the front listens. */
export type HttpListen =
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "unix"; readonly path: string };

/** Options of the front's HTTP server. */
export interface HttpServeOptions {
  readonly listen: HttpListen;
  readonly fetch: (request: Request) => Response | Promise<Response>;
  /** Bodies above this are refused by the server itself (a backstop; the front checks first). */
  readonly maxRequestBodySize: number;
  /** Idle keep-alive connections are closed after this many seconds. */
  readonly idleTimeoutS: number;
}

/** A running HTTP server. */
export interface HttpServer {
  /** "http://127.0.0.1:8080" or "unix:/path". */
  readonly url: string;
  /** The bound TCP port (0 for unix sockets). */
  readonly port: number;
  /** Stops listening; `force` also cuts open connections. */
  stop(force?: boolean): Promise<void>;
}
