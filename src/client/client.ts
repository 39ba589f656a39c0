/**
 * rp-client's core: keep one mTLS pipe to the server (dial loop), answer the
 * server's events, and serve the front that sends events to the server.
 */
import type { ClientConfig } from "../config/index.ts";
import { peerCn } from "../identity/index.ts";
import { drainNode, nodeParts, pipeOptions, serveNodeFront, type Front, type NodeDeps, type NodeObserver } from "../node/index.ts";
import type { ClientStatus } from "../ops/index.ts";
import { Pipe, type PipeRegistry } from "../pipe/index.ts";
import { startDialLoop, type DialLoop } from "./dial-loop.ts";
import { clientReadiness, clientStatus } from "./status.ts";

/** Key of the one pipe in the client's registry. */
const SERVER_KEY = "server";

/** What a running client needs from outside. */
export interface ClientDeps extends NodeDeps {
  readonly onStatus?: (status: ClientStatus) => void;
}

/** A started client. */
export interface RunningClient {
  readonly front: Front;
  readonly loop: DialLoop;
  readonly registry: PipeRegistry;
  readonly observer: NodeObserver;
  /** Stops dialing, refuses new front requests, lets in-flight ones finish up to the drain timeout, closes the pipe. */
  stop(): Promise<void>;
}

/** Starts the dial loop and the front. */
export function startClient(config: ClientConfig, deps: ClientDeps): RunningClient {
  const { runtime, log } = deps;
  const { hooks, registry, observer } = nodeParts("client", deps);
  const loop: DialLoop = startDialLoop({
    dial: () =>
      runtime.connectTls({
        hostname: config.targetHostname,
        port: config.targetPort,
        identity: deps.identity,
        ...(config.serverName === undefined ? {} : { serverName: config.serverName }),
        timeoutMs: config.connectTimeoutMs,
      }),
    open: async (transport) => {
      // Handlers see the server by its certificate CN.
      const name = (await peerCn(transport.peer)) ?? `${config.targetHostname}:${config.targetPort}`;
      const peer = { name, remoteAddress: transport.peer.remoteAddress };
      const pipe = new Pipe(transport, pipeOptions(config, peer, deps.dispatcher, log, { onGoAway: (ms) => loop.goAway(ms), onHeartbeat: observer.heartbeat }));
      registry.add(pipe, SERVER_KEY);
      return pipe;
    },
    baseMs: config.reconnectBaseMs,
    capMs: config.reconnectCapMs,
    log,
    connected: (info) => hooks.connect_success(info),
    failed: (info) => hooks.connect_fail(info),
    onStatus: (status) => {
      observer.clientStatus(status);
      deps.onStatus?.(status);
    },
  });
  const target = `${config.targetHostname}:${config.targetPort}`;
  const readiness = clientReadiness(registry, SERVER_KEY, () => loop);
  const reports = { readiness, status: clientStatus(observer, registry, SERVER_KEY, target, () => loop, readiness) };
  const acquire = (_peer: string | undefined, signal: AbortSignal) => registry.acquire(SERVER_KEY, config.serverWaitMs, signal);
  const front = serveNodeFront(config, "client", deps, observer, reports, acquire);
  log.info("client started", { server: `${config.targetHostname}:${config.targetPort}`, http: front.server.url });
  return {
    front,
    loop,
    registry,
    observer,
    async stop() {
      loop.stop();
      await drainNode(config, front, [...registry.pipes()], 0, log);
      observer.close();
    },
  };
}
