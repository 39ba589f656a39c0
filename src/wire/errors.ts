/** Errors raised by the frame codec. Each names what was wrong and the value seen. */

/** Base class of every wire protocol error: the peer sent bytes that are not valid v1 frames. */
export class WireError extends Error {
  override name = "WireError";
}

/** The header declares a body longer than the configured maximum. Raised before any body byte is buffered. */
export class FrameTooLargeError extends WireError {
  override name = "FrameTooLargeError";
  constructor(
    readonly length: number,
    readonly maxLength: number,
    action = "accept frame",
    /** Whose limit it is and how to raise it, e.g. "that bob accepts; set ... to allow more". */
    detail = "",
  ) {
    super(`Cannot ${action}: body length ${length} exceeds the maximum of ${maxLength} bytes${detail ? ` ${detail}` : ""}`);
  }
}

/** The header carries a type this implementation does not know. */
export class UnknownFrameTypeError extends WireError {
  override name = "UnknownFrameTypeError";
  constructor(readonly type: number) {
    super(`Cannot decode frame: unknown frame type 0x${type.toString(16).padStart(2, "0")}`);
  }
}

/** The header's reply flag disagrees with its type (a reply type without the flag, or the reverse). */
export class FrameFlagsError extends WireError {
  override name = "FrameFlagsError";
  constructor(
    readonly type: number,
    readonly flags: number,
  ) {
    super(
      `Cannot decode frame: flags 0x${flags.toString(16).padStart(2, "0")} do not match frame type 0x${type.toString(16).padStart(2, "0")}`,
    );
  }
}

/** The stream ended in the middle of a frame. */
export class TruncatedFrameError extends WireError {
  override name = "TruncatedFrameError";
  constructor(
    readonly received: number,
    readonly expected: number,
  ) {
    super(`Cannot decode frame: stream ended after ${received} of ${expected} bytes`);
  }
}

/** The body is not a valid protobuf message of the frame's type, or lacks a required field. */
export class MalformedMessageError extends WireError {
  override name = "MalformedMessageError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
