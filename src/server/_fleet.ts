/**
 * rp-server as a member of a fleet (RP_SERVER_NATS_URL + RP_SERVER_FLEET):
 * its clients' CNs claimed in NATS as they connect and released as they go,
 * a session taken over elsewhere closed at once, front requests routed to
 * the server holding their client, forwarded events from peers answered
 * with fencing, and peer servers told from clients by their certificate.
 * NATS is loaded and joined in the background: until it answers, the server
 * serves its own clients as a single server does.
 */
import type { ServerConfig } from "../config/index.ts";
import type { RemoteClients } from "../fanout/index.ts";
import { FleetRouter, forwardedEventHandler, openNatsStore, PeerLinks, Presence, type FleetStore, type ServerRecord } from "../fleet/index.ts";
import { fleetStatus, type FleetView } from "./_fleet-status.ts";
import { dialPeer } from "./_peer-dial.ts";
import { BurstLog, type Logger } from "../log/index.ts";
import { pipeOptions, sayWhyAndClose, type FleetFigures, type NodeDeps } from "../node/index.ts";
import type { FleetStatusJson } from "../ops/index.ts";
import { certificatePolicyRefusal, isServerCertificate, parseCertificatesPem, type CertificateInfo } from "../pki/index.ts";
import { Pipe, PeerUnavailableError, type Clock, type PipeRegistry, type RequestTarget, type Transport } from "../pipe/index.ts";
import { Capability, readBytes } from "../wire/index.ts";

/** How often a server that could not reach NATS tries again. */
const JOIN_RETRY_MS = 2_000;

/** How long a new session waits for the server holding its client's old one to confirm closing it. */
const TAKEOVER_WAIT_MS = 1_000;

/** How long an accepted connection with a server certificate waits for its CN to show among the fleet's servers. */
const PEER_RECOGNITION_MS = 2_000;

/** A server's part in its fleet. */
export interface FleetMember {
  /** The front's acquire: local pipe, forwarder to another server, or the bounded wait. */
  acquire(cn: string, signal: AbortSignal): Promise<RequestTarget>;
  /** The clients the other servers hold, for a fan-out here (undefined until the fleet is joined). */
  remoteClients(): RemoteClients | undefined;
  /** Before a new session of `cn` is registered: the server holding it closes its session. */
  admit(cn: string): Promise<void>;
  /** True when the connection is a peer server's link (then it was taken over here). */
  acceptPeer(transport: Transport, certificate: CertificateInfo): Promise<boolean>;
  view(): FleetView;
  /** The status JSON's fleet part, at most `limit` holders (0: all). */
  status(limit: number): FleetStatusJson;
  /** The figures /metrics shows. */
  figures(): FleetFigures;
  /** Releases the claims, stops refreshing, closes the links and NATS. */
  stop(): Promise<void>;
}

/** Joins the fleet named in `config` (in the background) and returns the member. */
export function joinFleet(config: ServerConfig, deps: NodeDeps, registry: PipeRegistry, listener: { hostname: string; port: number }, clock: Clock): FleetMember {
  const log = deps.log.with({ fleet: config.fleet! });
  const fleet = config.fleet!;
  const id = `${Math.floor(clock.now()).toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
  const epochs = new WeakMap<Pipe, number>();
  /** Claims in progress: a forwarded event for a session whose claim is being made waits for it rather than being refused. */
  const claiming = new WeakMap<Pipe, Promise<void>>();
  const accepted = new Set<Pipe>();
  let presence: Presence | undefined;
  let store: FleetStore | undefined;
  let stopped = false;
  // A killed server's clients all re-home at once, and each takeover of a session it held goes unanswered: one line per dead holder.
  const takeoverLog = new BurstLog(
    log,
    {
      first: "the server holding a reconnected client did not confirm closing its session",
      summary: "more reconnected clients' sessions were not confirmed closed by the server holding them",
    },
    clock,
  );
  let address = config.fleetAddress ?? `${bracketed(listener.hostname)}:${listener.port}`;

  const links: PeerLinks = new PeerLinks((server) => {
    let dialled: Pipe | undefined;
    return dialPeer(server, config, deps, log, clock, (linkLog) => peerHandler(linkLog, server.address, () => dialled, undefined)).then((pipe) => (dialled = pipe));
  }, clock);
  const router = new FleetRouter({
    registry,
    links,
    clock,
    selfId: id,
    fleet,
    presence: () => presence,
    natsUp: () => store?.isUp() === true,
  });

  /** Answers the events a peer sends over a link (either side of it): forwarded requests, takeover notices. */
  const peerHandler = (peerLog: Logger, remote: string, pipeOf: () => Pipe | undefined, peerCn: string | undefined) =>
    forwardedEventHandler({
      fleet,
      session,
      readWhole: async (body) => {
        const bytes = await readBytes(body, config.maxBodyBytes);
        if (bytes === undefined) throw new PeerUnavailableError(`Cannot forward the body: over ${config.maxBodyBytes} bytes for a client that takes whole bodies only; set RP_SERVER_MAX_BODY_BYTES`);
        return bytes;
      },
      log: peerLog,
      counted: (refused) => {
        router.counters.received++;
        if (refused) router.counters.receivedRefused++;
      },
      foreign: (reason) => pipeOf()?.close(new Error(reason)),
      takeover: (cn, epoch) => {
        const local = registry.get(cn);
        const held = local && epochs.get(local);
        if (!local || (held !== undefined && held > epoch)) return;
        log.info("client reconnected to another server; closing its session here", { client: cn, epoch: held ?? 0, by: remote });
        local.close(new Error(`replaced by a newer session of "${cn}" on another server of the fleet`));
      },
      // A link a peer dialled to us serves our forwards to it too (one link per pair), if it is who it says.
      sender: (senderId) => {
        const server = presence?.server(senderId);
        const pipe = pipeOf();
        if (server && pipe && peerCn !== undefined && server.cn === peerCn) links.adopt(server, pipe);
      },
    });

  const session = async (cn: string) => {
    const pipe = registry.get(cn);
    if (pipe === undefined) return undefined;
    await claiming.get(pipe);
    const epoch = epochs.get(pipe);
    return epoch !== undefined && registry.get(cn) === pipe && presence?.holdsCurrent(cn, epoch) ? { pipe, epoch } : undefined;
  };
  const startClaim = (pipe: Pipe) => {
    const claimed = claim(pipe);
    claiming.set(pipe, claimed);
    void claimed.finally(() => claiming.delete(pipe));
  };

  async function claim(pipe: Pipe): Promise<void> {
    const cn = pipe.peer.name;
    try {
      const epoch = await presence!.claim(cn, pipe.peer.labels);
      epochs.set(pipe, epoch);
      if (pipe.status.state === "closed" || registry.get(cn) !== pipe) await presence!.release(cn, epoch);
    } catch (error) {
      log.warn("Cannot claim a client in NATS; other servers cannot reach it until NATS answers", { client: cn, reason: (error as Error).message, retryS: JOIN_RETRY_MS / 1000 });
      // Tried again while the session lasts: a client that connected during a NATS outage is claimed once NATS is back.
      clock.setTimeout(() => {
        if (!stopped && pipe.status.state !== "closed" && registry.get(cn) === pipe && !epochs.has(pipe)) startClaim(pipe);
      }, JOIN_RETRY_MS);
    }
  }

  registry.subscribe((change) => {
    if (!presence) return;
    if (change.kind === "added") startClaim(change.pipe);
    else {
      const epoch = epochs.get(change.pipe);
      if (epoch !== undefined) void presence.release(change.pipe.peer.name, epoch).catch(() => undefined);
    }
  });

  void (async () => {
    const self = await ownRecord(deps, fleet, id, listener, config.fleetAddress);
    address = self.address;
    const events = {
      takenOver: (cn: string, epoch: number, by: string) => {
        const pipe = registry.get(cn);
        if (!pipe || epochs.get(pipe) !== epoch) return;
        const where = presence?.server(by)?.address ?? by;
        log.info("client reconnected to another server; closing its session here", { client: cn, epoch, by: where });
        pipe.close(new Error(`replaced by a newer session of "${cn}" on server ${where}`));
      },
      changed: (cn?: string) => router.changed(cn),
      reclaimed: (cn: string, epoch: number) => {
        const pipe = registry.get(cn);
        if (pipe) epochs.set(pipe, epoch);
      },
    };
    // NATS not there yet (or JetStream not ready): try again until it answers; the server serves its own clients meanwhile.
    let joined: Presence | undefined;
    for (let attempt = 1; !stopped && joined === undefined; attempt++) {
      let trying: Presence | undefined;
      try {
        store = await openNatsStore({
          servers: config.natsUrls,
          fleet,
          serverTtlMs: config.fleetExpiryMs,
          ...(config.natsCredsFile === undefined ? {} : { credsFile: config.natsCredsFile }),
          ...(config.natsCaFile === undefined ? {} : { caFile: config.natsCaFile }),
          ...(config.natsCertFile === undefined ? {} : { certFile: config.natsCertFile }),
          ...(config.natsKeyFile === undefined ? {} : { keyFile: config.natsKeyFile }),
          connection: { name: `rp-server ${id}` },
        });
        trying = new Presence(store, self, clock, { refreshMs: config.fleetExpiryMs / 4, deadAfterMs: config.fleetExpiryMs }, events);
        await trying.start();
        joined = trying;
      } catch (error) {
        trying?.stop();
        await store?.close().catch(() => undefined);
        store = undefined;
        const fields = {
          nats: config.natsUrls.map((url) => url.replace(/\/\/[^@/]*@/, "//***@")).join(","),
          reason: (error as Error).message,
          retryS: JOIN_RETRY_MS / 1000,
          fix: "check RP_SERVER_NATS_URL (and RP_SERVER_NATS_CREDS, RP_SERVER_NATS_CA, RP_SERVER_NATS_CERT, RP_SERVER_NATS_KEY) and that nats-server runs with JetStream (-js)",
        };
        if (attempt === 1) log.error("Cannot join the fleet: NATS did not answer; serving this server's clients only, trying again", fields);
        else log.debug("still cannot join the fleet", { ...fields, attempt });
        await new Promise((resolve) => clock.setTimeout(() => resolve(undefined), JOIN_RETRY_MS));
      }
    }
    if (joined === undefined || store === undefined) return;
    if (stopped) {
      joined.stop();
      return void store.close();
    }
    presence = joined;
    log.info("joined the fleet", { server: id, address, servers: joined.liveServers().length, replicas: store.replicas });
    for (const pipe of registry.pipes()) startClaim(pipe);
    router.changed();
  })().catch((error: unknown) => log.error("Cannot join the fleet", { reason: (error as Error).message }));

  return {
    acquire: (cn, signal) => router.acquire(cn, config.clientWaitMs, signal),

    remoteClients() {
      const current = presence;
      if (!current) return undefined;
      return {
        all: () => current.remoteClaims(),
        get: (cn) => {
          const target = router.forwarder(cn);
          return target ? { name: cn, pipe: target } : undefined;
        },
      };
    },

    admit: (cn) => {
      const holder = presence?.locate(cn)?.server;
      // Bounded as a whole (a dial to a server that vanished without a word could take the dial timeout).
      let timer: ReturnType<Clock["setTimeout"]> | undefined;
      const late = new Promise<void>((_, reject) => (timer = clock.setTimeout(() => reject(new Error(`no answer within ${TAKEOVER_WAIT_MS} ms`)), TAKEOVER_WAIT_MS)));
      return Promise.race([router.takeOver(cn, TAKEOVER_WAIT_MS), late])
        .catch((error: unknown) => takeoverLog.failed(holder ?? "", { client: cn, holder, reason: (error as Error).message }))
        .finally(() => timer !== undefined && clock.clearTimeout(timer));
    },

    async acceptPeer(transport, certificate) {
      if (!isServerCertificate(certificate) || !(await recognised(certificate.subjectCn ?? "", () => presence, clock))) return false;
      const remote = transport.peer.remoteAddress;
      const peerLog = log.with({ peerServer: certificate.subjectCn ?? "", remote });
      // A peer's certificate is judged as a server's (key, signature, leaf, SAN), as a client judges this server's.
      const refusal = certificatePolicyRefusal(certificate, "server");
      if (refusal !== undefined) {
        peerLog.warn("refused a fleet peer", { reason: refusal });
        sayWhyAndClose(transport, refusal);
        return true;
      }
      const peer = { name: `server ${certificate.subjectCn ?? ""} ${remote}`, remoteAddress: remote };
      let pipe: Pipe | undefined;
      const handler = peerHandler(peerLog, remote, () => pipe, certificate.subjectCn ?? "");
      pipe = new Pipe(transport, pipeOptions(config, peer, handler, peerLog, { clock, capabilities: [Capability.Fleet], peerFrameSetting: "RP_SERVER_MAX_FRAME_BYTES on the peer server" }));
      accepted.add(pipe);
      peerLog.info("fleet peer linked");
      void pipe.closed.then((error) => {
        accepted.delete(pipe!);
        peerLog.info("fleet peer link closed", { reason: error?.message ?? "closed" });
      });
      return true;
    },

    view() {
      const current = presence;
      const holders = new Map<string, string>();
      for (const [cn, server] of current?.holders() ?? []) holders.set(cn, current?.server(server)?.address ?? server);
      return {
        fleet,
        self: id,
        address,
        natsUp: store?.isUp() === true && current !== undefined,
        holders,
        servers: current?.liveServers() ?? [],
        links: links.states(),
        acceptedLinks: accepted.size,
        counters: router.counters,
      };
    },

    status(limit) {
      return fleetStatus(this.view(), limit);
    },

    figures() {
      const view = this.view();
      return { ...view.counters, links: view.links.map((link) => ({ address: link.address, up: link.state === "up" })), acceptedLinks: view.acceptedLinks, natsUp: view.natsUp };
    },

    async stop() {
      stopped = true;
      const current = presence;
      current?.stop();
      if (current) {
        await Promise.all(
          [...registry.pipes()].map((pipe) => {
            const epoch = epochs.get(pipe);
            return epoch === undefined ? undefined : current.release(pipe.peer.name, epoch).catch(() => undefined);
          }),
        );
      }
      links.close();
      for (const pipe of accepted) pipe.close();
      await store?.close().catch(() => undefined);
    },
  };
}

/**
 * This server as its peers see it: its id, fleet, its certificate's CN, and the address they dial: RP_SERVER_FLEET_ADDRESS,
 * else the bind interface, else (bound to every interface) the certificate's first IP or DNS name, the name TLS checks.
 */
export async function ownRecord(
  deps: NodeDeps,
  fleet: string,
  id: string,
  listener: { hostname: string; port: number },
  configured: string | undefined,
): Promise<Omit<ServerRecord, "refreshedAt">> {
  const [certificate] = await parseCertificatesPem(deps.identity.certPem).catch(() => []);
  const host = wildcard(listener.hostname) ? (certificate?.ipAddresses[0] ?? certificate?.dnsNames[0] ?? "127.0.0.1") : listener.hostname;
  return { id, fleet, address: configured ?? `${bracketed(host)}:${listener.port}`, cn: certificate?.subjectCn ?? "" };
}

/** Waits briefly for a server of the fleet with this CN (its record may reach us a moment after its first dial). */
async function recognised(cn: string, presence: () => Presence | undefined, clock: Clock): Promise<boolean> {
  const until = clock.now() + PEER_RECOGNITION_MS;
  while (presence()?.isServerCn(cn) !== true) {
    if (clock.now() >= until || presence() === undefined) return false;
    await new Promise((resolve) => clock.setTimeout(() => resolve(undefined), 50));
  }
  return true;
}


function wildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "";
}

function bracketed(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
