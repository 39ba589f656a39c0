/**
 * The links from this server to the other servers of its fleet: one pipe per
 * peer server, dialled on first need (lazily), reused by every forwarded
 * request, forgotten when it closes (the next request dials again). A failed
 * dial is remembered briefly, so that a burst of requests for a dead peer
 * fails fast with the dial's reason instead of dialling once each.
 */
import type { Clock, Pipe } from "../pipe/index.ts";
import type { ServerRecord } from "./store.ts";

/** How long a failed dial answers for the peer before the next request dials again. */
const FAILED_DIAL_MEMORY_MS = 500;

/** One link as the views show it. */
export interface LinkState {
  readonly server: string;
  readonly address: string;
  readonly state: "up" | "dialling" | "down";
  /** Why the last dial failed or the link closed, when it did. */
  readonly lastError?: string;
}

interface Link {
  readonly server: ServerRecord;
  pipe?: Pipe;
  dialling?: Promise<Pipe> | undefined;
  failedAt?: number;
  error?: Error;
}

/** Dials a peer server: resolves with an open pipe that listed the fleet capability, or rejects saying why not. */
export type PeerDialer = (server: ServerRecord) => Promise<Pipe>;

/** The links to the peer servers, by server id. */
export class PeerLinks {
  readonly #links = new Map<string, Link>();
  #closed = false;

  constructor(
    private readonly dial: PeerDialer,
    private readonly clock: Clock,
  ) {}

  /** The open link to `server`, dialling it when there is none. */
  get(server: ServerRecord): Promise<Pipe> {
    let link = this.#links.get(server.id);
    if (link === undefined || link.server.address !== server.address) {
      link?.pipe?.close();
      link = { server };
      this.#links.set(server.id, link);
    }
    if (link.pipe !== undefined && link.pipe.status.state === "open" && !link.pipe.peerDraining) return Promise.resolve(link.pipe);
    if (link.dialling !== undefined) return link.dialling;
    if (link.error !== undefined && link.failedAt !== undefined && this.clock.now() - link.failedAt < FAILED_DIAL_MEMORY_MS) {
      return Promise.reject(link.error);
    }
    return this.#dial(link);
  }

  /**
   * A link `server` dialled to us, used for our forwards to it too when we
   * hold none of our own (one link per pair of servers). It is not closed
   * here when forgotten: its dialler owns it.
   */
  adopt(server: ServerRecord, pipe: Pipe): void {
    const link = this.#links.get(server.id);
    if (this.#closed || (link?.pipe !== undefined && link.pipe.status.state === "open") || link?.dialling !== undefined) return;
    const adopted: Link = { server, pipe };
    this.#links.set(server.id, adopted);
    void pipe.closed.then(() => {
      if (this.#links.get(server.id) === adopted) this.#links.delete(server.id);
    });
  }

  /** Every link, for the status page and /metrics. */
  states(): LinkState[] {
    return [...this.#links.values()].map((link) => ({
      server: link.server.id,
      address: link.server.address,
      state: link.pipe?.status.state === "open" ? "up" : link.dialling ? "dialling" : "down",
      ...(link.error ? { lastError: link.error.message } : {}),
    }));
  }

  /** Closes the link to a server that left the fleet. */
  forget(serverId: string): void {
    const link = this.#links.get(serverId);
    this.#links.delete(serverId);
    link?.pipe?.close();
  }

  /** Closes every link; later `get`s fail. */
  close(): void {
    this.#closed = true;
    for (const link of this.#links.values()) link.pipe?.close();
    this.#links.clear();
  }

  #dial(link: Link): Promise<Pipe> {
    if (this.#closed) return Promise.reject(new Error("Cannot dial a peer server: this server is stopping"));
    const dialling = this.dial(link.server).then(
      (pipe) => {
        link.dialling = undefined;
        if (this.#closed || this.#links.get(link.server.id) !== link) {
          pipe.close();
          throw new Error("Cannot use the link: the peer left the fleet");
        }
        link.pipe = pipe;
        delete link.error;
        void pipe.closed.then((error) => {
          if (link.pipe !== pipe) return;
          delete link.pipe;
          link.error = new Error(`the link to ${link.server.address} closed${error ? ` (${error.message})` : ""}`);
        });
        return pipe;
      },
      (error: Error) => {
        link.dialling = undefined;
        link.error = error;
        link.failedAt = this.clock.now();
        throw error;
      },
    );
    link.dialling = dialling;
    return dialling;
  }
}
