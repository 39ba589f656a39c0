/** Frame headers: 10 bytes, big-endian `u8 type, u8 flags, u32 length, u32 id`. */
import { FrameFlag, HEADER_LENGTH, isReplyType, type FrameType } from "./constants.ts";

/** One decoded frame: header fields and the (still encoded) protobuf body. */
export interface Frame {
  readonly type: FrameType;
  readonly flags: number;
  readonly id: number;
  readonly body: Uint8Array;
}

/** The reply flag a frame of this type must carry. */
export function flagsFor(type: FrameType): number {
  return isReplyType(type) ? FrameFlag.Reply : 0;
}

/** Writes a header into `target` at `offset` (no allocation); `flags` only differ from the type's for stream frames. */
export function writeHeader(target: Uint8Array, offset: number, type: FrameType, length: number, id: number, flags = flagsFor(type)): void {
  target[offset] = type;
  target[offset + 1] = flags;
  writeU32(target, offset + 2, length);
  writeU32(target, offset + 6, id);
}

/** Encodes a whole frame (header + body) into one new buffer. */
export function encodeFrame(type: FrameType, id: number, body: Uint8Array, flags = flagsFor(type)): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH + body.length);
  writeHeader(out, 0, type, body.length, id, flags);
  out.set(body, HEADER_LENGTH);
  return out;
}

/** Reads a big-endian u32. */
export function readU32(source: Uint8Array, offset: number): number {
  return (
    ((source[offset]! << 24) | (source[offset + 1]! << 16) | (source[offset + 2]! << 8) | source[offset + 3]!) >>> 0
  );
}

function writeU32(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value >>> 24;
  target[offset + 1] = (value >>> 16) & 0xff;
  target[offset + 2] = (value >>> 8) & 0xff;
  target[offset + 3] = value & 0xff;
}
