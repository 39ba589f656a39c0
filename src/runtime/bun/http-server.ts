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

/*
 * Bun 1.4.4 and 1.4.5 close a connection when a second request arrives on it
 * (HTTP/1.1 pipelining) while the first one's response is pending, without
 * writing a byte of either; the first request was handed to `fetch` already.
 * Its signal aborts within the same read callback, before any setImmediate
 * callback of that turn of the event loop runs (checked on 1.4.4, also with
 * an immediate queued earlier in the turn by another connection). No handler
 * runs for it all the same: an event crosses the pipe only in the outbox's
 * flush, which runs in a setImmediate (see _transport-base.ts), and a request
 * whose signal aborted by then is settled and its frame dropped unwritten. So
 * the caller may safely retry both requests on new connections
 * (test/e2e/http-edges.test.ts). The gate that made every request wait for
 * one immediate before `fetch` (a promise each, and one more turn of the loop
 * with a zero-timeout epoll_pwait2 per request at low concurrency) is gone.
 */

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
      fetch: options.fetch,
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
