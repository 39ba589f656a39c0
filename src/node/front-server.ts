/** Starts a node's HTTP front on its configured address (TCP or unix socket). */
import type { CommonConfig, Role } from "../config/index.ts";
import { anyHost, createFrontFetch, ShuttingDownError, type FrontOptions } from "../http/index.ts";
import type { Logger } from "../log/index.ts";
import type { RequestTarget } from "../pipe/index.ts";
import { ListenError, type HttpServer, type Runtime } from "../runtime/index.ts";

/** A running front that can be told to refuse new requests while the node drains. */
export interface Front {
  readonly server: HttpServer;
  /** From now on new requests get 503 "shutting down"; requests in flight finish. */
  refuseNew(): void;
}

/** Builds the front for `role` (with the node's own routes and metrics callback in `extras`) and serves it. */
export function startFront(
  config: CommonConfig,
  role: Role,
  acquire: (peer: string | undefined, signal: AbortSignal) => Promise<RequestTarget>,
  runtime: Runtime,
  log: Logger,
  extras: Pick<FrontOptions, "routes" | "onSent" | "onAnswered" | "fanout"> = {},
): Front {
  let refusing = false;
  const guarded = (peer: string | undefined, signal: AbortSignal) =>
    refusing ? Promise.reject(new ShuttingDownError(`rp-${role}`)) : acquire(peer, signal);
  const fanout = extras.fanout;
  let server: HttpServer | undefined;
  const fetch = createFrontFetch({
    role,
    acquire: guarded,
    holdOpen: (request) => server?.holdOpen(request) ?? noRelease,
    lendBodies: runtime.httpLendsBodies === true,
    maxBodyBytes: config.maxBodyBytes,
    maxStreamBytes: config.maxStreamBytes,
    requestTimeoutMs: config.requestTimeoutMs,
    token: config.httpToken,
    log,
    ...extras,
    ...(fanout ? { fanout: (request: Request) => (refusing ? Promise.reject(new ShuttingDownError(`rp-${role}`)) : fanout(request)) } : {}),
  });
  server = withListenFix(
    () => runtime.serveHttp({ listen: config.http, fetch: anyHost(fetch), idleTimeoutS: config.httpIdleTimeoutMs / 1000, socketMode: config.httpSocketMode }),
    `stop it, or set RP_${role.toUpperCase()}_HTTP_BIND (--http) to another address`,
  );
  return {
    server,
    refuseNew() {
      refusing = true;
    },
  };
}

function noRelease(): void {}

/** How long stopping the front waits for responses still being written before cutting connections. */
const FRONT_STOP_GRACE_MS = 2_000;

/** Stops the front: waits briefly for responses still being written, then closes every connection. */
export async function stopFront(front: Front): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([front.server.stop(false), new Promise((resolve) => (timer = setTimeout(resolve, FRONT_STOP_GRACE_MS)))]);
  clearTimeout(timer);
  await front.server.stop(true);
}

/** Runs `listen`; a refusal because another process has the address gets `fix` appended (which setting moves it). */
export function withListenFix<T>(listen: () => T, fix: string): T {
  try {
    return listen();
  } catch (error) {
    if (error instanceof ListenError && error.refusal === "in-use") throw new ListenError(`${error.message}; ${fix}`, error.refusal, { cause: error.cause });
    throw error;
  }
}
