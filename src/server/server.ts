/**
 * rp-server's core: accept mTLS connections, name each by its certificate's
 * CN, keep a registry of their pipes, and serve the front that sends events
 * to them by name.
 */
import type { ServerConfig } from "../config/index.ts";
import { FanoutLimiter, RecentClients, RegistryDirectory } from "../fanout/index.ts";
import { fanoutHandler } from "../http/index.ts";
import { explainRefusal, peerCertificate } from "../identity/index.ts";
import { RepeatedFailures } from "../log/index.ts";
import { certificatePolicyRefusal, isServerCertificate } from "../pki/index.ts";
import { Pipe, type PipeRegistry, type Transport } from "../pipe/index.ts";
import type { TlsListener } from "../runtime/index.ts";
import { drainNode, nodeParts, pipeOptions, sayWhyAndClose, serveNodeFront, withListenFix, type Front, type NodeDeps, type NodeObserver } from "../node/index.ts";
import { FLAP_WINDOW_MS, FlapDetector } from "./_flaps.ts";
import { joinFleet, type FleetMember } from "./_fleet.ts";
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
  const { hooks, registry, observer, clock } = nodeParts("server", deps);
  const recent = new RecentClients();
  recent.watch(registry);
  let draining = false;
  // A revoked or refused client redials for ever: its first refusal in full, then summaries per certificate subject.
  const refusedLog = new RepeatedFailures(log, { first: "refused client connection", summary: "still refusing client connections" }, () => clock.now());
  const refuse = (remote: string, reason: string, subject: string | undefined) =>
    subject ? refusedLog.failed(subject, reason, { remote, subject }) : log.warn("refused client connection", { remote, reason });
  const flaps = new FlapDetector(() => clock.now());
  observer.followSharedIdentities(() => flaps.flapping().length);
  const listener = withListenFix(() => runtime.listenTls({
    hostname: config.bindInterface,
    port: config.bindPort,
    identity: deps.identity,
    handshakeTimeoutMs: config.handshakeTimeoutMs,
    maxPendingHandshakes: config.maxPendingHandshakes,
    onConnection: (transport) => void accept(transport),
    onRefused: (refused) =>
      void explainRefusal(refused, "client").then(({ remoteAddress, reason, peerSubject }) => refuse(remoteAddress, reason, peerSubject)),
  }), "stop it, or set RP_SERVER_BIND_PORT (--port) to another port");

  async function accept(transport: Transport): Promise<void> {
    const remote = transport.peer.remoteAddress;
    const certificate = await peerCertificate(transport.peer);
    // A server of the fleet links with its server certificate; anything else is a client, as without a fleet.
    if (fleet && certificate && isServerCertificate(certificate) && (await fleet.acceptPeer(transport, certificate))) return;
    const refusal = certificate === undefined ? undefined : certificatePolicyRefusal(certificate, "client");
    if (refusal !== undefined) {
      refuse(remote, refusal, certificate?.subject);
      sayWhyAndClose(transport, refusal);
      return;
    }
    const cn = certificate?.subjectCn || undefined;
    if (cn === undefined) {
      const reason = "its certificate has no CN (subject common name), which names the client";
      log.warn("refused client connection", { remote, reason });
      sayWhyAndClose(transport, reason);
      return;
    }
    const peerLog = log.with({ client: cn, remote });
    const labels = certificate!.labels;
    if (certificate!.invalidLabels.length > 0) peerLog.warn("ignored invalid labels in the client certificate", { labels: certificate!.invalidLabels.join(" ") });
    const peer = { name: cn, remoteAddress: remote, labels };
    const pipe = new Pipe(transport, pipeOptions(config, peer, deps.dispatcher, peerLog, { onHeartbeat: observer.heartbeat, clock, peerFrameSetting: "RP_CLIENT_MAX_FRAME_BYTES on the client" }));
    // In a fleet, the server holding this CN closes its old session first: no old session answers after this one did.
    if (fleet) await fleet.admit(cn);
    const previous = registry.get(cn);
    const replacing = previous !== undefined;
    refusedLog.ended(certificate?.subject ?? "");
    const flap = previous && flaps.replaced(cn, remote, previous.peer.remoteAddress);
    if (flap) {
      peerLog.warn("two hosts share one identity: their sessions keep replacing each other", {
        replacements: flap.replacements,
        hosts: flap.hosts.join(" "),
        windowS: FLAP_WINDOW_MS / 1000,
        fix: "give each host its own certificate: rp-server ca issue --cn <another name>",
      });
    }
    registry.add(pipe);
    peerLog.info(replacing ? "client reconnected; replaced its stale session" : "client connected", { clients: registry.size });
    hooks.connection_added({ cn, remoteAddress: remote, count: registry.size });
    void pipe.closed.then((error) => {
      peerLog.info("client disconnected", { reason: error?.message ?? "closed", clients: registry.size });
      hooks.connection_removed({ cn, remoteAddress: remote, count: registry.size });
    });
  }

  const idleTick = () => {
    idleTimer = clock.setTimeout(idleTick, config.idleHookIntervalMs);
    if (registry.size > 0) return;
    log.info("idle: no client connected");
    hooks.idle();
  };
  let idleTimer = clock.setTimeout(idleTick, config.idleHookIntervalMs);

  // Without RP_SERVER_NATS_URL and RP_SERVER_FLEET nothing of the fleet runs (NATS is not even loaded).
  const fleet: FleetMember | undefined = config.natsUrls.length > 0 && config.fleet !== undefined ? joinFleet(config, deps, registry, listener, clock) : undefined;
  const listening = `${listener.hostname}:${listener.port}`;
  const readiness = serverReadiness(listening, () => draining);
  const status = serverStatus(observer, registry, listening, readiness, {
    refused: () => refusedLog.streaks().map(({ key, total, lastReason, since }) => ({ subject: key, count: total, lastReason, since })),
    sharedIdentities: () => flaps.flapping(),
    ...(fleet ? { fleet: (limit: number) => fleet.status(limit) } : {}),
  });
  if (fleet) observer.followFleet(() => fleet.figures());
  const acquire = fleet
    ? (peer: string | undefined, signal: AbortSignal) => fleet.acquire(peer ?? "", signal)
    : (peer: string | undefined, signal: AbortSignal) => registry.acquire(peer ?? "", config.clientWaitMs, signal);
  const fanout = fanoutHandler({
    directory: new RegistryDirectory(registry, recent, () => fleet?.remoteClients()),
    limiter: new FanoutLimiter(config.fanoutConcurrency, { slowMs: config.fanoutSlowMs }),
    maxFanout: config.maxFanout,
    maxAnswerBytes: config.fanoutMaxAnswerBytes,
    maxBodyBytes: config.maxBodyBytes,
    requestTimeoutMs: config.requestTimeoutMs,
    token: config.httpToken,
    clock,
    log,
    onSent: observer.sent,
  });
  let front: Front;
  try {
    front = serveNodeFront(config, "server", deps, observer, { readiness, status }, acquire, { fanout });
  } catch (error) {
    // The pipe port and the idle timer would keep a process that cannot serve alive.
    clock.clearTimeout(idleTimer);
    listener.stop(true);
    observer.close();
    void fleet?.stop(); // and the fleet's NATS connection and timers
    throw error;
  }
  log.info("server listening", { pipe: `${listener.hostname}:${listener.port}`, http: front.server.url });

  return {
    registry,
    listener,
    front,
    observer,
    async stop() {
      draining = true;
      clock.clearTimeout(idleTimer);
      listener.stop(false);
      const pipes = [...registry.pipes()];
      await drainNode(config, front, pipes, reconnectWindowMs(pipes.length), log, clock, (busy) => ({ pipes: busy }));
      await fleet?.stop();
      listener.stop(true);
      observer.close();
    },
  };
}
