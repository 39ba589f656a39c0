/** The Bun runtime adapter. */
import type { Runtime } from "../runtime.ts";
import { serveHttp } from "./http-server.ts";
import { connectTls } from "./tls-client.ts";
import { listenTls } from "./tls-server.ts";

/** Bun's native TLS (Bun.listen / Bun.connect) and Bun.serve. */
// Bun.serve is done with a Response stream's chunk when it pulls the next (it writes or copies it first): test/integration/lent-bodies.test.ts poisons every chunk given back and checks the SHA-256 of 64 MiB at full speed and under curl --limit-rate.
export const bunRuntime: Runtime = { name: "bun", listenTls, connectTls, serveHttp, httpLendsBodies: true };
