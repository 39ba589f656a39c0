/**
 * Throwaway identities for benchmarks driven from the shell: prints
 * "<pki dir> <server identity dir> <client identity dir>" of a fresh per-run
 * PKI (client CN from the first argument, default "bench"). The caller
 * removes <pki dir>.
 *
 *   bun test/bench/identities.ts bench
 */
import { makeTestPki } from "../support/index.ts";

const pki = await makeTestPki();
const client = await pki.client(process.argv[2] ?? "bench");
console.log(`${pki.dir} ${pki.server.dir} ${client.dir}`);
