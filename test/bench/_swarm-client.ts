/**
 * One in-process client of a benchmark swarm: a real dial loop and pipe over
 * Bun's TLS (no process per client), answering with the given dispatcher.
 */
import { startDialLoop, type DialLoop } from "../../src/client/index.ts";
import type { ClientConfig, Target } from "../../src/config/index.ts";
import type { Dispatcher } from "../../src/dispatch/index.ts";
import { silentLogger } from "../../src/log/index.ts";
import { pipeOptions } from "../../src/node/index.ts";
import { Pipe } from "../../src/pipe/index.ts";
import { bunRuntime } from "../../src/runtime/bun/index.ts";
import type { SwarmPki } from "./_swarm-pki.ts";

/** Who client `i` is and where it dials. */
export interface SwarmClientOptions {
  readonly pki: SwarmPki;
  readonly i: number;
  readonly targets: readonly Target[];
  readonly config: ClientConfig;
  readonly dispatcher: Dispatcher;
  /** Every pipe the client opens is pushed here (the caller closes them). */
  readonly pipes: Pipe[];
  /** `connected` rejects after this long; `hint` ends the message (the setting that raises it). */
  readonly timeoutS: number;
  readonly hint?: string;
  /** A loopback source address (several let one host open more than 64k connections). */
  readonly localAddress?: string;
}

/** Starts client `i`'s dial loop; `connected` resolves once its first pipe is up. */
export function startSwarmClient(options: SwarmClientOptions): { loop: DialLoop; connected: Promise<void> } {
  const { pki, i, config, dispatcher, pipes } = options;
  const identity = { keyPem: pki.clients[i]!.keyPem, certPem: pki.clients[i]!.certPem, caPem: pki.ca.certPem };
  const local = options.localAddress === undefined ? {} : { localAddress: options.localAddress };
  let settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
  const connected = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const timer = setTimeout(() => settle!.reject(new Error(`client ${i} not connected within ${options.timeoutS} s${options.hint ?? ""}`)), options.timeoutS * 1000);
  const loop = startDialLoop({
    targets: options.targets,
    dial: (target) => bunRuntime.connectTls({ hostname: target.host, port: target.port, identity, serverName: "localhost", timeoutMs: config.connectTimeoutMs, ...local }),
    open: async (transport) => {
      const pipe = new Pipe(transport, pipeOptions(config, { name: "localhost", remoteAddress: transport.peer.remoteAddress }, dispatcher, silentLogger));
      pipes.push(pipe);
      return pipe;
    },
    ready: () => {},
    baseMs: config.reconnectBaseMs,
    capMs: config.reconnectCapMs,
    log: silentLogger,
    onStatus: (status) => {
      if (status.state !== "connected") return;
      clearTimeout(timer);
      settle!.resolve();
    },
  });
  return { loop, connected };
}
