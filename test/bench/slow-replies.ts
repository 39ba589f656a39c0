/**
 * `bun test/bench/slow-replies.ts`: what a caller gets from a handler slower
 * than the front's idle timeout, and from a peer that never answers, at the
 * default settings (idle 30 s, deadline 60 s), through both fronts of the
 * compiled binaries (build first). Takes about 65 s. Loopback only.
 */
import { fileURLToPath } from "node:url";
import { makeTestPki, startConnectedPair } from "../support/index.ts";

const handlers = fileURLToPath(new URL("../fixtures/edge-handlers.ts", import.meta.url));
const pki = await makeTestPki();
const { server, client } = await startConnectedPair(pki.server.dir, await pki.client("slow"), {
  serverEnv: { RP_EVENT_HANDLER: handlers, RP_SERVER_DRAIN_TIMEOUT_S: "1" },
  clientEnv: { RP_EVENT_HANDLER: handlers, RP_CLIENT_DRAIN_TIMEOUT_S: "1" },
});
const started = performance.now();
const call = async (url: string) => {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(90_000) });
    return `${response.status} after ${Math.round(performance.now() - started)} ms`;
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message.slice(0, 50)} after ${Math.round(performance.now() - started)} ms`;
  }
};
try {
  const cases = [
    ["client front, 35 s handler", `${client.http}/server/sleep//35000`],
    ["server front, 35 s handler", `${server.http}/client/slow/sleep//35000`],
    ["client front, silent peer", `${client.http}/server/sleep//100000`],
    ["server front, silent peer", `${server.http}/client/slow/sleep//100000`],
  ] as const;
  const results = await Promise.all(cases.map(([, url]) => call(url)));
  console.log("| request (idle timeout 30 s, deadline 60 s) | what the caller got |\n| --- | --- |");
  cases.forEach(([name], i) => console.log(`| ${name} | ${results[i]} |`));
} finally {
  await Promise.all([client.proc.stop("SIGKILL"), server.proc.stop("SIGKILL")]);
  await pki.cleanup();
}
