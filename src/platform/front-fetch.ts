/**
 * A GET to a node's own front, where its configuration says it listens:
 * TCP (a wildcard address is reached on loopback) or a unix socket (Bun's
 * fetch `unix` option). For `rp-server clients` and `rp-client status`.
 */
import { TransportError, describe } from "../runtime/index.ts";
import type { HttpListen } from "../runtime/index.ts";

/** The URL a front listening on `listen` is reached at (for messages, and for TCP requests). */
export function frontUrl(listen: HttpListen, path: string): string {
  if (listen.kind === "unix") return `unix:${listen.path}${path}`;
  const host = listen.host === "0.0.0.0" ? "127.0.0.1" : listen.host === "::" ? "::1" : listen.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${listen.port}${path}`;
}

/** GETs `path` from the front; TransportError "Cannot reach the front at URL: reason" when nothing answers in time. */
export async function fetchFront(listen: HttpListen, path: string, options: { token?: string | undefined; timeoutMs?: number } = {}): Promise<Response> {
  const headers: Record<string, string> = options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };
  const signal = AbortSignal.timeout(options.timeoutMs ?? 5_000);
  const where = frontUrl(listen, path);
  try {
    if (listen.kind === "unix") return await fetch(`http://localhost${path}`, { headers, signal, unix: listen.path } as RequestInit);
    return await fetch(where, { headers, signal });
  } catch (error) {
    throw new TransportError(`Cannot reach the front at ${where}: ${describe(error)}`, { cause: error });
  }
}
