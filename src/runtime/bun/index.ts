/** The Bun runtime adapter. */
import type { Runtime } from "../runtime.ts";
import { serveHttp } from "./http-server.ts";
import { connectTls } from "./tls-client.ts";
import { listenTls } from "./tls-server.ts";

/** Bun's native TLS (Bun.listen / Bun.connect) and Bun.serve. */
export const bunRuntime: Runtime = { name: "bun", listenTls, connectTls, serveHttp };
