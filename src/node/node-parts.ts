/**
 * What rp-server and rp-client set up and tear down the same way around
 * their own core (the listener, the dial loop): the registry, the observer
 * watching it, the hooks, the front with its ops routes, and the drain.
 */
import type { CommonConfig, Role } from "../config/index.ts";
import type { Dispatcher } from "../dispatch/index.ts";
import type { FrontOptions } from "../http/index.ts";
import type { Logger, LogFields } from "../log/index.ts";
import { PipeRegistry, systemClock, type Clock, type Pipe, type RequestTarget } from "../pipe/index.ts";
import { opsRoutes, type ClientStatusJson, type Readiness, type ServerStatusJson } from "../ops/index.ts";
import type { Runtime, TlsIdentity } from "../runtime/index.ts";
import { drainAll } from "./drain.ts";
import { startFront, stopFront, type Front } from "./front-server.ts";
import { noHooks, type Hooks } from "./hooks.ts";
import { NodeObserver } from "./observer.ts";

/** What a running node (either role) needs from outside. */
export interface NodeDeps {
  readonly runtime: Runtime;
  readonly identity: TlsIdentity;
  readonly dispatcher: Dispatcher;
  readonly log: Logger;
  readonly hooks?: Hooks;
  /** Metrics, statsd and the status page's tracker (default: Prometheus only). */
  readonly observer?: NodeObserver;
  /** Time for the pipes, waits, drain, dial loop and idle hook (default: the system clock; tests pass a fake one). */
  readonly clock?: Clock;
}

/** The parts both roles build the same way. */
export interface NodeParts {
  readonly hooks: Hooks;
  readonly registry: PipeRegistry;
  readonly observer: NodeObserver;
  readonly clock: Clock;
}

/** The registry, the observer watching it (a Prometheus-only one by default), the hooks (none by default) and the clock. */
export function nodeParts(role: Role, deps: NodeDeps): NodeParts {
  const clock = deps.clock ?? systemClock;
  const registry = new PipeRegistry(clock);
  const observer = deps.observer ?? new NodeObserver({ role, version: "dev" });
  observer.watch(registry);
  return { hooks: deps.hooks ?? noHooks, registry, observer, clock };
}

/** How the front's ops routes answer /readyz and /_rp/status.json. */
export interface NodeReports {
  readonly readiness: () => Readiness;
  readonly status: (limit: number) => ServerStatusJson | ClientStatusJson;
}

/** Serves the node's front: events through `acquire`, the ops routes from `reports`, sent events to the observer; `extras.fanout` the server's fan-out route. */
export function serveNodeFront(
  config: CommonConfig,
  role: Role,
  deps: NodeDeps,
  observer: NodeObserver,
  reports: NodeReports,
  acquire: (peer: string | undefined, signal: AbortSignal) => Promise<RequestTarget>,
  extras: Pick<FrontOptions, "fanout"> = {},
): Front {
  const routes = opsRoutes({ readiness: reports.readiness, status: reports.status, metrics: observer.prometheus, token: config.httpToken });
  return startFront(config, role, acquire, deps.runtime, deps.log, { routes, onSent: observer.sent, ...(observer.audit ? { onAnswered: observer.answered } : {}), ...extras });
}

/**
 * The shutdown both roles share once their own core has stopped taking new
 * work: new front requests refused, the pipes drained up to the drain
 * timeout (telling peers to retry after `retryAfterMs`), the front stopped.
 */
export async function drainNode(
  config: CommonConfig,
  front: Front,
  pipes: readonly Pipe[],
  retryAfterMs: number,
  log: Logger,
  clock: Clock,
  busyFields: (busy: number) => LogFields = () => ({}),
): Promise<void> {
  front.refuseNew();
  const busy = await drainAll(pipes, config.drainTimeoutMs, retryAfterMs, clock);
  if (busy > 0) log.warn("drain timeout: cut requests still in flight", { drainTimeoutMs: config.drainTimeoutMs, ...busyFields(busy) });
  await stopFront(front);
}
