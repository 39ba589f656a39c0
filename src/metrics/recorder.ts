/**
 * What the rest of the node tells its metrics: a handful of cheap calls on
 * the event path and on connection changes. Implementations (Prometheus,
 * statsd) count in plain numbers and do the expensive work at scrape or
 * flush time.
 */
import type { Pipe } from "../pipe/index.ts";

/** The metrics calls a node makes; every method must be cheap and must never throw. */
export interface MetricsRecorder {
  /** A front request for an event finished with reply `code` after `ms` (refusals before sending included). */
  eventSent(verb: string, noun: string, code: number, ms: number): void;
  /** An inbound event was handled by `handlerName` (e.g. "get_time") with reply `code` in `ms`. */
  eventHandled(handlerName: string, code: number, ms: number): void;
  /** A heartbeat was answered after `rttMs`. */
  heartbeat(rttMs: number): void;
  /** The policy refused an inbound event, by rule `rule` (1-based; 0: the default). */
  policyDenied(rule: number): void;
  /** The built-in file share answered a request for `share` ("" for a name that is not shared) with HTTP `status`, sending `bytes` of body. */
  shareServed(share: string, status: number, bytes: number): void;
  /** Client: a connection attempt starts. */
  connectAttempt(): void;
  /** Client: the attempt started last ended after `ms`, connected or not. */
  connectResult(ok: boolean, ms: number): void;
  /** A pipe joined the node (server: a client connected; client: the pipe to the server is up). */
  pipeOpened(pipe: Pipe): void;
  /** A pipe left the node (closed, or replaced by a newer session of the same CN). */
  pipeClosed(pipe: Pipe): void;
  /** Sends what is buffered and releases resources (sockets, timers). */
  close(): void;
}

/** A recorder that does nothing. */
export const noRecorder: MetricsRecorder = {
  eventSent() {},
  eventHandled() {},
  heartbeat() {},
  policyDenied() {},
  shareServed() {},
  connectAttempt() {},
  connectResult() {},
  pipeOpened() {},
  pipeClosed() {},
  close() {},
};

/** One recorder that forwards every call to each of `recorders` (none → noRecorder, one → itself). */
export function fanOut(recorders: readonly MetricsRecorder[]): MetricsRecorder {
  if (recorders.length === 0) return noRecorder;
  if (recorders.length === 1) return recorders[0]!;
  return {
    eventSent: (verb, noun, code, ms) => recorders.forEach((r) => r.eventSent(verb, noun, code, ms)),
    eventHandled: (handler, code, ms) => recorders.forEach((r) => r.eventHandled(handler, code, ms)),
    heartbeat: (rttMs) => recorders.forEach((r) => r.heartbeat(rttMs)),
    policyDenied: (rule) => recorders.forEach((r) => r.policyDenied(rule)),
    shareServed: (share, status, bytes) => recorders.forEach((r) => r.shareServed(share, status, bytes)),
    connectAttempt: () => recorders.forEach((r) => r.connectAttempt()),
    connectResult: (ok, ms) => recorders.forEach((r) => r.connectResult(ok, ms)),
    pipeOpened: (pipe) => recorders.forEach((r) => r.pipeOpened(pipe)),
    pipeClosed: (pipe) => recorders.forEach((r) => r.pipeClosed(pipe)),
    close: () => recorders.forEach((r) => r.close()),
  };
}
