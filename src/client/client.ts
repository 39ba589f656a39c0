/**
 * rp-client's core: keep one mTLS pipe to the server (dial loop), answer the
 * server's events, and serve the front that sends events to the server.
 */
import type { ClientConfig } from "../config/index.ts";
import type { Dispatcher } from "../dispatch/index.ts";
import type { Logger } from "../log/index.ts";
import { Pipe, PipeRegistry } from "../pipe/index.ts";
import { parseCertificate } from "../pki/index.ts";
import type { HttpServer, Runtime, TlsIdentity } from "../runtime/index.ts";
import { drainAll, pipeOptions, startFront } from "../node/index.ts";
import { startDialLoop, type DialLoop } from "./dial-loop.ts";
import type { ClientStatus } from "./status.ts";

/** Key of the one pipe in the client's registry. */
const SERVER_KEY = "server";

/** A TLS connection attempt gives up after this long. */
const DIAL_TIMEOUT_MS = 10_000;

/** What a running client needs from outside. */
export interface ClientDeps {
  readonly runtime: Runtime;
  readonly identity: TlsIdentity;
  readonly dispatcher: Dispatcher;
  readonly log: Logger;
  readonly onStatus?: (status: ClientStatus) => void;
}

/** A started client. */
export interface RunningClient {
  readonly front: HttpServer;
  readonly loop: DialLoop;
  readonly registry: PipeRegistry;
  /** Stops dialing, lets in-flight requests finish up to the drain timeout, closes the pipe. */
  stop(): Promise<void>;
}

/** Starts the dial loop and the front. */
export function startClient(config: ClientConfig, deps: ClientDeps): RunningClient {
  const { runtime, log } = deps;
  const registry = new PipeRegistry();
  const loop = startDialLoop({
    dial: () =>
      runtime.connectTls({
        hostname: config.targetHostname,
        port: config.targetPort,
        identity: deps.identity,
        ...(config.serverName === undefined ? {} : { serverName: config.serverName }),
        timeoutMs: DIAL_TIMEOUT_MS,
      }),
    open: async (transport) => {
      const name = (await serverName(transport.peer.certificateDer)) ?? `${config.targetHostname}:${config.targetPort}`;
      const pipe = new Pipe(transport, pipeOptions(config, { name, remoteAddress: transport.peer.remoteAddress }, deps.dispatcher, log));
      registry.add(pipe, SERVER_KEY);
      return pipe;
    },
    baseMs: config.reconnectBaseMs,
    capMs: config.reconnectCapMs,
    log,
    ...(deps.onStatus ? { onStatus: deps.onStatus } : {}),
  });
  const front = startFront(config, "client", (_peer, signal) => registry.acquire(SERVER_KEY, config.serverWaitMs, signal), runtime, log);
  log.info("client started", { server: `${config.targetHostname}:${config.targetPort}`, http: front.url });
  return {
    front,
    loop,
    registry,
    async stop() {
      await front.stop(false);
      loop.stop();
      const pipe = registry.get(SERVER_KEY);
      if (pipe) await drainAll([pipe], config.drainTimeoutMs);
      await front.stop(true);
    },
  };
}

/** The CN of the server's certificate: handlers see it as the peer's name. */
async function serverName(der: Uint8Array | undefined): Promise<string | undefined> {
  if (!der) return undefined;
  try {
    return (await parseCertificate(der)).subjectCn;
  } catch {
    return undefined; // the TLS layer verified the certificate; an unreadable name is not fatal
  }
}
