/**
 * Elysia's fast path finds the path with `url.indexOf("/", 11)`, i.e. it
 * assumes a host of 4 characters or more: with `Host: x` (curl
 * --unix-socket S http://x/healthz) every route answered 404. A request whose
 * path starts before index 11 is handed on with the host "localhost"; the
 * path, the query, the headers (Host included) and the body are the caller's.
 */

/** Elysia reads the path from this index of the URL on. */
const ELYSIA_PATH_FROM = 11;

/** `request`, or a copy with a host Elysia can route when its own is 1-3 characters long. */
export function routableRequest(request: Request): Request {
  const url = request.url;
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  if (pathStart === -1 || pathStart >= ELYSIA_PATH_FROM) return request;
  return new Request(`http://localhost${url.slice(pathStart)}`, request);
}

/** Wraps a fetch handler so that any Host routes (see routableRequest). */
export function anyHost(fetch: (request: Request) => Response | Promise<Response>): (request: Request) => Response | Promise<Response> {
  return (request) => fetch(routableRequest(request));
}
