/**
 * The front's HTTP server on Bun.serve (TCP or unix socket).
 *
 * Limits Bun 1.4.4 enforces itself, seen on this version:
 * - headers must be complete within about 10 s of the connection opening
 *   (closed after 10-12 s; not configurable, not reset by trickled header
 *   bytes): the header timeout against slowloris on the front;
 * - `idleTimeout` (whole seconds, at most 255, checked every 4 s or so)
 *   applies once the headers are in: keep-alive and stalled bodies; it works
 *   on unix sockets too, although Bun's types leave it out there; it also
 *   counts while a response is pending, so `holdOpen` lifts it per request
 *   (`server.timeout(request, 0)`, which then stays off for the connection
 *   until it is set again: the release puts the idle timeout back);
 * - a Content-Length above `maxRequestBodySize` is answered with a bare 413
 *   before the app sees the request, so it is set beyond any real length and
 *   the front answers with its own message instead; a body the app does not
 *   read is read and discarded by Bun, or dropped when the response says
 *   `Connection: close`.
 */
import { chmodSync } from "node:fs";
import { formatAddress } from "../_address.ts";
import { ListenError, TlsConfigError, describe, inUseMessage, isAddressInUse } from "../errors.ts";
import { UNIX_SOCKET_MODE, type HttpServeOptions, type HttpServer } from "../http-types.ts";

/** What a request the gate stopped gets: nothing is written, the connection is already closed. */
const ABANDONED_STATUS = 499;

/**
 * Bun 1.4.4 and 1.4.5 close a connection when a second request arrives on it
 * (HTTP/1.1 pipelining) while the first one's response is pending, without
 * writing a byte of either; the first request was handed to `fetch` already.
 * Its signal is aborted by then, one task later: waiting for that task before
 * running anything turns the failure into a clean close before any handler
 * runs, so that the caller may safely retry both requests on new connections.
 * The requests that arrive in one turn of the event loop wait for one task
 * together (one setImmediate per batch, not per request: at 64 connections
 * the profile showed one per request).
 */
function pipeliningGate(fetch: HttpServeOptions["fetch"]): (request: Request) => Promise<Response> {
  let waiting: Array<Gated> = [];
  const release = (): void => {
    const batch = waiting;
    waiting = [];
    for (const { request, resolve, reject } of batch) {
      try {
        resolve(request.signal.aborted ? new Response(null, { status: ABANDONED_STATUS }) : fetch(request));
      } catch (error) {
        reject(error);
      }
    }
  };
  return (request) => {
    const { promise, resolve, reject } = Promise.withResolvers<Response>();
    if (waiting.length === 0) setImmediate(release);
    waiting.push({ request, resolve, reject });
    return promise;
  };
}

/** A request waiting at the pipelining gate. */
interface Gated {
  readonly request: Request;
  readonly resolve: (response: Response | PromiseLike<Response>) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Serves `fetch`; throws ListenError when another process has the address (a stale unix socket must have been
 * cleared first: clearStaleSocket), TlsConfigError with the address for anything else.
 */
export function serveHttp(options: HttpServeOptions): HttpServer {
  const { listen } = options;
  const where = listen.kind === "unix" ? `unix:${listen.path}` : formatAddress(listen.host, listen.port);
  let server;
  try {
    const common = {
      fetch: pipeliningGate(options.fetch),
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      idleTimeout: options.idleTimeoutS,
      development: false,
      // Bun sets SO_REUSEPORT otherwise: a second process on the same address would start and take half the requests.
      reusePort: false,
    };
    server =
      listen.kind === "unix"
        ? // idleTimeout is left out of the unix types but honoured (see above).
          Bun.serve({ ...common, unix: listen.path } as unknown as Bun.Serve.Options<undefined>)
        : Bun.serve({ ...common, hostname: listen.host, port: listen.port });
    if (listen.kind === "unix") chmodSync(listen.path, options.socketMode ?? UNIX_SOCKET_MODE);
  } catch (error) {
    server?.stop(true);
    if (isAddressInUse(error)) throw new ListenError(inUseMessage(where), "in-use", { cause: error });
    throw new TlsConfigError(`Cannot serve HTTP on ${where}: ${describe(error)}`, { cause: error });
  }
  const port = listen.kind === "unix" ? 0 : (server.port ?? 0);
  return {
    url: listen.kind === "unix" ? where : `http://${formatAddress(listen.host, port)}`,
    port,
    stop: (force = false) => server.stop(force),
    holdOpen(request) {
      server.timeout(request, 0);
      return () => server.timeout(request, options.idleTimeoutS);
    },
  };
}
