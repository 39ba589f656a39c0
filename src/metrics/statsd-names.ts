/**
 * The statsd names, as the seed (RestPipe 0.2) sent them, plus the ones it
 * lacked for the server side and for failed connects. Counters end in
 * `.tick` (sent as `|c`), timings in `.timing` (milliseconds, `|ms`).
 * `<handler>` is a handler name such as `get_time`, only for events a
 * handler answered (so that arbitrary paths cannot mint names).
 */
export const STATSD_NAMES = {
  /** Client: a connection attempt starts. */
  connectNew: "client.connect.new.tick",
  /** Client: how long an attempt took (connected or failed). */
  connectAttemptTiming: "client.connect.new.attempt.timing",
  /** Client: an attempt succeeded: the pipe is up. */
  connectConnected: "client.connect.connected.tick",
  /** Client: an attempt failed (TCP, TLS, timeout). */
  connectFail: "client.connect.fail.tick",
  /** Client: an established pipe was lost. */
  connectBroken: "client.connect.broken.tick",
  /** Client: heartbeat round-trip time. */
  clientHeartbeatTiming: "client.connect.heartbeat.timing",
  /** Client: a heartbeat was answered. */
  clientHeartbeatSuccess: "client.connect.heartbeat.success.tick",
  /** Client: the server stopped answering heartbeats; the pipe was closed. */
  clientHeartbeatFail: "client.connect.heartbeat.fail.tick",
  /** Server: a client connected (authenticated pipe registered under its CN). */
  serverConnectionAdded: "server.connection.added.tick",
  /** Server: a client's pipe ended (closed, lost or replaced). */
  serverConnectionRemoved: "server.connection.removed.tick",
  /** Server: heartbeat round-trip time to a client. */
  serverHeartbeatTiming: "server.connection.heartbeat.timing",
  /** Server: a heartbeat was answered. */
  serverHeartbeatSuccess: "server.connection.heartbeat.success.tick",
  /** Server: a client stopped answering heartbeats; its pipe was closed. */
  serverHeartbeatFail: "server.connection.heartbeat.fail.tick",
  /** An event was sent from this node's front (one per front request). */
  messageSend: "message.send.tick",
  /** Front request to response, in ms. */
  messageSendTiming: "message.send.timing",
  /** An event from the peer was received and dispatched. */
  messageReceive: "message.receive.tick",
  /** An inbound event refused by the policy. */
  messageDenied: "message.receive.denied.tick",
  /** How long handling an inbound event took, in ms (all handlers). */
  messageReceiveHandleTiming: "message.receive.handle.timing",
} as const;

/** `message.received.handle.<handler>.tick`: events a given handler answered. */
export function handlerTickName(handler: string): string {
  return `message.received.handle.${handler}.tick`;
}

/** `message.received.handle.<handler>.timing`: how long a given handler took, in ms. */
export function handlerTimingName(handler: string): string {
  return `message.received.handle.${handler}.timing`;
}
