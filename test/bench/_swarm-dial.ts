/**
 * A range of swarm clients dialled from this process (swarm.ts in one
 * process, or each of its worker processes): a few dials at a time, each
 * client's pipe answering with the bench handlers.
 */
import type { DialLoop } from "../../src/client/index.ts";
import { loadClientConfig } from "../../src/config/index.ts";
import { createDispatcher } from "../../src/dispatch/index.ts";
import type { Pipe } from "../../src/pipe/index.ts";
import { startSwarmClient } from "./_swarm-client.ts";
import type { SwarmPki } from "./_swarm-pki.ts";
import * as handlers from "./handlers.ts";

/** How long one client may take to connect at first (SWARM_DIAL_TIMEOUT_S; a loaded machine needs more). */
const DIAL_TIMEOUT_S = Number(process.env["SWARM_DIAL_TIMEOUT_S"] ?? 120);

/** Which clients, to where. */
export interface DialRange {
  readonly from: number;
  readonly to: number;
  readonly port: number;
  /** Loopback source addresses to spread the clients over (127.0.0.1 …): client i dials from 127.0.0.<1 + i mod sources>. */
  readonly sources: number;
  /** Handshakes in progress at once. */
  readonly dialConcurrency: number;
}

/** Dials clients `from` ≤ i < `to`; `connected` resolves once every one's first pipe is up (rejects after DIAL_TIMEOUT_S). */
export function dialRange(pki: SwarmPki, range: DialRange): { connected: Promise<void>; stop: () => void } {
  const loops: DialLoop[] = [];
  const pipes: Pipe[] = [];
  const config = loadClientConfig({ env: {}, flags: {} });
  const dispatcher = createDispatcher(handlers);
  let next = range.from;
  const worker = async () => {
    while (next < range.to) {
      const i = next++;
      const { loop, connected } = startSwarmClient({
        pki,
        i,
        targets: [{ host: "127.0.0.1", port: range.port }],
        config,
        dispatcher,
        pipes,
        timeoutS: DIAL_TIMEOUT_S,
        hint: " (SWARM_DIAL_TIMEOUT_S)",
        ...(range.sources > 1 ? { localAddress: `127.0.0.${1 + (i % range.sources)}` } : {}),
      });
      loops.push(loop);
      await connected;
    }
  };
  const connected = Promise.all(Array.from({ length: Math.max(1, Math.min(range.dialConcurrency, range.to - range.from)) }, worker)).then(() => undefined);
  const stop = () => {
    for (const loop of loops) loop.stop();
    for (const pipe of pipes) pipe.close();
  };
  return { connected, stop };
}
