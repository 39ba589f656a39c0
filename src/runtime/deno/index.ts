/** The Deno runtime adapter. */
import type { Runtime } from "../runtime.ts";
import { serveHttp } from "./http-server.ts";
import { connectTls } from "./tls-client.ts";
import { listenTls } from "./tls-server.ts";

/** node:tls for the pipe (Deno.listenTls cannot require client certificates) and Deno.serve for the front. */
export const denoRuntime: Runtime = { name: "deno", listenTls, connectTls, serveHttp };
