/** The status and readiness each role reports on its front (/_rp/status.json, /readyz). */
import type { DialLoop } from "../client/dial-loop.ts";
import type { CommonConfig } from "../config/index.ts";
import type { PipeRegistry } from "../pipe/index.ts";
import { opsRoutes, pipeRow, pipeRows, type ClientStatusJson, type Readiness, type RefusedLine, type ServerStatusJson, type SharedIdentity } from "../ops/index.ts";
import type { NodeObserver } from "./observer.ts";

/** The front's ops routes for a node: readiness and status come from `describe`. */
export function nodeOpsRoutes(
  config: CommonConfig,
  observer: NodeObserver,
  readiness: () => Readiness,
  status: (limit: number) => ServerStatusJson | ClientStatusJson,
) {
  return opsRoutes({ readiness, status, metrics: observer.prometheus, token: config.httpToken });
}

/** rp-server: ready while listening and not draining. */
export function serverReadiness(listening: string, draining: () => boolean): () => Readiness {
  return () => (draining() ? { ready: false, reason: "draining: shutting down" } : { ready: true, reason: `listening on ${listening}` });
}

/** What only the server knows beyond its pipes: refused handshakes per certificate subject, CNs two hosts share. */
export interface ServerStatusExtras {
  readonly refused?: () => RefusedLine[];
  readonly sharedIdentities?: () => SharedIdentity[];
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
      refused: extras.refused?.() ?? [],
      sharedIdentities: extras.sharedIdentities?.() ?? [],
    };
  };
}

/** rp-client: ready while the pipe to the server is up and usable. */
export function clientReadiness(registry: PipeRegistry, key: string, loop: () => DialLoop): () => Readiness {
  return () => {
    if (registry.get(key)) return { ready: true, reason: "the pipe to the server is up" };
    const status = loop().status;
    return { ready: false, reason: `the pipe to the server is ${status.state}${"reason" in status ? `: ${status.reason}` : ""}` };
  };
}

/** rp-client's status: the dial loop's state and the pipe, if up. */
export function clientStatus(observer: NodeObserver, registry: PipeRegistry, key: string, target: string, loop: () => DialLoop, readiness: () => Readiness) {
  return (): ClientStatusJson => {
    const pipe = registry.get(key);
    const { ready, reason } = readiness();
    return {
      role: "client",
      version: observer.version,
      startedAt: observer.startedAt,
      now: Date.now(),
      ready,
      readyReason: reason,
      status: loop().status,
      target,
      reconnects: loop().reconnects,
      pipe: pipe ? pipeRow(pipe, observer.tracker) : null,
      events: observer.tracker.events(),
    };
  };
}
