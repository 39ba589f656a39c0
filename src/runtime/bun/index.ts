/** The Bun runtime adapter. */
import type { Runtime } from "../runtime.ts";
import { serveHttp } from "./http-server.ts";
import { connectTls } from "./tls-client.ts";
import { listenTls } from "./tls-server.ts";

/** Bun's native TLS (Bun.listen / Bun.connect) and Bun.serve. */
// Bun.serve writes or copies a Response stream's chunk before it reads the next: seen on 1.4.4 with one buffer reused at every pull, read intact (sha-256 of 128 MiB) at full speed and under curl --limit-rate. Re-check on a Bun upgrade.
export const bunRuntime: Runtime = { name: "bun", listenTls, connectTls, serveHttp, httpLendsBodies: true };
