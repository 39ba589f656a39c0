/**
 * rp-client's core: keep one mTLS pipe to the server (dial loop), answer the
 * server's events, and serve the front that sends events to the server.
 */
import { bypassesProxy, clientTargets, formatTarget, type ClientConfig, type Target } from "../config/index.ts";
import { peerCertificate, peerCn } from "../identity/index.ts";
import { certificatePolicyRefusal } from "../pki/index.ts";
import { drainNode, nodeParts, pipeOptions, sayWhyAndClose, serveNodeFront, type Front, type NodeDeps, type NodeObserver } from "../node/index.ts";
import type { ClientStatus } from "../ops/index.ts";
import { Pipe, type PipeRegistry } from "../pipe/index.ts";
import { formatProxy, type ProxyEndpoint } from "../proxy/index.ts";
import { Capability } from "../wire/index.ts";
import { startDialLoop, type DialLoop } from "./dial-loop.ts";
import type { DialTarget } from "./dial-plan.ts";
import { dialTargets } from "./resolve.ts";
import { clientReadiness, clientStatus } from "./status.ts";

/** Key of the one pipe in the client's registry. */
const SERVER_KEY = "server";

/** What a running client needs from outside. */
export interface ClientDeps extends NodeDeps {
  readonly onStatus?: (status: ClientStatus) => void;
  /** The addresses of a host name (DNS); absent: names are dialled as they are (the TLS stack resolves them). */
  readonly lookupHost?: (host: string) => Promise<readonly string[]>;
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
  const targets = clientTargets(config);
  // NO_PROXY is matched per server, by the name as configured.
  const proxyFor = (target: Target) => (config.proxy !== undefined && !bypassesProxy(config.noProxy, target.host, target.port) ? config.proxy : undefined);
  const proxied = targets.filter((target) => proxyFor(target) !== undefined);
  let dialled: DialTarget = targets[0]!; // the target of the transport `open` gets (dial, then open, one at a time)
  const loop: DialLoop = startDialLoop({
    targets,
    expand: (target) => dialTargets(target, proxyFor(target) === undefined ? deps.lookupHost : undefined),
    dial: async (target) => {
      dialled = target;
      const proxy = proxyFor(target);
      const transport = await runtime.connectTls({
        hostname: target.address ?? target.host,
        port: target.port,
        identity: deps.identity,
        // A resolved name is dialled by address and still checked against the name.
        ...(config.serverName !== undefined ? { serverName: config.serverName } : target.address === undefined ? {} : { serverName: target.host }),
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
    via: (target) => {
      const proxy = proxyFor(target);
      return proxy === undefined ? undefined : `proxy ${formatProxy(proxy)}`;
    },
    open: async (transport) => {
      // Handlers see the server by its certificate CN.
      const name = (await peerCn(transport.peer)) ?? loop.target;
      const peer = { name, remoteAddress: transport.peer.remoteAddress };
      return new Pipe(
        transport,
        pipeOptions(config, peer, deps.dispatcher, log, {
          onGoAway: (ms) => ms > 0 && loop.goAway(ms),
          onHeartbeat: observer.heartbeat,
          clock,
          peerFrameSetting: "RP_SERVER_MAX_FRAME_BYTES on the server",
          // Behind a proxy: ask the server for small TLS records too (see Transport.preferSmallRecords).
          ...(proxyFor(dialled) === undefined ? {} : { capabilities: [Capability.SmallRecords] }),
        }),
      );
    },
    ready: (pipe) => {
      // A server that said GoAway keeps its pipe until its requests are done; the new pipe takes the new ones.
      for (const old of registry.pipes()) if (old !== pipe && old.peerDraining) registry.remove(old, SERVER_KEY);
      registry.add(pipe, SERVER_KEY);
    },
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
  const readiness = clientReadiness(registry, SERVER_KEY, () => loop);
  const shownProxy = config.proxy === undefined || proxied.length === 0 ? undefined : formatProxy(config.proxy);
  const reports = { readiness, status: clientStatus(observer, registry, SERVER_KEY, () => loop, readiness, shownProxy) };
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
    server: loop.targets.join(","),
    http: front.server.url,
    // Said once at start, so that "why is it (not) using my proxy?" has an answer in the log.
    ...(config.proxy === undefined ? {} : { proxy: proxyNote(config.proxy, config.noProxy.text, targets, proxied) }),
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

/** The proxy as the start line names it: used for every server, for some (naming the others), or for none. */
function proxyNote(proxy: ProxyEndpoint, noProxy: string, targets: readonly Target[], proxied: readonly Target[]): string {
  if (proxied.length === 0) return `not used for this server (RP_CLIENT_NO_PROXY ${noProxy})`;
  if (proxied.length === targets.length) return formatProxy(proxy);
  const direct = targets.filter((target) => !proxied.includes(target)).map((target) => formatTarget(target));
  return `${formatProxy(proxy)}, not for ${direct.join(", ")} (RP_CLIENT_NO_PROXY ${noProxy})`;
}
