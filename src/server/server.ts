/**
 * rp-server's core: accept mTLS connections, name each by its certificate's
 * CN, keep a registry of their pipes, and serve the front that sends events
 * to them by name.
 */
import type { ServerConfig } from "../config/index.ts";
import { peerCn } from "../identity/index.ts";
import { Pipe, type PipeRegistry, type Transport } from "../pipe/index.ts";
import type { TlsListener } from "../runtime/index.ts";
import { drainNode, nodeParts, pipeOptions, serveNodeFront, type Front, type NodeDeps, type NodeObserver } from "../node/index.ts";
import { serverReadiness, serverStatus } from "./status.ts";

/** What a running server needs from outside. */
export type ServerDeps = NodeDeps;

/** A started server. */
export interface RunningServer {
  readonly registry: PipeRegistry;
  readonly listener: TlsListener;
  readonly front: Front;
  readonly observer: NodeObserver;
  /** Stops accepting, tells clients to reconnect later, lets in-flight requests finish up to the drain timeout, closes every pipe. */
  stop(): Promise<void>;
}

/**
 * How long clients are told to wait before reconnecting after a drain: long
 * enough to spread a large fleet (about 1,000 reconnects a second), short
 * enough that a restart of a small one costs well under a second.
 */
export function reconnectWindowMs(clients: number): number {
  return Math.min(10_000, Math.max(250, clients));
}

/** Starts the pipe listener and the front. */
export function startServer(config: ServerConfig, deps: ServerDeps): RunningServer {
  const { runtime, log } = deps;
  const { hooks, registry, observer } = nodeParts("server", deps);
  let draining = false;
  const listener = runtime.listenTls({
    hostname: config.bindInterface,
    port: config.bindPort,
    identity: deps.identity,
    handshakeTimeoutMs: config.handshakeTimeoutMs,
    maxPendingHandshakes: config.maxPendingHandshakes,
    onConnection: (transport) => void accept(transport),
    onRefused: ({ remoteAddress, reason, peerSubject }) =>
      log.warn("refused client connection", { remote: remoteAddress, reason, subject: peerSubject }),
  });

  async function accept(transport: Transport): Promise<void> {
    const remote = transport.peer.remoteAddress;
    const cn = await peerCn(transport.peer);
    if (cn === undefined) {
      log.warn("refused client connection", { remote, reason: "its certificate has no CN (subject common name), which names the client" });
      transport.close();
      return;
    }
    const peerLog = log.with({ client: cn, remote });
    const pipe = new Pipe(transport, pipeOptions(config, { name: cn, remoteAddress: remote }, deps.dispatcher, peerLog, { onHeartbeat: observer.heartbeat }));
    const replacing = registry.get(cn) !== undefined;
    registry.add(pipe);
    peerLog.info(replacing ? "client reconnected; replaced its stale session" : "client connected", { clients: registry.size });
    hooks.connection_added({ cn, remoteAddress: remote, count: registry.size });
    void pipe.closed.then((error) => {
      peerLog.info("client disconnected", { reason: error?.message ?? "closed", clients: registry.size });
      hooks.connection_removed({ cn, remoteAddress: remote, count: registry.size });
    });
  }

  const idleTimer = setInterval(() => {
    if (registry.size > 0) return;
    log.info("idle: no client connected");
    hooks.idle();
  }, config.idleHookIntervalMs);

  const listening = `${listener.hostname}:${listener.port}`;
  const readiness = serverReadiness(listening, () => draining);
  const reports = { readiness, status: serverStatus(observer, registry, listening, readiness) };
  const acquire = (peer: string | undefined, signal: AbortSignal) => registry.acquire(peer ?? "", config.clientWaitMs, signal);
  const front = serveNodeFront(config, "server", deps, observer, reports, acquire);
  log.info("server listening", { pipe: `${listener.hostname}:${listener.port}`, http: front.server.url });

  return {
    registry,
    listener,
    front,
    observer,
    async stop() {
      draining = true;
      clearInterval(idleTimer);
      listener.stop(false);
      const pipes = [...registry.pipes()];
      await drainNode(config, front, pipes, reconnectWindowMs(pipes.length), log, (busy) => ({ pipes: busy }));
      listener.stop(true);
      observer.close();
    },
  };
}
