/** The front's HTTP server on Bun.serve (TCP or unix socket). */
import { unlinkSync, statSync } from "node:fs";
import { TlsConfigError, describe } from "../errors.ts";
import type { HttpServeOptions, HttpServer } from "../http-types.ts";
import { formatAddress } from "./tls-server.ts";

/** Serves `fetch`; throws TlsConfigError-like errors with the address when it cannot listen. */
export function serveHttp(options: HttpServeOptions): HttpServer {
  const { listen } = options;
  const where = listen.kind === "unix" ? `unix:${listen.path}` : formatAddress(listen.host, listen.port);
  if (listen.kind === "unix") removeStaleSocket(listen.path);
  let server;
  try {
    const common = { fetch: options.fetch, maxRequestBodySize: options.maxRequestBodySize, development: false };
    // Bun has no idle timeout for unix sockets (its types forbid one there).
    server =
      listen.kind === "unix"
        ? Bun.serve({ ...common, unix: listen.path })
        : Bun.serve({ ...common, hostname: listen.host, port: listen.port, idleTimeout: options.idleTimeoutS });
  } catch (error) {
    throw new TlsConfigError(`Cannot serve HTTP on ${where}: ${describe(error)}`, { cause: error });
  }
  const port = listen.kind === "unix" ? 0 : (server.port ?? 0);
  return {
    url: listen.kind === "unix" ? where : `http://${formatAddress(listen.host, port)}`,
    port,
    stop: (force = false) => server.stop(force),
  };
}

/** A socket file left by a previous run would make listening fail; a regular file is never removed. */
function removeStaleSocket(path: string): void {
  try {
    if (statSync(path).isSocket()) unlinkSync(path);
  } catch {
    // absent: nothing to remove
  }
}
