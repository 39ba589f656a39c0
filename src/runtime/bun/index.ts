/** The Bun runtime adapter. */
import type { Runtime } from "../runtime.ts";
import { serveHttp } from "./http-server.ts";
import { connectTls } from "./tls-client.ts";
import { listenTls } from "./tls-server.ts";

/** Bun's native TLS (Bun.listen / Bun.connect) and Bun.serve. */
// httpLendsBodies is left off: Bun.serve is done with a Response stream's chunk when it pulls the next
// (test/integration/lent-bodies.test.ts turns it on and checks that), but lent chunks are single Data frames
// (64 KiB) where copies are joins of up to a pull's worth, and the per-chunk cost of Bun.serve made lending
// slower: 1 GiB 309 vs 343 MB/s, 16 MiB 293 vs 339 (medians of 6 interleaved runs side by side, load 4-5),
// for no RSS gain that a benchmark could tell (read buffers are freed either way).
export const bunRuntime: Runtime = { name: "bun", listenTls, connectTls, serveHttp };
