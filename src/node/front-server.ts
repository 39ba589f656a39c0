/** Starts a node's HTTP front on its configured address (TCP or unix socket). */
import type { CommonConfig, Role } from "../config/index.ts";
import { createFront } from "../http/index.ts";
import type { Logger } from "../log/index.ts";
import type { Pipe } from "../pipe/index.ts";
import type { HttpServer, Runtime } from "../runtime/index.ts";

/** Idle keep-alive connections to the front are closed after this many seconds. */
const FRONT_IDLE_TIMEOUT_S = 30;

/** Builds the front for `role` and serves it. */
export function startFront(
  config: CommonConfig,
  role: Role,
  acquire: (peer: string | undefined, signal: AbortSignal) => Promise<Pipe>,
  runtime: Runtime,
  log: Logger,
): HttpServer {
  const app = createFront({ role, acquire, maxBodyBytes: config.maxBodyBytes, requestTimeoutMs: config.requestTimeoutMs, log });
  return runtime.serveHttp({
    listen: config.http,
    fetch: app.fetch,
    // One byte past the limit so that the front, not the server, answers the 413 with its message.
    maxRequestBodySize: config.maxBodyBytes + 1,
    idleTimeoutS: FRONT_IDLE_TIMEOUT_S,
  });
}
