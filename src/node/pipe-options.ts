/** Pipe options both roles derive the same way from their configuration. */
import type { CommonConfig } from "../config/index.ts";
import type { Logger } from "../log/index.ts";
import type { InboundHandler, PipeOptions, PipePeer } from "../pipe/index.ts";

/** Options for a pipe to `peer`, answering its events with `onEvent`; `extra` adds callbacks (GoAway, close, heartbeat) the clock and capabilities. */
export function pipeOptions(
  config: CommonConfig,
  peer: PipePeer,
  onEvent: InboundHandler,
  log: Logger,
  extra: Pick<PipeOptions, "onGoAway" | "onClose" | "onHeartbeat" | "clock" | "capabilities"> = {},
): PipeOptions {
  return {
    peer,
    onEvent,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
    maxFrameBytes: config.maxFrameBytes,
    maxInFlight: config.maxInFlight,
    maxInboundInFlight: config.maxInFlight,
    log,
    ...extra,
  };
}
