/**
 * The handler the file-share benchmark compares the built-in share with: a
 * user handler returning `Bun.file(path)` for a name in BENCH_SHARE_DIR.
 */
import { join } from "node:path";
import type { HandlerContext, RequestBody } from "../../src/dispatch/index.ts";

const DIR = process.env["BENCH_SHARE_DIR"] ?? "/nonexistent";

/** `GET bunfile//<name>`: the file, streamed by the pipe with its size as Content-Length. */
export function get_bunfile(ctx: HandlerContext, _body: RequestBody, name: string) {
  if (name.includes("/") || name.startsWith(".")) return ctx.reply("application/json", 4, { error: "bad name" });
  return ctx.reply("application/octet-stream", 0, Bun.file(join(DIR, name)));
}

/** `GET time`: the pipe is up. */
export function get_time() {
  return { time: Date.now() / 1000 };
}
