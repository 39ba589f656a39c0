/**
 * The benchmark's physical limit: a plain Bun.serve in one process calling
 * the benchmark handlers directly, with no pipe. `GET /time` and
 * `GET /blob/<n>`. Loopback only; prints one JSON line
 * `{"msg":"direct listening","http":...}` on stderr when ready.
 *
 *   bun test/bench/direct-server.ts [port]
 */
import { isReply, reply, type HandlerContext } from "../../src/dispatch/index.ts";
import { generated, get_blob, get_time } from "./handlers.ts";

const NO_BODY = { mimetype: "", data: "", stream: () => new ReadableStream<Uint8Array>({ start: (c) => c.close() }) } as const;
// The handlers here read nothing from the context but `reply`.
const context = { reply } as unknown as HandlerContext;

function answer(value: unknown): Response {
  if (isReply(value)) return new Response(value.data as Uint8Array<ArrayBuffer>, { headers: { "content-type": value.mimetype } });
  return Response.json(value);
}

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.argv[2] ?? 0),
  idleTimeout: 0,
  development: false,
  fetch(request) {
    const path = request.url.slice(request.url.indexOf("/", "http://".length));
    if (path === "/time") return answer(get_time(context, NO_BODY));
    if (path.startsWith("/gen/")) {
      const n = Number(path.slice("/gen/".length));
      return new Response(generated(n), { headers: { "content-type": "application/octet-stream", "content-length": String(n) } });
    }
    if (path.startsWith("/blob/")) {
      try {
        return answer(get_blob(context, NO_BODY, path.slice("/blob/".length)));
      } catch (error) {
        return new Response(String(error), { status: 400 });
      }
    }
    return new Response("not found\n", { status: 404 });
  },
});

console.error(JSON.stringify({ msg: "direct listening", http: `http://127.0.0.1:${server.port}` }));
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    void server.stop(true);
    process.exit(0);
  });
}
