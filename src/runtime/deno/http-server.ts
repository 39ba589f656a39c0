/**
 * The front's HTTP server on Deno.serve (TCP or unix socket). Deno.serve
 * hands every request to the app whatever its declared length and reads no
 * body the app does not read, as the contract asks. It has no idle-timeout
 * setting, though: `idleTimeoutS` is not applied on Deno, and idle or stalled
 * connections are left to Deno's own limits.
 */
import { chmodSync } from "node:fs";
import { formatAddress } from "../_address.ts";
import { ListenError, TlsConfigError, describe, inUseMessage, isAddressInUse } from "../errors.ts";
import { UNIX_SOCKET_MODE, type HttpServeOptions, type HttpServer } from "../http-types.ts";
import { denoApi, type DenoHttpServer } from "./deno-api.ts";

/** Serves `fetch`; throws ListenError when another process has the address (Deno sets no SO_REUSEPORT), TlsConfigError otherwise. */
export function serveHttp(options: HttpServeOptions): HttpServer {
  const { listen } = options;
  const where = listen.kind === "unix" ? `unix:${listen.path}` : formatAddress(listen.host, listen.port);
  const onListen = () => {}; // the default prints "Listening on ..." to standard output
  const handler = (request: Request) => options.fetch(parsedUrl(request)); // (Deno's second argument is not for Elysia)
  let server: DenoHttpServer | undefined;
  try {
    server = denoApi().serve(listen.kind === "unix" ? { path: listen.path, onListen } : { hostname: listen.host, port: listen.port, onListen }, handler);
    if (listen.kind === "unix") chmodSync(listen.path, options.socketMode ?? UNIX_SOCKET_MODE);
  } catch (error) {
    void server?.shutdown();
    if (isAddressInUse(error)) throw new ListenError(inUseMessage(where), "in-use", { cause: error });
    throw new TlsConfigError(`Cannot serve HTTP on ${where}: ${describe(error)}`, { cause: error });
  }
  const port = server.addr.port ?? 0;
  let shutdown: Promise<void> | undefined;
  return {
    url: listen.kind === "unix" ? where : `http://${formatAddress(listen.host, port)}`,
    port,
    stop(force = false) {
      shutdown ??= server.shutdown();
      // Deno cannot cut open connections; a forced stop just does not wait for them.
      return force ? Promise.resolve() : shutdown;
    },
    // No idle timeout to lift: Deno.serve does not close a connection whose response is pending.
    holdOpen: () => release,
  };
}

function release(): void {}

/**
 * Deno hands over the request target as sent; Bun parses it as a WHATWG URL
 * first (as browsers and curl do), which resolves `.` and `..` segments, also
 * percent-encoded ones. Parsing it the same way here makes both runtimes
 * route every path alike.
 */
function parsedUrl(request: Request): Request {
  const url = new URL(request.url).href;
  return url === request.url ? request : new Request(url, request);
}
