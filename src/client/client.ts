/**
 * rp-client's core: keep one mTLS pipe to the server (dial loop), answer the
 * server's events, and serve the front that sends events to the server.
 */
import { bypassesProxy, type ClientConfig } from "../config/index.ts";
import { peerCertificate, peerCn } from "../identity/index.ts";
import { certificatePolicyRefusal } from "../pki/index.ts";
import { drainNode, nodeParts, pipeOptions, sayWhyAndClose, serveNodeFront, type Front, type NodeDeps, type NodeObserver } from "../node/index.ts";
import type { ClientStatus } from "../ops/index.ts";
import { Pipe, type PipeRegistry } from "../pipe/index.ts";
import { formatProxy } from "../proxy/index.ts";
import { Capability } from "../wire/index.ts";
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
  const { hooks, registry, observer, clock } = nodeParts("client", deps);
  const proxy = config.proxy !== undefined && !bypassesProxy(config.noProxy, config.targetHostname, config.targetPort) ? config.proxy : undefined;
  const loop: DialLoop = startDialLoop({
    dial: async () => {
      const transport = await runtime.connectTls({
        hostname: config.targetHostname,
        port: config.targetPort,
        identity: deps.identity,
        ...(config.serverName === undefined ? {} : { serverName: config.serverName }),
        timeoutMs: config.connectTimeoutMs,
        ...(proxy === undefined ? {} : { proxy }),
      });
      // TLS checked the chain and the name; the policy (key, signature, leaf, EKU, SAN) is RestPipe's own.
      const certificate = await peerCertificate(transport.peer);
      const refusal = certificate === undefined ? undefined : certificatePolicyRefusal(certificate, "server");
      if (refusal === undefined) return transport;
      const reason = `refused the server: ${refusal}`;
      sayWhyAndClose(transport, reason); // the server's log says why this client left at once
      throw new Error(reason);
    },
    ...(proxy === undefined ? {} : { via: `proxy ${formatProxy(proxy)}` }),
    open: async (transport) => {
      // Handlers see the server by its certificate CN.
      const name = (await peerCn(transport.peer)) ?? `${config.targetHostname}:${config.targetPort}`;
      const peer = { name, remoteAddress: transport.peer.remoteAddress };
      return new Pipe(
        transport,
        pipeOptions(config, peer, deps.dispatcher, log, {
          onGoAway: (ms) => ms > 0 && loop.goAway(ms),
          onHeartbeat: observer.heartbeat,
          clock,
          // Behind a proxy: ask the server for small TLS records too (see Transport.preferSmallRecords).
          ...(proxy === undefined ? {} : { capabilities: [Capability.SmallRecords] }),
        }),
      );
    },
    ready: (pipe) => registry.add(pipe, SERVER_KEY),
    baseMs: config.reconnectBaseMs,
    capMs: config.reconnectCapMs,
    log,
    clock,
    connected: (info) => hooks.connect_success(info),
    failed: (info) => hooks.connect_fail(info),
    onStatus: (status) => {
      observer.clientStatus(status);
      deps.onStatus?.(status);
    },
  });
  const target = `${config.targetHostname}:${config.targetPort}`;
  const readiness = clientReadiness(registry, SERVER_KEY, () => loop);
  const reports = { readiness, status: clientStatus(observer, registry, SERVER_KEY, target, () => loop, readiness, proxy === undefined ? undefined : formatProxy(proxy)) };
  const acquire = (_peer: string | undefined, signal: AbortSignal) => registry.acquire(SERVER_KEY, config.serverWaitMs, signal);
  let front: Front;
  try {
    front = serveNodeFront(config, "client", deps, observer, reports, acquire);
  } catch (error) {
    loop.stop(); // its dialing would keep a process that cannot serve alive
    observer.close();
    throw error;
  }
  log.info("client started", {
    server: `${config.targetHostname}:${config.targetPort}`,
    http: front.server.url,
    // Said once at start, so that "why is it (not) using my proxy?" has an answer in the log.
    ...(config.proxy === undefined ? {} : { proxy: proxy === undefined ? `not used for this server (RP_CLIENT_NO_PROXY ${config.noProxy.text})` : formatProxy(proxy) }),
  });
  return {
    front,
    loop,
    registry,
    observer,
    async stop() {
      loop.stop();
      await drainNode(config, front, [...registry.pipes()], 0, log, clock);
      observer.close();
    },
  };
}
