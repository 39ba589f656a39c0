/** rp-server's readiness and status, as its front reports them (/readyz, /_rp/status.json). */
import type { NodeObserver } from "../node/index.ts";
import { pipeRows, type FleetStatusJson, type Readiness, type RefusedLine, type ServerStatusJson, type SharedIdentity } from "../ops/index.ts";
import type { PipeRegistry } from "../pipe/index.ts";

/** rp-server: ready while listening and not draining. */
export function serverReadiness(listening: string, draining: () => boolean): () => Readiness {
  return () => (draining() ? { ready: false, reason: "draining: shutting down" } : { ready: true, reason: `listening on ${listening}` });
}

/** What only the server knows beyond its pipes: refused handshakes per certificate subject, CNs two hosts share. */
export interface ServerStatusExtras {
  readonly refused?: () => RefusedLine[];
  readonly sharedIdentities?: () => SharedIdentity[];
  /** In a fleet: its view, cut to `limit` holders. */
  readonly fleet?: (limit: number) => FleetStatusJson;
}

/** rp-server's status: every connected client, the recent events, refused handshakes, shared identities. */
export function serverStatus(observer: NodeObserver, registry: PipeRegistry, listening: string, readiness: () => Readiness, extras: ServerStatusExtras = {}) {
  return (limit: number): ServerStatusJson => {
    const { rows, count } = pipeRows(registry.pipes(), observer.tracker, limit);
    const { ready, reason } = readiness();
    return {
      role: "server",
      version: observer.version,
      startedAt: observer.startedAt,
      now: Date.now(),
      ready,
      readyReason: reason,
      listening,
      clientCount: count,
      clients: rows,
      events: observer.tracker.events(),
      shares: observer.shareLines(),
      refused: extras.refused?.() ?? [],
      sharedIdentities: extras.sharedIdentities?.() ?? [],
      ...(extras.fleet ? { fleet: extras.fleet(limit) } : {}),
    };
  };
}
