/** The Bun runtime adapter. */
import type { Runtime } from "../runtime.ts";
import { serveHttp } from "./http-server.ts";
import { connectTls } from "./tls-client.ts";
import { listenTls } from "./tls-server.ts";

/**
 * Bun's native TLS (Bun.listen / Bun.connect) and Bun.serve. Bun.serve is done with a Response stream's chunk
 * when it pulls the next (test/integration/lent-bodies.test.ts checks it with poisoned buffers and SHA-256), so
 * replies' streams lend it their chunks: views of the read buffers, or a read's worth of Data frames joined in
 * one buffer the stream reuses at every pull (_streams.ts LEND_PULL_BYTES).
 */
export const bunRuntime: Runtime = { name: "bun", listenTls, connectTls, serveHttp, httpLendsBodies: true };
