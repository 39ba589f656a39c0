/**
 * An independent model of "is this byte stream valid wire v1 so far", for
 * the fuzz tests that would otherwise judge the pipe by the decoder it runs
 * on: the header read by hand from DESIGN.md's layout (u8 type, u8 flags,
 * u32 length, u32 id, big-endian), bodies read by the generated protobuf-ts
 * code (not the hand-written fast codec the decoder prefers).
 */
import { Event, EventReply, GoAway, Heartbeat, HeartbeatReply } from "../../src/wire/gen/restpipe.ts";

const BODIES: Record<number, { fromBinary(bytes: Uint8Array, options: { readUnknownField: false }): object }> = {
  0x01: Heartbeat,
  0x02: Event,
  0x03: GoAway,
  0x80: HeartbeatReply,
  0x81: EventReply,
};

/** False when `bytes` hold a frame no v1 peer may send (unknown type, flags, oversized, undecodable or incomplete body); an unfinished last frame is not an error. */
export function validV1Prefix(bytes: Uint8Array, maxFrameBytes: number): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at + 10 <= bytes.length; ) {
    const type = bytes[at]!;
    const flags = bytes[at + 1]!;
    const length = view.getUint32(at + 2);
    const codec = BODIES[type];
    if (codec === undefined) return false;
    if ((flags & 0x01) !== (type >= 0x80 ? 1 : 0)) return false;
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
    at += 10 + length;
  }
  return true;
}
