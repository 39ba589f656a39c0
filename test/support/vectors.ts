/** The reference frames of ../shared/vectors/wire-v1.json (copied to test/fixtures), as typed values. */
import vectors from "../fixtures/wire-v1.json" with { type: "json" };

/** One reference frame. */
export interface VectorCase {
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly message_id: number;
  readonly message: "Heartbeat" | "HeartbeatReply" | "Event" | "EventReply";
  readonly fields: Record<string, string | number>;
  readonly bytes_fields_base64: readonly string[];
  readonly hex: string;
}

/** All cases, in file order. */
export const VECTOR_CASES = vectors.cases as readonly VectorCase[];

/** All frames back to back. */
export const STREAM_HEX: string = vectors.stream_hex;

/** Hex string to bytes. */
export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** Bytes to hex string. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A case's fields as protobuf-ts message fields: bytes decoded from base64, and
 * the heartbeat's repeated `capabilities` (an extension of ours, absent from
 * v1 frames) as the empty list protobuf-ts always has.
 */
export function messageFields(c: VectorCase): Record<string, string | number | Uint8Array | string[]> {
  const out: Record<string, string | number | Uint8Array | string[]> = {};
  if (c.message === "Heartbeat" || c.message === "HeartbeatReply") out["capabilities"] = [];
  for (const [key, value] of Object.entries(c.fields)) {
    out[key] = c.bytes_fields_base64.includes(key) ? Uint8Array.from(atob(String(value)), (ch) => ch.charCodeAt(0)) : value;
  }
  return out;
}
