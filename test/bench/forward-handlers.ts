/**
 * Handlers that forward to the peers harness's origin.ts on 127.0.0.1:$ORIGIN_PORT,
 * as a tunnel does: `GET time` → origin's /time, `GET blob//<n>` → origin's /blob/<n>.
 * For comparing RestPipe with ssh -R and nginx on the same origin.
 */
import type { HandlerContext, RequestBody } from "../../src/dispatch/index.ts";

const origin = `http://127.0.0.1:${Number(process.env["ORIGIN_PORT"] ?? 7000)}`;

async function forward(ctx: HandlerContext, path: string) {
  const response = await fetch(`${origin}${path}`, { signal: ctx.signal });
  const data = new Uint8Array(await response.arrayBuffer());
  return ctx.reply(response.headers.get("content-type") ?? "application/octet-stream", response.ok ? 0 : 1, data);
}

/** `GET /client/<cn>/time` → the origin's `/time`. */
export function get_time(ctx: HandlerContext, _body: RequestBody) {
  return forward(ctx, "/time");
}

/** `GET /client/<cn>/blob//<n>` → the origin's `/blob/<n>`. */
export function get_blob(ctx: HandlerContext, _body: RequestBody, size = "0") {
  return forward(ctx, `/blob/${encodeURIComponent(size)}`);
}
