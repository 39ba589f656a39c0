/**
 * Where a front request for client CN X goes on a server of a fleet: the
 * local pipe when this server holds X, else the server the presence names,
 * through the peer link to it (the event carries X and the session epoch it
 * was routed to). Neither: the bounded wait for X to appear anywhere, then
 * 503, as a single server does. A refusal for a stale epoch is routed again
 * when the body can be sent again (not a stream), within the same wait; so
 * is a request whose holder cannot be linked (nothing of it was sent): it
 * waits for the CN's newer claim, as a client re-homing after its server
 * was killed makes one within a second or two.
 */
import {
  NotConnectedError,
  PeerUnavailableError,
  PipeClosedError,
  RequestTimeoutError,
  type Clock,
  type IncomingReply,
  type OutboundEvent,
  type Pipe,
  type PipeRegistry,
  type RequestOptions,
  type RequestTarget,
} from "../pipe/index.ts";
import type { PeerLinks } from "./peer-links.ts";
import type { Location, Presence } from "./presence.ts";
import type { ServerRecord } from "./store.ts";

/** What the router counts (the /metrics counters). */
export interface FleetCounters {
  /** Requests sent to another server over a peer link. */
  forwarded: number;
  /** Of those, refused by the other server (stale epoch, client gone there, deadline). */
  refused: number;
  /** Requests that found no link to the server holding the client (dial failed). */
  linkFailed: number;
  /** Forwarded requests received from other servers. */
  received: number;
  /** Of those, refused here. */
  receivedRefused: number;
}

/** What the router works with. */
export interface RouterDeps {
  readonly registry: PipeRegistry;
  readonly links: PeerLinks;
  readonly clock: Clock;
  readonly selfId: string;
  readonly fleet: string;
  /** The presence, once NATS answered (undefined before: only local clients are found). */
  readonly presence: () => Presence | undefined;
  /** False while NATS is unreachable (the refusal then says so). */
  readonly natsUp: () => boolean;
}

/** Most times one request is routed again after a stale-epoch refusal. */
const MAX_REROUTES = 3;

/** How long a request refused by the holder of a CN's claim waits for a newer claim before asking that holder again. */
export const REFUSED_EPOCH_SKIP_MS = 500;

/** The epoch a request was just refused at (or could not reach), passed over for `skipMs`. */
interface Refused {
  readonly epoch: number;
  readonly skipMs: number;
}

/** The signal of a forwarder that is never routed again. */
const NEVER_ABORTED = new AbortController().signal;

/** Routes front requests to local pipes or to the servers holding their clients. */
export class FleetRouter {
  readonly counters: FleetCounters = { forwarded: 0, refused: 0, linkFailed: 0, received: 0, receivedRefused: 0 };
  /** Requests waiting for their CN to show up, by CN (a claim wakes only its own). */
  readonly #wakers = new Map<string, Set<() => void>>();

  constructor(private readonly deps: RouterDeps) {
    deps.registry.subscribe((change) => change.kind === "added" && this.changed(change.pipe.peer.name));
  }

  /** Wakes waiting requests: for `cn` (its claim or local pipe changed), or all (a server came or went, NATS back). */
  changed(cn?: string): void {
    const sets = cn === undefined ? [...this.#wakers.values()] : [this.#wakers.get(cn)].filter((set) => set !== undefined);
    for (const set of sets) for (const wake of [...set]) wake();
  }

  /** The target for `cn`, waiting up to `waitMs` for it to be held somewhere. */
  async acquire(cn: string, waitMs: number, signal: AbortSignal, attempt = 0, refused?: Refused): Promise<RequestTarget> {
    const { clock } = this.deps;
    const started = clock.now();
    for (;;) {
      const elapsed = clock.now() - started;
      // A refused epoch is passed over for `skipMs` only: a holder that refused the session it holds (its claim not
      // yet seen there) is asked again then, rather than waited on for a claim that will not change.
      const skipping = refused !== undefined && elapsed < refused.skipMs;
      const target = this.#find(cn, waitMs - elapsed, signal, attempt, skipping ? refused.epoch : undefined);
      if (target) return target;
      const left = waitMs - elapsed;
      if (left <= 0 || signal.aborted) throw this.#notFound(cn, waitMs);
      await this.#nextChange(cn, skipping ? Math.min(left, refused.skipMs - elapsed) : left, signal);
    }
  }

  /** A local pipe, or the server the presence names (not at `refusedEpoch`, which that server just refused). */
  #find(cn: string, leftMs: number, signal: AbortSignal, attempt: number, refusedEpoch: number | undefined): RequestTarget | undefined {
    const local = this.deps.registry.get(cn);
    if (local) return local;
    const presence = this.deps.presence();
    const location = presence?.locate(cn);
    if (!presence || !location || location.server === this.deps.selfId || location.epoch === refusedEpoch) return undefined;
    const server = presence.server(location.server);
    return server ? this.#remote(cn, location, server, leftMs, signal, attempt) : undefined;
  }

  /**
   * A target forwarding to the other server holding `cn` now, without waiting (a fan-out asks the clients that are
   * somewhere at the moment it starts); undefined when no other live server holds it. Not routed again after a
   * stale-epoch refusal: that client's entry tells the refusal.
   */
  forwarder(cn: string): RequestTarget | undefined {
    const presence = this.deps.presence();
    const location = presence?.locate(cn);
    if (!presence || !location || location.server === this.deps.selfId) return undefined;
    const server = presence.server(location.server);
    return server ? this.#remote(cn, location, server, 0, NEVER_ABORTED, MAX_REROUTES) : undefined;
  }

  /**
   * Before a new session of `cn` here takes requests: the server that holds it
   * closes its session (and says so), so that an old session never answers
   * after the new one did. A holder that does not answer within `waitMs`
   * (gone, or its link down) is not waited for longer: its claim is older and
   * forwarded requests to it are fenced by epoch.
   */
  async takeOver(cn: string, waitMs: number): Promise<void> {
    const presence = this.deps.presence();
    const location = presence?.locate(cn);
    if (!presence || !location || location.server === this.deps.selfId) return;
    const server = presence.server(location.server);
    if (!server) return;
    const link = await this.deps.links.get(server);
    await link.request(
      { verb: "post", noun: "_fleet/takeover", fleet: { target: cn, epoch: location.epoch, fleet: this.deps.fleet, takeover: true, sender: this.deps.selfId } },
      { deadlineMs: waitMs },
    );
  }

  #notFound(cn: string, waitMs: number): Error {
    if (this.deps.presence() !== undefined && this.deps.natsUp()) return new NotConnectedError(cn, waitMs);
    return new PeerUnavailableError(
      `Cannot reach "${cn}": not connected to this server, and NATS (the fleet's presence) is unreachable, so the other servers' clients are unknown; check the NATS servers of RP_SERVER_NATS_URL`,
    );
  }

  #nextChange(cn: string, waitMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const set = this.#wakers.get(cn) ?? new Set<() => void>();
      this.#wakers.set(cn, set);
      const done = () => {
        this.deps.clock.clearTimeout(timer);
        signal.removeEventListener("abort", done);
        set.delete(done);
        if (set.size === 0 && this.#wakers.get(cn) === set) this.#wakers.delete(cn);
        resolve();
      };
      const timer = this.deps.clock.setTimeout(done, waitMs);
      signal.addEventListener("abort", done, { once: true });
      set.add(done);
    });
  }

  #remote(cn: string, location: Location, server: ServerRecord, leftMs: number, signal: AbortSignal, attempt: number): RequestTarget {
    return {
      peer: { name: cn, remoteAddress: `via server ${server.address}` },
      streams: true,
      // Servers of one fleet run this implementation; the server holding the client adapts the head to it.
      replyHead: true,
      request: (event, options) => this.#forward(cn, location, server, event, options ?? {}, leftMs, signal, attempt),
    };
  }

  async #forward(
    cn: string,
    location: Location,
    server: ServerRecord,
    event: OutboundEvent,
    options: RequestOptions,
    leftMs: number,
    signal: AbortSignal,
    attempt: number,
  ): Promise<IncomingReply> {
    const started = this.deps.clock.now();
    let link: Pipe;
    try {
      link = await this.deps.links.get(server);
    } catch (error) {
      this.counters.linkFailed++;
      // Nothing was sent (the body is unread): the holder is gone (killed) and its client is likely reconnecting to
      // another server. Wait within the same bound for a newer claim rather than fail while it is already elsewhere.
      const left = leftMs - (this.deps.clock.now() - started);
      if (attempt < MAX_REROUTES && left > 0 && !signal.aborted) {
        // The holder cannot be linked: its claim is passed over for the whole wait (it goes stale when its server is dead).
        const target = await this.acquire(cn, left, signal, attempt + 1, { epoch: location.epoch, skipMs: Infinity }).catch((waited: Error) => {
          throw waited instanceof NotConnectedError ? new PeerUnavailableError(`Cannot reach "${cn}" on server ${server.address}: ${(error as Error).message}`) : waited;
        });
        return target.request(event, options);
      }
      throw new PeerUnavailableError(`Cannot reach "${cn}" on server ${server.address}: ${(error as Error).message}`);
    }
    this.counters.forwarded++;
    const reply = await link.request({ ...event, fleet: { target: cn, epoch: location.epoch, fleet: this.deps.fleet, sender: this.deps.selfId } }, options);
    if (reply.fleetRefusal === undefined) return reply;
    this.counters.refused++;
    const status = reply.fleetStatus ?? 503;
    const left = leftMs - (this.deps.clock.now() - started);
    // Routed to a session that is gone: route again once the presence moved on, if the body can be sent again.
    if (status === 503 && event.body === undefined && attempt < MAX_REROUTES && left > 0 && !signal.aborted) {
      const target = await this.acquire(cn, left, signal, attempt + 1, { epoch: location.epoch, skipMs: REFUSED_EPOCH_SKIP_MS });
      return target.request(event, options);
    }
    const why = `server ${server.address} answered: ${reply.fleetRefusal}`;
    if (status === 504) throw new RequestTimeoutError(options.deadlineMs ?? 0, cn);
    if (status === 502) throw new PipeClosedError(cn, { cause: new Error(why) });
    throw new PeerUnavailableError(`Cannot reach "${cn}": ${why}`);
  }
}
