/** Errors a Pipe rejects requests with, or closes with. */

/** Base class of the pipe's own errors. */
export class PipeError extends Error {
  override name = "PipeError";
}

/** The pipe closed before the request got its reply (or before it was sent). */
export class PipeClosedError extends PipeError {
  override name = "PipeClosedError";
  constructor(peer: string, options?: { cause?: unknown }) {
    const cause = options?.cause;
    super(`Cannot complete request: the pipe to ${peer} closed${cause instanceof Error ? ` (${cause.message})` : ""}`, options);
  }
}

/** The request cannot be taken now for a reason its message gives (a fleet server refused it, a peer link is down): 503. */
export class PeerUnavailableError extends PipeError {
  override name = "PeerUnavailableError";
}

/** The peer announced it is draining (GoAway): new requests must wait for a new pipe. */
export class PipeDrainingError extends PipeError {
  override name = "PipeDrainingError";
  constructor(peer: string) {
    super(`Cannot send request: the pipe to ${peer} is draining`);
  }
}

/** No reply arrived within the request's deadline; a late reply is discarded. */
export class RequestTimeoutError extends PipeError {
  override name = "RequestTimeoutError";
  constructor(
    readonly deadlineMs: number,
    peer: string,
  ) {
    super(`Cannot complete request: no reply from ${peer} within ${deadlineMs} ms`);
  }
}

/** The caller's AbortSignal fired before the reply arrived. */
export class RequestAbortedError extends PipeError {
  override name = "RequestAbortedError";
  constructor(peer: string, options?: { cause?: unknown }) {
    super(`Cannot complete request to ${peer}: aborted by the caller`, options);
  }
}

/** Too many requests are waiting for replies on this pipe. */
export class TooManyInFlightError extends PipeError {
  override name = "TooManyInFlightError";
  constructor(
    readonly limit: number,
    peer: string,
  ) {
    super(`Cannot send request: ${limit} requests to ${peer} are already in flight (the limit)`);
  }
}

/** The peer stopped answering heartbeats: the connection is dead or half-open. */
export class HeartbeatTimeoutError extends PipeError {
  override name = "HeartbeatTimeoutError";
  constructor(
    readonly silentMs: number,
    peer: string,
  ) {
    super(`Closing pipe: ${peer} sent nothing for ${Math.round(silentMs)} ms and did not answer a heartbeat`);
  }
}

/** More bytes wait to be written to the peer than the write-queue bound allows: the peer is not reading. */
export class WriteQueueFullError extends PipeError {
  override name = "WriteQueueFullError";
  constructor(
    readonly queuedBytes: number,
    readonly limit: number,
    peer: string,
  ) {
    super(
      `Cannot send request: ${queuedBytes} bytes already wait to be written to ${peer}, over the limit of ${limit} bytes (the peer is not reading fast enough; RP_X_MAX_WRITE_QUEUE_BYTES sets the limit)`,
    );
  }
}

/** The peer took nothing of a full write queue for the slow-consumer timeout. */
export class SlowConsumerError extends PipeError {
  override name = "SlowConsumerError";
  constructor(
    readonly queuedBytes: number,
    readonly limit: number,
    readonly timeoutMs: number,
    peer: string,
  ) {
    super(
      `Closing pipe: ${peer} is a slow consumer: it took nothing for ${timeoutMs} ms while ${queuedBytes} bytes waited for it, over the limit of ${limit} bytes; set RP_X_SLOW_CONSUMER_TIMEOUT_S or RP_X_MAX_WRITE_QUEUE_BYTES to allow more`,
    );
  }
}

/** The other side reset the exchange: its handler failed mid-body, its caller left, or a limit was hit. */
export class StreamResetError extends PipeError {
  override name = "StreamResetError";
  constructor(peer: string, reason: string) {
    super(`Cannot complete request: ${peer} reset the stream (${reason || "no reason given"})`);
  }
}

/** A streamed body for a peer that takes only whole bodies (an original v1 peer). */
export class StreamsUnsupportedError extends PipeError {
  override name = "StreamsUnsupportedError";
  constructor(peer: string, limit: number) {
    super(`Cannot send body: ${peer} takes only whole bodies (an original v1 peer) and this one is over ${limit} bytes or of unknown length`);
  }
}

/** A streamed body passed RP_X_MAX_STREAM_BYTES while it was being sent. */
export class StreamTooLargeError extends PipeError {
  override name = "StreamTooLargeError";
  constructor(readonly limit: number) {
    super(`Cannot send body: more than the limit of ${limit} bytes (RP_X_MAX_STREAM_BYTES)`);
  }
}

/** The peer closed the connection; `reason` is what it said first (GoAway), when it said anything. */
export class PeerClosedError extends PipeError {
  override name = "PeerClosedError";
  constructor(readonly reason: string | undefined) {
    super(reason === undefined ? "connection closed by the peer" : `closed by the peer: ${reason}`);
  }
}

/** The peer's reply to this request is not one RestPipe can use (malformed, reserved code, invalid mimetype): the peer's error. */
export class PeerReplyError extends PipeError {
  override name = "PeerReplyError";
  constructor(peer: string, problem: string, options?: { cause?: unknown }) {
    super(`Cannot use the reply from ${peer}: the peer sent ${problem}; fix the peer (its handler or its RestPipe)`, options);
  }
}
