/**
 * An independent model of "is this byte stream valid wire v1 so far" (with
 * the stream frames peers of this implementation add: Data, Credit, Reset), for
 * the fuzz tests that would otherwise judge the pipe by the decoder it runs
 * on: the header read by hand from DESIGN.md's layout (u8 type, u8 flags,
 * u32 length, u32 id, big-endian), bodies read by the generated protobuf-ts
 * code (not the hand-written fast codec the decoder prefers).
 */
import { Event, EventReply, GoAway, Heartbeat, HeartbeatReply, StreamCredit, StreamReset } from "../../src/wire/gen/restpipe.ts";

/** Raw bytes: the body of a Data frame is not protobuf. */
const RAW = { fromBinary: () => ({}) };

const BODIES: Record<number, { fromBinary(bytes: Uint8Array, options: { readUnknownField: false }): object }> = {
  0x01: Heartbeat,
  0x02: Event,
  0x03: GoAway,
  0x04: RAW,
  0x05: StreamCredit,
  0x06: StreamReset,
  0x80: HeartbeatReply,
  0x81: EventReply,
};

/** The flag bits each type may carry: the v1 types exactly their reply bit; stream frames (DESIGN.md "Streams") either direction, End on Data only. */
function flagsValid(type: number, flags: number): boolean {
  if (type === 0x04) return (flags & ~0x03) === 0;
  if (type === 0x05 || type === 0x06) return (flags & ~0x01) === 0;
  return (flags & 0x01) === (type >= 0x80 ? 1 : 0);
}

/** False when `bytes` hold a frame no v1 peer may send (unknown type, flags, oversized, undecodable or incomplete body); an unfinished last frame is not an error. */
export function validV1Prefix(bytes: Uint8Array, maxFrameBytes: number): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at + 10 <= bytes.length; ) {
    const type = bytes[at]!;
    const flags = bytes[at + 1]!;
    const length = view.getUint32(at + 2);
    const codec = BODIES[type];
    if (codec === undefined) return false;
    if (!flagsValid(type, flags)) return false;
    if (length > maxFrameBytes) return false;
    if (at + 10 + length > bytes.length) return true; // waiting for the rest
    let message: Record<string, unknown>;
    try {
      message = codec.fromBinary(bytes.subarray(at + 10, at + 10 + length), { readUnknownField: false }) as Record<string, unknown>;
    } catch {
      return false;
    }
    if (type === 0x02 && (message["verb"] === undefined || message["noun"] === undefined)) return false;
    if (type === 0x81 && message["code"] === undefined) return false;
    if (type === 0x05 && message["credit"] === undefined) return false;
    at += 10 + length;
  }
  return true;
}
