/** The files `handler init` writes: a typed handlers.ts, restpipe.d.ts (generated at build time), a tsconfig.json. */
import type { Role } from "../config/index.ts";

// Put in by `bun build --define` (build/_handler-api.ts): the handler API's declarations, generated from src/.
declare const RESTPIPE_HANDLER_API: string | undefined;

/** restpipe.d.ts: from the build; run from source, a re-export of the source's types. */
export function handlerApiText(sourceRoot: string): string {
  if (typeof RESTPIPE_HANDLER_API === "string") return RESTPIPE_HANDLER_API;
  return `// Run from source: the handler API is the source's own types.
export type * from ${JSON.stringify(`${sourceRoot}/src/dispatch/index.ts`)};
export type { ConnectSuccessInfo, ConnectFailInfo, ConnectionInfo, Hooks } from ${JSON.stringify(`${sourceRoot}/src/node/hooks.ts`)};
`;
}

/** handlers.ts for `role`'s node: one GET and one POST handler, and the role's hooks. */
export function handlersTemplate(role: Role, program: string): string {
  const front = role === "client" ? "a server" : "a client";
  const hooks =
    role === "client"
      ? `// Hooks (optional): called on state changes, never as events.
export function connect_success(info: ConnectSuccessInfo): void {
  void info.retries; // failed attempts before this connection
}

export function connect_fail(info: ConnectFailInfo): void {
  void info.reason;
}`
      : `// Hooks (optional): called on state changes, never as events.
export function connection_added(info: ConnectionInfo): void {
  void info.cn; // the client's certificate CN
}

export function connection_removed(info: ConnectionInfo): void {
  void info.count; // clients still connected
}`;
  const types = role === "client" ? "ConnectFailInfo, ConnectSuccessInfo" : "ConnectionInfo";
  return `/**
 * Handlers for ${program}: events from ${front} run these functions.
 * Name = verb + "_" + noun (GET, HEAD, POST, PUT, PATCH, DELETE; a HEAD with no
 * head_* handler runs the get_* one without its body): on the other side,
 * GET ${role === "client" ? "/client/<this-cn>" : "/server"}/hello//Ada calls get_hello(ctx, body, "Ada").
 * Check it:  ${program} handler check handlers.ts
 * Run it:    RP_EVENT_HANDLER=$PWD/handlers.ts ${program} start
 * Carry it:  ${program} handler bundle handlers.ts -o handlers.js   (with its npm dependencies)
 */
import type { ${types}, HandlerContext, RequestBody } from "./restpipe";

// GET .../hello//NAME → {"hello": NAME, "from": <the caller's CN>}
export function get_hello(ctx: HandlerContext, _body: RequestBody, name = "world") {
  return { hello: name, from: ctx.peer.name }; // plain data: application/json, code 0
}

// GET .../version: an HTTP status and headers too (ctx.headers has the caller's If-None-Match, Range, ...)
export function get_version(ctx: HandlerContext) {
  const etag = '"v1"';
  if (ctx.headers["if-none-match"] === etag) return ctx.reply("text/plain", 0, "", { status: 304, headers: { etag } });
  return ctx.reply("text/plain", 0, "1.0", { headers: { etag, "cache-control": "max-age=60" } });
}

// POST .../echo with a body → the body back, with its mimetype and code 0
export function post_echo(ctx: HandlerContext, body: RequestBody) {
  return ctx.reply(body.mimetype === "" ? "application/octet-stream" : body.mimetype, 0, body.data);
}

${hooks}
`;
}

/** tsconfig.json: strict, types from restpipe.d.ts only (no @types needed on the host). */
export const TSCONFIG_TEMPLATE = `${JSON.stringify(
  {
    compilerOptions: {
      target: "ES2022",
      module: "ESNext",
      moduleResolution: "Bundler",
      lib: ["ES2022", "DOM"],
      types: [],
      strict: true,
      noEmit: true,
      verbatimModuleSyntax: true,
      skipLibCheck: false,
    },
    include: ["*.ts"],
  },
  null,
  2,
)}
`;
