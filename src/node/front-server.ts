/** Starts a node's HTTP front on its configured address (TCP or unix socket). */
import type { CommonConfig, Role } from "../config/index.ts";
import { createFront } from "../http/index.ts";
import type { Logger } from "../log/index.ts";
import type { Pipe } from "../pipe/index.ts";
import type { HttpServer, Runtime } from "../runtime/index.ts";

/** Builds the front for `role` and serves it. */
export function startFront(
  config: CommonConfig,
  role: Role,
  acquire: (peer: string | undefined, signal: AbortSignal) => Promise<Pipe>,
  runtime: Runtime,
  log: Logger,
): HttpServer {
  const app = createFront({
    role,
    acquire,
    maxBodyBytes: config.maxBodyBytes,
    requestTimeoutMs: config.requestTimeoutMs,
    token: config.httpToken,
    log,
  });
  return runtime.serveHttp({
    listen: config.http,
    fetch: app.fetch,
    idleTimeoutS: config.httpIdleTimeoutMs / 1000,
  });
}
